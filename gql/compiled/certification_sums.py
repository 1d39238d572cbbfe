"""`certificationSums(cityCode, campaignCode)` compiled: per item, the certified undertakings
and quantity against the national target, in one statement.

Its rows are the resolver path's own query, run inside the statement: the scoping of
gql/oversight/scope.py, models/certification.py sums_query (the campaign asked for, or the
newest) and its loop's SQL form (SUMS_SQL). This module only adds the ids' parts. Falls back
when the city or the campaign is not found (the statement answers NULL): strawberry gives
the error.
"""

from __future__ import annotations

from graphql import FieldNode, GraphQLField

from gql.compiled.plan import Planner, Rows
from gql.compiled.roots import RootPlan, Source, object_type
from gql.compiled.sums import requires_of

# The per-item rows, with the parts of the id (the unit whose schools it sums, the campaign).
SUMS = "SELECT s.*, {r1} AS unit_id, {r2} AS campaign_id FROM ({sums}) s"


def plan_certification_sums(planner: Planner, key: str, field: GraphQLField,
                            nodes: list[FieldNode]) -> RootPlan:
    from gql.oversight.scope import planned_scope
    from gql.performance.queries import CERTIFICATION_ORDER, CERTIFICATION_SUMS_TABLE
    from models.certification import SUMS_SQL, sums_query
    from models.performance import CertificationResult

    args = planner.arguments(field, nodes[0])
    # oversight_scope's rules: a city asked for must be one the caller manages
    scope = planned_scope(planner.principal, args.get("cityCode"), args.get("campaignCode"))
    campaign = scope.campaign
    target = planner.object(object_type(field), nodes)
    sums = SUMS_SQL.replace("{rows}", "{r0}").replace("{certified}", "{p0}").replace(
        "{not_certified}", "{p1}")
    source = Source(CERTIFICATION_SUMS_TABLE, SUMS.replace("{sums}", sums), (
        Rows.select(sums_query(scope.undertakings, campaign)), Rows.of(scope.unit),
        Rows.of(campaign)),
        (CertificationResult.CERTIFIED.value, CertificationResult.NOT_CERTIFIED.value))
    return RootPlan(key, "list", target=target, sources=(source,),
                    order=planner.order(target.type_name, CERTIFICATION_ORDER),
                    requires=requires_of(scope))
