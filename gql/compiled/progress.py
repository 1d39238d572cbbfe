"""`declarationProgress` compiled: the counts and the groups in one statement.

Its rows are the resolver path's own: the scoping of gql/oversight/scope.py (the caller's
organisations, or one city's), the queries of models/oversight.py progress_queries joined as
school_progress joins them (SCHOOL_PROGRESS_SQL), counted as StatusCounts.add counts
(status_counts_sql). This module only adds what declaration_progress adds in Python: the
groups (every city-level unit in scope, and the parent of every school: the province for
the schools attached to it directly), their label and the ids' parts. A selection with the
schools' list (`schools(...)`: arguments) falls back; so do a city or a campaign that is
not found (the statement answers NULL): strawberry gives the error.
"""

from __future__ import annotations

from graphql import FieldNode, GraphQLField
from tortoise.expressions import Subquery

from gql.compiled.plan import Planner, Rows
from gql.compiled.roots import RootPlan, Source, object_type
from gql.compiled.sums import reads

SCHOOLS = "gql_school_progress"

# The progress's one row (an aggregate without GROUP BY: one row, zeros when no school).
PROGRESS = "SELECT {r0} AS campaign_id, {counts} FROM gql_school_progress p"

# declaration_progress's groups: the city-level units in scope ({r0}) and the parent of
# every school, each with its schools' counts; the label is gql/oversight/queries.py
# _group_label's choice ({p0}: the province's kind, {p1}: its directly attached schools).
GROUPS = ("SELECT u.id AS unit_id, {r1} AS campaign_id,"
          " CASE WHEN u.kind = {p0} THEN {p1} ELSE u.name END AS label, {counts}"
          " FROM organization u LEFT JOIN gql_school_progress p ON p.parent_id = u.id"
          " WHERE u.id IN {r0} OR u.id IN (SELECT parent_id FROM gql_school_progress)"
          " GROUP BY u.id, u.kind, u.name")


def plan_declaration_progress(planner: Planner, key: str, field: GraphQLField,
                              nodes: list[FieldNode]) -> RootPlan:
    from gql.catalog.queries import campaign_named
    from gql.oversight.queries import DIRECT_SCHOOLS_LABEL
    from gql.oversight.scope import city_named, in_city
    from gql.oversight.types import GROUP_PROGRESS_TABLE, PROGRESS_TABLE
    from models.declaration import DeclarationStatus
    from models.enums import OrgKind
    from models.oversight import SCHOOL_PROGRESS_SQL, progress_queries, status_counts_sql
    from permissions.scoping import managed_organizations

    args = planner.arguments(field, nodes[0])
    principal = planner.principal
    campaign = campaign_named(args.get("campaignCode"))
    city_code = args.get("cityCode")
    # as oversight_scope: a city asked for must be one the caller manages
    city = city_named(principal, city_code) if city_code else None
    orgs = managed_organizations(principal)
    if city is not None:
        orgs = orgs.filter(in_city(Subquery(city.values("id"))))
    target = planner.object(object_type(field), nodes)
    schools = orgs.filter(kind=OrgKind.SCHOOL)
    queries = progress_queries(Subquery(schools.values("id")), campaign)
    rows = Source(SCHOOLS, SCHOOL_PROGRESS_SQL.format(
        schools="{r0}", declarations="{r1}", sums="{r2}", logins="{r3}", not_started="{p0}"),
        (Rows.select(schools.values("id", "parent_id")), Rows.select(queries.declarations),
         Rows.select(queries.sums), Rows.select(queries.logins)),
        (DeclarationStatus.NOT_STARTED.value,))
    campaign_id = Rows.of(campaign)
    progress = Source(PROGRESS_TABLE, PROGRESS.replace("{counts}", status_counts_sql("p")),
                      (campaign_id,))
    used = [rows, progress]
    if reads(target, "GroupProgress"):  # an unused derived table would still be computed
        used.append(Source(
            GROUP_PROGRESS_TABLE, GROUPS.replace("{counts}", status_counts_sql("p")),
            (Rows.of(orgs.filter(kind=OrgKind.CITY)), campaign_id),
            (OrgKind.PROVINCE.value, DIRECT_SCHOOLS_LABEL)))
    return RootPlan(key, "object", target=target, sources=tuple(used),
                    # a city asked for first (NOT_FOUND), then the campaign
                    requires=(*((Rows.of(city),) if city is not None else ()),
                              Rows.of(campaign)))
