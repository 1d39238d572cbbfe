"""`undertakingSums` compiled: the per-item sums and their groups in one statement.

Its rows are the resolver path's own queries, run inside the statement: the scoping of
gql/oversight/scope.py (a city bureau's schools, or one city's), the counted declarations
of models/totals.py (statuses and their default), the GROUP BY of models/oversight.py
item_sums_query (integer cents). This module only adds, beside those rows, what the resolver
path adds in Python: the ids' parts, the group's unit and label, and the order. Falls back
when the statuses are refused, and when the city or the campaign is not found (the
statement answers NULL): strawberry gives the error.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from graphql import FieldNode, GraphQLField

from gql.compiled.plan import Fallback, Nested, ObjectPlan, Planner, Rows
from gql.compiled.roots import RootPlan, Source, binder, object_type

if TYPE_CHECKING:
    from gql.oversight.scope import PlannedScope

# The per-item rows, with the parts of ItemSum's id (the unit whose schools it sums).
ITEMS = "SELECT s.*, {r1} AS unit_id, {r2} AS campaign_id FROM {r0} s"

# With the groups read anyway, the per-item rows are their roll-up (the same undertakings
# counted: the sums of integer counts and cents are exact), so the undertakings are scanned
# once. CAST: PostgreSQL's sum of bigints is numeric, and the percentage divides integers.
ROLLED_UP = ("SELECT g.item_id, {sums}, {r0} AS unit_id, g.campaign_id"
             " FROM gql_group_sums g GROUP BY g.item_id, g.campaign_id")

# The per-item-and-group rows: a school's group is its parent; the province office's own
# undertakings have none (id 0, the province as unit, listed first). The label, at
# `{label}`, is gql/oversight/queries.py item_group_label_sql (groups_source puts it).
GROUPS = ("SELECT g.*, coalesce(g.organization__parent_id, {r1}) AS unit_id,"
          " coalesce(g.organization__parent_id, 0) AS group_key, {r2} AS campaign_id,"
          " CASE WHEN g.organization__parent_id IS NULL THEN 0 ELSE 1 END AS own_first,"
          " {label} AS label"
          " FROM {r0} g LEFT JOIN organization u ON u.id = g.organization__parent_id")


@dataclass(frozen=True)
class Counted:
    """What a total counts, scoped as the resolver path scopes it (oversight_scope, then
    counted_undertakings): undertakingSums's and undertakingTotals's."""

    statuses: list[Any]  # the DeclarationStatus members counted, in the flow's order
    undertakings: Any  # QuerySet[Undertaking]: the counted ones
    campaign: Any  # QuerySet[Campaign]: the one asked for, or the newest
    unit: Any  # QuerySet[Organization]: the unit whose schools it sums
    requires: tuple[Rows, ...]  # a city asked for first (NOT_FOUND), then the campaign


def counted_of(planner: Planner, key: str, args: dict[str, Any]) -> Counted:
    """Falls back when the statuses are refused (strawberry says why)."""
    from gql.oversight.scope import planned_scope
    from models import totals
    from models.errors import DomainError

    try:
        statuses = totals.statuses_or_default(args.get("statuses"),
                                              totals.DEFAULT_DECLARATIONS)
    except DomainError as exc:
        raise Fallback(f"{key}: {exc.message}") from exc
    scope = planned_scope(planner.principal, args.get("cityCode"), args.get("campaignCode"))
    return Counted(statuses, totals.counted_undertakings(scope.undertakings, scope.campaign,
                                                         statuses),
                   scope.campaign, scope.unit, requires_of(scope))


def requires_of(scope: PlannedScope) -> tuple[Rows, ...]:
    """The rows a planned_scope's answer needs, in the resolver's order of errors: a city
    asked for (NOT_FOUND), then the campaign (NOT_FOUND)."""
    return (*((Rows.of(scope.city),) if scope.city is not None else ()),
            Rows.of(scope.campaign))


def plan_undertaking_sums(planner: Planner, key: str, field: GraphQLField,
                          nodes: list[FieldNode]) -> RootPlan:
    from gql.oversight.types import ITEM_SUMS_ORDER

    counted = counted_of(planner, key, planner.arguments(field, nodes[0]))
    target = planner.object(object_type(field), nodes)
    return RootPlan(key, "list", target=target, sources=item_sum_sources(counted, target),
                    order=planner.order(target.type_name, ITEM_SUMS_ORDER),
                    requires=counted.requires)


def item_sum_sources(counted: Counted, target: ObjectPlan) -> tuple[Source, ...]:
    """The derived tables of the ItemSum rows (and of their groups, if `target` reads them)."""
    from gql.oversight.types import GROUP_SUMS_TABLE, ITEM_SUMS_TABLE
    from models.oversight import item_sums_query
    from models.undertaking import FUNDING_SOURCES

    campaign_id = Rows.of(counted.campaign)
    if reads(target, "GroupItemSum"):
        groups = groups_source(GROUP_SUMS_TABLE, Rows.select(item_sums_query(
            counted.undertakings, counted.campaign, by_group=True)), campaign_id)
        sums = ", ".join(f"CAST(sum(g.{c}) AS BIGINT) AS {c}"
                         for c in ("orgs", "qty", *FUNDING_SOURCES))
        return (groups, Source(ITEM_SUMS_TABLE, ROLLED_UP.replace("{sums}", sums),
                               (Rows.of(counted.unit),)))
    # only what the selection reads (an unused derived table would still be computed)
    return (Source(ITEM_SUMS_TABLE, ITEMS, (
        Rows.select(item_sums_query(counted.undertakings, counted.campaign, by_group=False)),
        Rows.of(counted.unit), campaign_id)),)


def groups_source(name: str, rows: Rows, campaign_id: Rows) -> Source:
    """GROUPS over the per-group rows `rows` (item_sums_query's or city_funding_query's),
    as the derived table `name`."""
    from gql.oversight.queries import item_group_label_sql
    from models import Organization
    from models.enums import OrgKind

    values, bind = binder()
    label = item_group_label_sql("g.organization__parent_id", "u", bind)
    return Source(name, GROUPS.replace("{label}", label),
                  (rows, Rows.of(Organization.filter(kind=OrgKind.PROVINCE)), campaign_id),
                  tuple(values))


def reads(plan: ObjectPlan, type_name: str) -> bool:
    """Whether the selection reaches rows of `type_name` anywhere."""
    return any(isinstance(f, Nested) and (f.target.type_name == type_name
                                          or reads(f.target, type_name))
               for f in plan.fields)
