"""`performanceSums(year, ...)` and `performanceTotals(year, ...)` compiled: planned against
achieved per item and its groups, in one statement.

Its rows are the resolver path's own queries, run inside the statement: the scoping of
gql/oversight/scope.py (a city bureau's, or one city's, undertakings and report lines), the
round of the campaign asked for (or the newest) and that year, the counted report statuses
of models/totals.py, the two GROUP BY queries of models/oversight.py performance_queries and
its loop's SQL form (performance_sums_sql). This module only adds what
gql/performance/queries.py adds in Python: the ids' parts, the group's label, and which
statuses count. Falls back when the statuses are refused, and when the city, the campaign or
the round is not found (the statement answers NULL): strawberry gives the error.
"""

from __future__ import annotations

from graphql import FieldNode, GraphQLField

from gql.compiled.plan import Fallback, Planner, Rows
from gql.compiled.roots import RootPlan, Source, binder, object_type
from gql.compiled.sums import reads, requires_of

PLANNED_TABLE = "gql_performance_planned"
ACHIEVED_TABLE = "gql_performance_achieved"

# A GROUP BY query's rows as a derived table of their own (read twice by the loop's SQL).
AS_IS = "SELECT * FROM {r0} q"

# The per-item rows, with the parts of the id (the unit whose schools it sums, the round).
ITEMS = "SELECT s.*, {r0} AS unit_id, {r1} AS round_id FROM ({sums}) s"

# With the groups read anyway, the per-item rows are their roll-up (the same keys: an item
# has a row iff a group of it has; sums of integers and cents are exact). CAST: PostgreSQL's
# sum of bigints is numeric.
ROLLED_UP = ("SELECT g.item_id, {columns}, {r0} AS unit_id, g.round_id"
             " FROM {groups} g GROUP BY g.item_id, g.round_id")

# The per-item-and-group rows with their label and round; group_key is the id's unit part.
GROUPS = "SELECT s.*, {r0} AS round_id, {label} AS label FROM ({sums}) s" \
         " LEFT JOIN organization u ON u.id = s.group_id"


def plan_performance_sums(planner: Planner, key: str, field: GraphQLField,
                          nodes: list[FieldNode]) -> RootPlan:
    return _plan(planner, key, field, nodes, totals_row=False)


def plan_performance_totals(planner: Planner, key: str, field: GraphQLField,
                            nodes: list[FieldNode]) -> RootPlan:
    return _plan(planner, key, field, nodes, totals_row=True)


def _plan(planner: Planner, key: str, field: GraphQLField, nodes: list[FieldNode], *,
          totals_row: bool) -> RootPlan:
    from gql.oversight.queries import item_group_label_sql
    from gql.oversight.scope import planned_scope
    from gql.performance.queries import (
        PERFORMANCE_GROUP_SUMS_TABLE,
        PERFORMANCE_ITEM_ORDER,
        PERFORMANCE_ITEM_SUMS_TABLE,
        PERFORMANCE_TOTALS_TABLE,
    )
    from models import totals
    from models.errors import DomainError
    from models.oversight import performance_queries, performance_sums_sql
    from models.reports import year_round
    from models.undertaking import FUNDING_SOURCES

    args = planner.arguments(field, nodes[0])
    try:
        counted = totals.statuses_or_default(args.get("reportStatuses"),
                                             totals.DEFAULT_REPORTS)
    except DomainError as exc:
        raise Fallback(f"{key}: {exc.message}") from exc
    # oversight_scope's rules: a city asked for must be one the caller manages
    scope = planned_scope(planner.principal, args.get("cityCode"), args.get("campaignCode"))
    campaign, unit = scope.campaign, scope.unit
    round_ = year_round(campaign, args["year"])  # as reports.round_of loads it
    target = planner.object(object_type(field), nodes)
    items_read = reads(target, "PerformanceItemSum") if totals_row else True
    by_group = reads(target, "PerformanceGroupSum")
    planned, achieved = performance_queries(
        scope.undertakings, scope.entries, campaign, round_, by_group=by_group,
        report_statuses=counted)
    sums = performance_sums_sql(by_group).replace("{planned}", PLANNED_TABLE).replace(
        "{achieved}", ACHIEVED_TABLE)
    sources: list[Source] = []
    if items_read:  # only what the selection reads (an unused derived table is computed)
        sources += [Source(PLANNED_TABLE, AS_IS, (Rows.select(planned),)),
                    Source(ACHIEVED_TABLE, AS_IS, (Rows.select(achieved),))]
        if by_group:
            values, bind = binder()
            label = item_group_label_sql("s.group_id", "u", bind)
            sources.append(Source(PERFORMANCE_GROUP_SUMS_TABLE, GROUPS.replace(
                "{sums}", sums).replace("{label}", label), (Rows.of(round_),), tuple(values)))
            columns = ", ".join(
                f"CAST(sum(g.{c}) AS BIGINT) AS {c}" for c in (
                    "planned_quantity", "achieved_quantity",
                    *(f"{side}_{s}" for side in ("planned", "spent") for s in FUNDING_SOURCES)))
            sources.append(Source(PERFORMANCE_ITEM_SUMS_TABLE, ROLLED_UP.replace(
                "{columns}", columns).replace("{groups}", PERFORMANCE_GROUP_SUMS_TABLE),
                (Rows.of(unit),)))
        else:
            sources.append(Source(PERFORMANCE_ITEM_SUMS_TABLE, ITEMS.replace("{sums}", sums),
                                  (Rows.of(unit), Rows.of(round_))))
    # a city asked for first (NOT_FOUND), then the campaign, then its round (ROUND_NOT_FOUND)
    requires = (*requires_of(scope), Rows.of(round_))
    if not totals_row:
        return RootPlan(key, "list", target=target, sources=tuple(sources),
                        order=planner.order(target.type_name, PERFORMANCE_ITEM_ORDER),
                        requires=requires)
    # which statuses count: one boolean column each (PerformanceTotals's FlagList)
    flags = [s in counted for s in totals.ORDER]
    row = "SELECT {r0} AS round_id, " + ", ".join(
        f"{{p{i}}} AS counts_{s.value}" for i, s in enumerate(totals.ORDER))
    sources.append(Source(PERFORMANCE_TOTALS_TABLE, row, (Rows.of(round_),), tuple(flags)))
    return RootPlan(key, "object", target=target, sources=tuple(sources), requires=requires)
