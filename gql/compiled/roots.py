"""Root fields the compiler answers, each planned from the same queryset builder its resolver
uses (so filters, defaults and scoping are written once)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from graphql import FieldNode, GraphQLField, GraphQLObjectType
from strawberry import relay
from tortoise.expressions import Subquery

from gql.compiled.declare import REGISTRY
from gql.compiled.plan import Fallback, ObjectPlan, Planner, Rows, unwrap

if TYPE_CHECKING:
    from gql.compiled.connections import ConnectionPlan
from gql.nodes import db_id


@dataclass(frozen=True)
class Source:
    """A derived table the statement defines first (`WITH name AS (...)`), read by a
    declared type whose table is `name`. `select` is SQL text from the code in which
    `{r0}`, `{r1}`... stand for the subqueries `rows` and `{p0}`... for bound `values`; a
    callable gives that text for the dialect (render.py Dialect) it is rendered in."""

    name: str
    select: str | Callable[[Any], str]
    rows: tuple[Rows, ...] = ()
    values: tuple[Any, ...] = ()


def binder() -> tuple[list[Any], Callable[[Any], str]]:
    """Values to bind, and the function giving a value's `{pN}` in a Source's text."""
    values: list[Any] = []

    def bind(value: Any) -> str:
        values.append(value)
        return f"{{p{len(values) - 1}}}"

    return values, bind


@dataclass(frozen=True)
class RootPlan:
    key: str
    kind: str  # constant | object | list | connection
    constant: str = "null"  # JSON text, for kind constant
    target: ObjectPlan | None = None
    rows: Rows | None = None  # ids the root may answer
    id_equals: int | None = None  # one row by id, for an unscoped node
    connection: ConnectionPlan | None = None  # for kind connection
    order: tuple[tuple[str, bool], ...] = ()  # for kind list
    # A row that must exist for the answer (else strawberry answers, with its error).
    requires: tuple[Rows, ...] = ()
    sources: tuple[Source, ...] = ()


RootHandler = Callable[[Planner, str, GraphQLField, list[FieldNode]], RootPlan]


def plan_organization(planner: Planner, key: str, field: GraphQLField,
                      nodes: list[FieldNode]) -> RootPlan:
    from gql.org.queries import organization_by_code

    args = planner.arguments(field, nodes[0])
    target = planner.object(object_type(field), nodes)
    return RootPlan(key, "object", target=target,
                    rows=Rows.of(organization_by_code(planner.principal, args["code"])))


def plan_organizations(planner: Planner, key: str, field: GraphQLField,
                       nodes: list[FieldNode]) -> RootPlan:
    from gql.compiled.connections import plan_connection
    from gql.org.queries import ORGANIZATION_PAGE_ORDER, organizations_filtered

    args = planner.arguments(field, nodes[0])
    queryset = organizations_filtered(planner.principal, kind=args.get("kind"),
                                      parent_code=args.get("parentCode"),
                                      school_type=args.get("schoolType"),
                                      search=args.get("search"))
    return RootPlan(key, "connection", connection=plan_connection(
        planner, key, field, nodes, queryset, ORGANIZATION_PAGE_ORDER, args))


def plan_task_catalog(planner: Planner, key: str, field: GraphQLField,
                      nodes: list[FieldNode]) -> RootPlan:
    from gql.catalog.queries import campaign_named, catalog_top, catalog_view
    from gql.catalog.types import CATALOG_ORDER
    from models.enums import SchoolType

    args = planner.arguments(field, nodes[0])
    school_type = args.get("schoolType")
    view = catalog_view(planner.principal, SchoolType(school_type) if school_type else None,
                        bool(args.get("includeRetired")))
    campaign = campaign_named(args.get("campaignCode"))
    planner.views = {"catalog": view}
    try:
        target = planner.object(object_type(field), nodes)
    finally:
        planner.views = {}
    rows = catalog_top(view).filter(campaign_id__in=Subquery(campaign.values("id")))
    return RootPlan(key, "list", target=target, rows=Rows.of(rows),
                    order=planner.order(target.type_name, CATALOG_ORDER),
                    requires=(Rows.of(campaign),))


def plan_campaigns(planner: Planner, key: str, field: GraphQLField,
                   nodes: list[FieldNode]) -> RootPlan:
    from models import Campaign
    from models.catalog import NEWEST_FIRST

    target = planner.object(object_type(field), nodes)
    return RootPlan(key, "list", target=target, rows=Rows.of(Campaign.all()),
                    order=planner.order(target.type_name, NEWEST_FIRST))


def plan_me(planner: Planner, key: str, field: GraphQLField,
            nodes: list[FieldNode]) -> RootPlan:
    from permissions.scoping import visible_users

    principal = planner.principal  # the gate (IsAuthenticated) passed: there is a caller
    return RootPlan(key, "object", target=planner.object(object_type(field), nodes),
                    rows=Rows.of(visible_users(principal).filter(id=principal.user_id)))


def plan_reporting_rounds(planner: Planner, key: str, field: GraphQLField,
                          nodes: list[FieldNode]) -> RootPlan:
    from gql.catalog.queries import campaign_named
    from models.catalog import YEAR_ORDER, ReportingRound

    campaign = campaign_named(planner.arguments(field, nodes[0]).get("campaignCode"))
    target = planner.object(object_type(field), nodes)
    rows = ReportingRound.filter(campaign_id__in=Subquery(campaign.values("id")))
    return RootPlan(key, "list", target=target, rows=Rows.of(rows),
                    order=planner.order(target.type_name, YEAR_ORDER),
                    requires=(Rows.of(campaign),))


def plan_certification_round(planner: Planner, key: str, field: GraphQLField,
                             nodes: list[FieldNode]) -> RootPlan:
    from gql.catalog.queries import campaign_named
    from models.certification import year_round

    args = planner.arguments(field, nodes[0])
    campaign = campaign_named(args.get("campaignCode"))
    rows = year_round(campaign, args["year"])  # as the resolver loads it
    return RootPlan(key, "object", target=planner.object(object_type(field), nodes),
                    rows=Rows.of(rows), requires=(Rows.of(campaign),))


def plan_operation_log(planner: Planner, key: str, field: GraphQLField,
                       nodes: list[FieldNode]) -> RootPlan:
    from gql.audit.queries import ORDER, conditions_of_graphql, filtered
    from gql.compiled.connections import plan_connection

    args = planner.arguments(field, nodes[0])
    queryset = filtered(conditions_of_graphql(args.get("filter")))
    return RootPlan(key, "connection", connection=plan_connection(
        planner, key, field, nodes, queryset, ORDER, args))


def plan_change_requests(planner: Planner, key: str, field: GraphQLField,
                         nodes: list[FieldNode]) -> RootPlan:
    from gql.performance.queries import change_requests_listed
    from models.performance import CHANGE_REQUEST_ORDER

    # the resolver's rows, its limit inside the ids' subquery, its order on the list
    listed = change_requests_listed(planner.principal,
                                    planner.arguments(field, nodes[0]).get("status"))
    target = planner.object(object_type(field), nodes)
    return RootPlan(key, "list", target=target, rows=Rows.of(listed),
                    order=planner.order(target.type_name, CHANGE_REQUEST_ORDER))


def plan_organization_contact(planner: Planner, key: str, field: GraphQLField,
                              nodes: list[FieldNode]) -> RootPlan:
    from permissions.scoping import managed_organizations

    code = str(planner.arguments(field, nodes[0])["organizationCode"]).strip()
    rows = managed_organizations(planner.principal).filter(code=code)
    return RootPlan(key, "object", target=planner.object(object_type(field), nodes),
                    rows=Rows.of(rows))


def plan_task_entry(planner: Planner, key: str, field: GraphQLField,
                    nodes: list[FieldNode]) -> RootPlan:
    from gql.catalog.queries import campaign_named, entry_numbered

    args = planner.arguments(field, nodes[0])
    campaign = campaign_named(args.get("campaignCode"))
    rows = entry_numbered(args["number"]).filter(
        campaign_id__in=Subquery(campaign.values("id")))
    return RootPlan(key, "object", target=planner.object(object_type(field), nodes),
                    rows=Rows.of(rows), requires=(Rows.of(campaign),))


def plan_declaration(planner: Planner, key: str, field: GraphQLField,
                     nodes: list[FieldNode]) -> RootPlan:
    from gql.catalog.queries import campaign_named
    from gql.declarations.queries import declaring_organization
    from permissions.scoping import managed_organizations

    args = planner.arguments(field, nodes[0])
    campaign = campaign_named(args.get("campaignCode"))
    planner.views = {"campaign": campaign}
    try:
        target = planner.object(object_type(field), nodes)
    finally:
        planner.views = {}
    # what declaration_of answers: an organisation the caller manages, not just sees
    orgs = declaring_organization(planner.principal, args.get("organizationCode")).filter(
        id__in=Subquery(managed_organizations(planner.principal).values("id")))
    return RootPlan(key, "object", target=target, rows=Rows.of(orgs),
                    requires=(Rows.of(campaign),))


def plan_node(planner: Planner, key: str, field: GraphQLField,
              nodes: list[FieldNode]) -> RootPlan:
    args = planner.arguments(field, nodes[0])
    try:
        parsed = relay.GlobalID.from_id(str(args["id"]))
    except (relay.GlobalIDValueError, ValueError):
        return RootPlan(key, "constant")
    sql = REGISTRY.get(parsed.type_name)
    type_ = planner.schema.get_type(parsed.type_name)
    if sql is None or not sql.node or not isinstance(type_, GraphQLObjectType):
        raise Fallback(f"node of type {parsed.type_name!r} is not compiled")
    node_id = db_id(parsed.node_id)
    if node_id is None:
        return RootPlan(key, "constant")
    target = planner.object(type_, nodes)
    if sql.scope is None:
        return RootPlan(key, "object", target=target, id_equals=node_id)
    return RootPlan(key, "object", target=target,
                    rows=Rows.of(sql.scope(planner.principal).filter(id=node_id)))


def plan_undertaking_sums(planner: Planner, key: str, field: GraphQLField,
                          nodes: list[FieldNode]) -> RootPlan:
    from gql.compiled.sums import plan_undertaking_sums as plan

    return plan(planner, key, field, nodes)


def plan_undertaking_totals(planner: Planner, key: str, field: GraphQLField,
                            nodes: list[FieldNode]) -> RootPlan:
    from gql.compiled.totals import plan_undertaking_totals as plan

    return plan(planner, key, field, nodes)


def plan_compliance(planner: Planner, key: str, field: GraphQLField,
                    nodes: list[FieldNode]) -> RootPlan:
    from gql.compiled.compliance import plan_compliance as plan

    return plan(planner, key, field, nodes)


def plan_reporting_progress(planner: Planner, key: str, field: GraphQLField,
                            nodes: list[FieldNode]) -> RootPlan:
    from gql.compiled.reporting import plan_reporting_progress as plan

    return plan(planner, key, field, nodes)


def plan_performance_report(planner: Planner, key: str, field: GraphQLField,
                            nodes: list[FieldNode]) -> RootPlan:
    from gql.compiled.reports import plan_performance_report as plan

    return plan(planner, key, field, nodes)


def plan_performance_sums(planner: Planner, key: str, field: GraphQLField,
                          nodes: list[FieldNode]) -> RootPlan:
    from gql.compiled.performance_sums import plan_performance_sums as plan

    return plan(planner, key, field, nodes)


def plan_performance_totals(planner: Planner, key: str, field: GraphQLField,
                            nodes: list[FieldNode]) -> RootPlan:
    from gql.compiled.performance_sums import plan_performance_totals as plan

    return plan(planner, key, field, nodes)


def plan_certification_sums(planner: Planner, key: str, field: GraphQLField,
                            nodes: list[FieldNode]) -> RootPlan:
    from gql.compiled.certification_sums import plan_certification_sums as plan

    return plan(planner, key, field, nodes)


def plan_declaration_progress(planner: Planner, key: str, field: GraphQLField,
                              nodes: list[FieldNode]) -> RootPlan:
    from gql.compiled.progress import plan_declaration_progress as plan

    return plan(planner, key, field, nodes)


def plan_notices(planner: Planner, key: str, field: GraphQLField,
                 nodes: list[FieldNode]) -> RootPlan:
    from gql.compiled.notices import plan_notices as plan

    return plan(planner, key, field, nodes)


def plan_sent_notices(planner: Planner, key: str, field: GraphQLField,
                      nodes: list[FieldNode]) -> RootPlan:
    from gql.compiled.notices import plan_sent_notices as plan

    return plan(planner, key, field, nodes)


def plan_notice(planner: Planner, key: str, field: GraphQLField,
                nodes: list[FieldNode]) -> RootPlan:
    from gql.compiled.notices import plan_notice as plan

    return plan(planner, key, field, nodes)


def plan_reminders(planner: Planner, key: str, field: GraphQLField,
                   nodes: list[FieldNode]) -> RootPlan:
    from gql.compiled.reminders import plan_reminders as plan

    return plan(planner, key, field, nodes)


def object_type(field: GraphQLField) -> GraphQLObjectType:
    type_, _ = unwrap(field.type)
    if not isinstance(type_, GraphQLObjectType):
        raise Fallback("an abstract type")
    return type_


ROOTS: dict[str, RootHandler] = {
    "organization": plan_organization,
    "organizations": plan_organizations,
    "operationLog": plan_operation_log,
    "organizationContact": plan_organization_contact,
    "node": plan_node,
    "me": plan_me,
    "campaigns": plan_campaigns,
    "reportingRounds": plan_reporting_rounds,
    "certificationRound": plan_certification_round,
    "changeRequests": plan_change_requests,
    "taskCatalog": plan_task_catalog,
    "taskEntry": plan_task_entry,
    "declaration": plan_declaration,
    "undertakingSums": plan_undertaking_sums,
    "undertakingTotals": plan_undertaking_totals,
    "compliance": plan_compliance,
    "reportingProgress": plan_reporting_progress,
    "performanceReport": plan_performance_report,
    "declarationProgress": plan_declaration_progress,
    "performanceSums": plan_performance_sums,
    "performanceTotals": plan_performance_totals,
    "certificationSums": plan_certification_sums,
    "notices": plan_notices,
    "sentNotices": plan_sent_notices,
    "notice": plan_notice,
    "reminders": plan_reminders,
}


def plan_root(planner: Planner, query_type: GraphQLObjectType, key: str,
              nodes: list[FieldNode]) -> RootPlan:
    name = nodes[0].name.value
    if name == "__typename":
        return RootPlan(key, "constant", constant=f'"{query_type.name}"')
    handler = ROOTS.get(name)
    if handler is None:
        raise Fallback(f"root field {name} is not compiled")
    field = query_type.fields[name]
    planner.check_gates(field, name)
    planner.requires = []
    plan: RootPlan = handler(planner, key, field, nodes)
    if planner.requires:
        if plan.kind not in ("object", "list"):
            raise Fallback(f"{key}: a nested field needs rows this root cannot require")
        plan = replace(plan, requires=(*plan.requires, *planner.requires))
    return plan
