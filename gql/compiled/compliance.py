"""`compliance` compiled: the must-undertake-all schools still missing items, with what they
lack and what the province confirmed they may lack, and the undertakings without funding, in
one statement.

Its rows are the resolver path's own: the scoping of gql/oversight/scope.py (the caller's
organisations and undertakings, or one city's), models/mandatory.py's rule as
missing_mandatory and missing_pairs ask it (confirmed items included: missing_items_sql with
exempt=False) and models/oversight.py zero_funding_query. This module only adds the derived
tables they are read from: the schools with an item missing, and their confirmations of such
an item (confirmed_items, narrowed to the missing items as the resolver narrows them). Falls
back when a city or the campaign is not found (the statement answers NULL): strawberry gives
the error.
"""

from __future__ import annotations

from graphql import FieldNode, GraphQLField

from gql.compiled.plan import Planner, Rows
from gql.compiled.roots import RootPlan, Source, object_type
from gql.compiled.sums import reads, requires_of

# the alias of a school is none of the rule's own (e, o, u, c)
SCHOOLS = ("SELECT s.id, {r1} AS campaign_id FROM organization s WHERE s.id IN {r0}"
           " AND EXISTS ({rule})")
CONFIRMED = ("SELECT k.* FROM mandatory_confirmation k WHERE k.campaign_id IN {r0}"
             " AND k.organization_id IN (SELECT id FROM gql_missing_mandatory)"
             " AND k.item_id IN ({rule})")
COMPLIANCE = "SELECT {r0} AS campaign_id"


def plan_compliance(planner: Planner, key: str, field: GraphQLField,
                    nodes: list[FieldNode]) -> RootPlan:
    from gql.oversight.queries import COMPLIANCE_TABLE
    from gql.oversight.scope import planned_scope
    from gql.oversight.types import CONFIRMED_TABLE, MISSING_MANDATORY_TABLE
    from models.enums import OrgKind
    from models.mandatory import missing_items_sql
    from models.oversight import zero_funding_query

    args = planner.arguments(field, nodes[0])
    scope = planned_scope(planner.principal, args.get("cityCode"), args.get("campaignCode"))
    campaign = scope.campaign
    planner.views = {"campaign": campaign,
                     "zero_funding": zero_funding_query(scope.undertakings, campaign)}
    try:
        target = planner.object(object_type(field), nodes)
    finally:
        planner.views = {}
    campaign_id = Rows.of(campaign)
    used = []
    if reads(target, "MissingMandatory"):  # an unused derived table would still be computed
        bound = scope.organizations.filter(kind=OrgKind.SCHOOL, must_undertake_all=True)
        used.append(Source(MISSING_MANDATORY_TABLE, SCHOOLS.replace(
            "{rule}", missing_items_sql("s.id", "{r2}", exempt=False)),
            (Rows.of(bound), campaign_id, campaign_id)))
        if reads(target, "MandatoryConfirmation"):
            used.append(Source(CONFIRMED_TABLE, CONFIRMED.replace(
                "{rule}", missing_items_sql("k.organization_id", "{r1}", exempt=False)),
                (campaign_id, campaign_id)))
    used.append(Source(COMPLIANCE_TABLE, COMPLIANCE, (campaign_id,)))
    return RootPlan(key, "object", target=target, sources=tuple(used),
                    requires=requires_of(scope))
