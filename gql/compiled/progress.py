"""`declarationProgress` compiled: the counts, the groups and the schools' lists in one
statement.

Its rows are the resolver path's own: the scoping of gql/oversight/scope.py (the caller's
organisations, or one city's), the queries of models/oversight.py progress_queries joined as
school_progress joins them (SCHOOL_PROGRESS_SQL), counted as StatusCounts.add counts
(status_counts_sql). This module only adds what declaration_progress adds in Python: the
groups (every city-level unit in scope, and the parent of every school: the province for
the schools attached to it directly), their label and the ids' parts; and Progress.schools
(paginate_list over the rows filtered and sorted in Python): the rows with the columns of
gql/oversight/types.py SORT_SQL, filtered by schools_where_sql, and a page of them past its
cursors, as derived tables of their own per `schools` selected. Falls back when the page's
arguments or its cursors are refused (or have values of other types than its key's), and
when a city or a campaign is not found (the statement answers NULL): strawberry gives the
error.
"""

from __future__ import annotations

from typing import Any

from graphql import FieldNode, GraphQLField
from tortoise.expressions import Subquery

from gql.compiled.connections import ConnectionPlan, connection_parts
from gql.compiled.plan import Fallback, Leaf, Planner, Rows
from gql.compiled.render import Dialect, checked
from gql.compiled.roots import RootPlan, Source, binder, object_type
from gql.compiled.sums import reads, requires_of

SCHOOLS = "gql_school_progress"
ZERO, ONE = "'0'", "'1'"  # a stamp's order column: none first, then the stamps in order

# The progress's one row (an aggregate without GROUP BY: one row, zeros when no school).
PROGRESS = "SELECT {r0} AS campaign_id, {counts} FROM gql_school_progress p"

# declaration_progress's groups: the city-level units in scope ({r0}) and the parent of
# every school, each with its schools' counts; the label is gql/oversight/queries.py
# group_label_sql.
GROUPS = ("SELECT u.id AS unit_id, {r1} AS campaign_id, {label} AS label, {counts}"
          " FROM organization u LEFT JOIN gql_school_progress p ON p.parent_id = u.id"
          " WHERE u.id IN {r0} OR u.id IN (SELECT parent_id FROM gql_school_progress)"
          " GROUP BY u.id, u.kind, u.name")


def plan_declaration_progress(planner: Planner, key: str, field: GraphQLField,
                              nodes: list[FieldNode]) -> RootPlan:
    from gql.oversight.queries import group_label_sql
    from gql.oversight.scope import planned_scope
    from gql.oversight.types import GROUP_PROGRESS_TABLE, PROGRESS_TABLE
    from models.declaration import DeclarationStatus
    from models.enums import OrgKind
    from models.oversight import SCHOOL_PROGRESS_SQL, progress_queries, status_counts_sql

    args = planner.arguments(field, nodes[0])
    # oversight_scope's rules: a city asked for must be one the caller manages
    scope = planned_scope(planner.principal, args.get("cityCode"), args.get("campaignCode"))
    orgs, campaign = scope.organizations, scope.campaign
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
        values, bind = binder()
        label = group_label_sql("u", bind)
        used.append(Source(
            GROUP_PROGRESS_TABLE, GROUPS.replace("{counts}", status_counts_sql("p")).replace(
                "{label}", label),
            (Rows.of(orgs.filter(kind=OrgKind.CITY)), campaign_id), tuple(values)))
    for f in target.fields:  # each schools(...) selected: its rows and its page
        if isinstance(f, Leaf) and f.kind == "connection":
            used.extend(f.connection.sources)
    return RootPlan(key, "object", target=target, sources=tuple(used),
                    requires=requires_of(scope))


def school_rows(where: str, stamps: set[str]) -> Any:
    """The schools' rows of a list (SCHOOL_PROGRESS_SQL's, with the ids' parts and SORT_SQL's
    columns; of the stamps only those named, each with its order column `<stamp>_key`: '0'
    for none, '1' and the stamp for one), filtered by `where` (over them as `r`), for the
    dialect."""
    from gql.oversight.types import status_order_sql

    def select(d: Dialect) -> str:
        def stamp(column: str, name: str) -> str:
            text = d.utc_stamp(f"p.{column}")
            return (f"{text} AS {name}, CASE WHEN p.{column} IS NULL THEN {d.binary_text(ZERO)}"
                    f" ELSE {d.binary_text(ONE + ' || ' + text)} END AS {name}_key")

        return ("SELECT * FROM (SELECT p.school_id AS id,"
                " (SELECT campaign_id FROM gql_progress) AS campaign_id, p.status,"
                " p.item_count, p.funding_cents, p.last_change_at, p.last_login_at,"
                " p.never_logged_in,"
                f" {d.binary_text('o.name')} AS name, {d.binary_text('o.code')} AS code,"
                f" {status_order_sql('p.status')} AS status_order"
                + "".join(f", {stamp(column, name)}" for column, name in (
                    ("last_change_at", "change_stamp"), ("last_login_at", "login_stamp"))
                    if name in stamps)
                + " FROM gql_school_progress p JOIN organization o ON o.id = p.school_id) r"
                f"{where}")

    return select


def plan_schools(planner: Planner, key: str, field: GraphQLField, nodes: list[FieldNode]
                 ) -> ConnectionPlan:
    """Progress.schools: its rows and one page of them, as two derived tables."""
    from gql.errors import ApiError
    from gql.oversight.types import SORT_SQL, ProgressSort, schools_where_sql
    from gql.pagination import Page

    args = planner.arguments(field, nodes[0])
    sort = ProgressSort(args.get("sort") or ProgressSort.STATUS)
    spec = SORT_SQL[sort]
    try:
        page = Page(args.get("first"), args.get("after"), args.get("last"),
                    args.get("before"), len(spec))
    except ApiError as exc:  # strawberry says it (or, on an empty list, reads no cursor)
        raise Fallback(f"{key}: page arguments refused: {exc}") from exc
    for bound in (page.after, page.before):
        if bound is not None and not all(_of_kind(v, kind) for v, (_, kind) in zip(
                bound, spec, strict=True)):
            raise Fallback(f"{key}: a cursor of another list")
    values, bind = binder()
    where = schools_where_sql(args, bind, "r")
    rows_values = tuple(values)
    values.clear()
    order = [f"{checked(c)}_key" if kind == "stamp" else checked(c) for c, kind in spec]
    past = [_beyond(order, [_key(v, kind) for v, (_, kind) in zip(b, spec, strict=True)],
                    greater, bind)
            for b, greater in ((page.after, True), (page.before, False)) if b is not None]
    direction = " DESC" if page.backwards else ""
    # (prefixes apart: no two keys name the same table)
    rows, paged = f"gql_schools_{checked(key)}", f"gql_page_{checked(key)}"
    page_select = (f"SELECT r.id FROM {rows} r{_where(past)}"
                   f" ORDER BY {', '.join(f'r.{c}{direction}' for c in order)}"
                   f" LIMIT {bind(page.size + 1)}")
    stamps = {c for c, kind in spec if kind == "stamp"}
    sources = (Source(rows, school_rows(_where(where), stamps), (), rows_values),
               Source(paged, page_select, (), tuple(values)))
    return ConnectionPlan(
        _connection_name(field), connection_parts(planner, field, nodes), rows,
        Rows(f"SELECT id FROM {paged}", ()), Rows(f"SELECT id FROM {rows}", ()), page.size,
        page.backwards, page.after is not None, page.before is not None,
        tuple((c, page.backwards) for c in order),
        tuple((c, kind == "int") for c, kind in spec), bounds_need_rows=True, sources=sources)


def _connection_name(field: GraphQLField) -> str:
    from gql.compiled.plan import unwrap

    return str(unwrap(field.type)[0].name)


def _of_kind(value: Any, kind: str) -> bool:
    """A cursor's value has the type its key's column has (decode_cursor let it through:
    None, a str or an int within bounds)."""
    if kind == "int":
        return isinstance(value, int)
    if kind == "text":
        return isinstance(value, str)
    return value is None or isinstance(value, str)


def _key(value: Any, kind: str) -> Any:
    """A cursor's value as its order column holds it."""
    if kind == "stamp":
        return "0" if value is None else "1" + value
    return value


def _beyond(columns: list[str], values: list[Any], greater: bool, bind: Any) -> str:
    """gql/pagination.py _beyond in SQL: rows after (or before) `values`, lexicographically."""
    op = ">" if greater else "<"
    alternatives = []
    for i, column in enumerate(columns):
        equal = [f"r.{c} = {bind(v)}" for c, v in zip(columns[:i], values[:i], strict=True)]
        alternatives.append("(" + " AND ".join([*equal, f"r.{column} {op} {bind(values[i])}"])
                            + ")")
    return "(" + " OR ".join(alternatives) + ")"


def _where(conditions: list[str]) -> str:
    return f" WHERE {' AND '.join(conditions)}" if conditions else ""
