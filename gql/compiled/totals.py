"""`undertakingTotals` compiled: the counted statuses, the per-item sums, the per-unit funding
and the grand sums in one statement.

Its rows are the resolver path's own queries, run inside the statement, as for
undertakingSums (sums.py: the same scoping, counted declarations and item sums, whose
derived tables this shares): models/totals.py city_funding_query for the units, with their
unit, label and order beside them as sums.py GROUPS gives a group's, and the grand sums
over those rows. The counted statuses are the plan's (statuses_or_default's), shown as the
resolver path shows them. Falls back as undertakingSums does.
"""

from __future__ import annotations

from graphql import FieldNode, GraphQLField

from gql.compiled.plan import Nested, Planner, Rows
from gql.compiled.roots import RootPlan, Source, object_type
from gql.compiled.sums import counted_of, groups_source, item_sum_sources, reads

# The totals' one row (an aggregate without GROUP BY: zeros when nothing is counted), the
# grand sums only if read. CAST: PostgreSQL's sum of bigints is numeric.
TOTALS = "SELECT {r0} AS campaign_id{sums} FROM gql_city_funding c"
CAMPAIGN_ONLY = "SELECT {r0} AS campaign_id"


def plan_undertaking_totals(planner: Planner, key: str, field: GraphQLField,
                            nodes: list[FieldNode]) -> RootPlan:
    from gql.oversight.totals import CITY_FUNDING_TABLE, TOTALS_TABLE
    from models.totals import city_funding_query
    from models.undertaking import FUNDING_SOURCES

    counted = counted_of(planner, key, planner.arguments(field, nodes[0]))
    planner.views = {"statuses": counted.statuses}
    try:
        target = planner.object(object_type(field), nodes)
    finally:
        planner.views = {}
    campaign_id = Rows.of(counted.campaign)
    used: list[Source] = []
    if reads(target, "ItemSum"):  # an unused derived table would still be computed
        used.extend(item_sum_sources(counted, target))
    funding = any(isinstance(f, Nested) and f.target.type_name == "Funding"
                  for f in target.fields)
    if funding or reads(target, "CityFundingSum"):
        used.append(groups_source(CITY_FUNDING_TABLE, Rows.select(
            city_funding_query(counted.undertakings)), campaign_id))
    if funding:
        sums = "".join(f", CAST(coalesce(sum(c.{s}), 0) AS BIGINT) AS {s}"
                       for s in FUNDING_SOURCES)
        used.append(Source(TOTALS_TABLE, TOTALS.replace("{sums}", sums), (campaign_id,)))
    else:
        used.append(Source(TOTALS_TABLE, CAMPAIGN_ONLY, (campaign_id,)))
    return RootPlan(key, "object", target=target, sources=tuple(used),
                    requires=counted.requires)
