"""Relay connections with keyset cursors (gql/pagination.py) in one statement.

Plan: the page's rows are the resolver path's own query (`page_rows`: the cursors'
filters, the order in the direction read, size + 1 rows), `totalCount` counts the unpaged
queryset. Render: those rows numbered in the order read (`gql_rn`) and placed as the
resolver path shows them (`gql_pos`, reversed when paging backwards), then one aggregate
over them builds edges, cursors and pageInfo. A cursor is `encode_cursor` of the row's
order columns: urlsafe base64 of Python's `json.dumps(["k1", kind, code, id])`.

Falls back when Page refuses the arguments (a bad cursor, a negative or double size).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from graphql import FieldNode, GraphQLField, GraphQLObjectType
from tortoise import fields as tortoise_fields
from tortoise.queryset import QuerySet

from gql.compiled.plan import Fallback, ObjectPlan, Planner, Rows, unwrap
from gql.pagination import _VERSION, Page, page_rows


@dataclass(frozen=True)
class EdgesPlan:
    typename: str
    fields: tuple[tuple[str, str, ObjectPlan | None], ...]  # (key, typename | cursor | node)


@dataclass(frozen=True)
class ConnectionPlan:
    typename: str
    # (key, typename | totalCount | edges | pageInfo, EdgesPlan or page fields)
    fields: tuple[tuple[str, str, Any], ...]
    table: str
    page: Rows  # ids of the rows read: size + 1, past the cursors
    count: Rows  # ids of the whole list
    size: int
    backwards: bool
    after: bool
    before: bool
    # the order columns as (column, descending in the direction read), and their cursor form
    order: tuple[tuple[str, bool], ...]
    cursor: tuple[tuple[str, bool], ...]  # (column, is an integer)
    # paginate_list's: on an empty list the cursors are not read (no page before or after)
    bounds_need_rows: bool = False
    # the derived tables (roots.py Source) `table`, `page` and `count` read, if any
    sources: tuple[Any, ...] = ()


def plan_connection(planner: Planner, key: str, field: GraphQLField, nodes: list[FieldNode],
                    queryset: QuerySet[Any], order: Sequence[str], args: dict[str, Any]
                    ) -> ConnectionPlan:
    try:
        page = Page(args.get("first"), args.get("after"), args.get("last"),
                    args.get("before"), len(order))
        rows = Rows.of(page_rows(queryset, page, order))
    except Exception as exc:  # ApiError, or a cursor Tortoise refuses: strawberry says it
        raise Fallback(f"{key}: page arguments refused: {exc}") from exc
    model = queryset.model
    cursor = tuple((f, isinstance(model._meta.fields_map[f], tortoise_fields.IntField))
                   for f in order)
    return ConnectionPlan(
        _object(field).name, connection_parts(planner, field, nodes), model._meta.db_table,
        rows, Rows.of(queryset), page.size, page.backwards, page.after is not None,
        page.before is not None, tuple((f, page.backwards) for f in order), cursor)


def connection_parts(planner: Planner, field: GraphQLField, nodes: list[FieldNode]
                     ) -> tuple[tuple[str, str, Any], ...]:
    """What the selection reads of a connection: (key, typename | totalCount | edges |
    pageInfo, its plan)."""
    conn = _object(field)
    edge, page_type = _object(conn.fields["edges"]), _object(conn.fields["pageInfo"])
    node = _object(edge.fields["node"])
    parts: list[tuple[str, str, Any]] = []
    for part_key, part_nodes in planner.collect(conn, (n.selection_set for n in nodes)).items():
        name = part_nodes[0].name.value
        if name == "__typename":
            parts.append((part_key, "typename", None))
            continue
        planner.check_gates(conn.fields[name], f"{conn.name}.{name}")
        if name == "edges":
            edge_parts: list[tuple[str, str, ObjectPlan | None]] = []
            for e_key, e_nodes in planner.collect(
                    edge, (n.selection_set for n in part_nodes)).items():
                e_name = e_nodes[0].name.value
                if e_name == "node":
                    edge_parts.append((e_key, "node", planner.object(node, e_nodes)))
                else:
                    edge_parts.append((e_key, "typename" if e_name == "__typename" else e_name,
                                       None))
            parts.append((part_key, "edges", EdgesPlan(edge.name, tuple(edge_parts))))
        elif name == "pageInfo":
            page_parts = tuple((p_key, p_nodes[0].name.value) for p_key, p_nodes in
                               planner.collect(page_type,
                                               (n.selection_set for n in part_nodes)).items())
            parts.append((part_key, "pageInfo", page_parts))
        elif name == "totalCount":
            parts.append((part_key, name, None))
        else:
            raise Fallback(f"{conn.name}.{name} is not compiled")
    return tuple(parts)


def _object(field: GraphQLField) -> GraphQLObjectType:
    type_, _ = unwrap(field.type)
    if not isinstance(type_, GraphQLObjectType):
        raise Fallback("an abstract type in a connection")
    return type_


def render_connection(r: Any, c: ConnectionPlan) -> str:
    """`r` is the Renderer (render.py): one SELECT over the page's rows."""
    from gql.compiled.render import checked, key_text

    d = r.dialect
    table = checked(c.table)
    inner = r.alias()

    def size() -> str:  # bound where used: PostgreSQL refuses a parameter never referenced
        return str(r.param(c.size))

    order = ", ".join(f"q.{checked(col)}{' DESC' if desc else ''}" for col, desc in c.order)
    numbered = (f"SELECT q.*, row_number() OVER (ORDER BY {order}) AS gql_rn,"
                f" count(*) OVER () AS gql_n FROM (SELECT {inner}.* FROM {table} {inner}"
                f" WHERE {inner}.id IN {r.rows(c.page)}) q")
    if c.backwards:  # the last row shown first
        position = f"((CASE WHEN n.gql_n < {size()} THEN n.gql_n ELSE {size()} END)" \
                   " - n.gql_rn + 1)"
    else:
        position = "n.gql_rn"
    placed = f"SELECT n.*, {position} AS gql_pos FROM ({numbered}) n"
    p = "p"

    def shown() -> str:
        return f"{p}.gql_rn <= {size()}"

    def more() -> str:
        return f"(CASE WHEN count(*) > {size()} THEN 'true' ELSE 'false' END)"

    def cursor_at(position: str) -> str:
        return f"coalesce(max(CASE WHEN {shown()} AND {p}.gql_pos = {position} THEN" \
               f" {cursor(r, c, p)} END), 'null')"

    def last() -> str:
        return f"(CASE WHEN {p}.gql_n < {size()} THEN {p}.gql_n ELSE {size()} END)"

    def bound(given: bool) -> str:  # a cursor given: a page before (or after) this one
        if not given:
            return "'false'"
        if c.bounds_need_rows:
            return f"(CASE WHEN EXISTS {r.rows(c.count)} THEN 'true' ELSE 'false' END)"
        return "'true'"

    def page_info(fields: tuple[tuple[str, str], ...]) -> str:
        def value(name: str) -> str:
            if name == "__typename":
                return "'\"PageInfo\"'"
            if name == "hasNextPage":
                return bound(c.before) if c.backwards else more()
            if name == "hasPreviousPage":
                return more() if c.backwards else bound(c.after)
            if name == "startCursor":
                return cursor_at("1")
            return cursor_at(last())

        return _join([(k, value(name)) for k, name in fields], key_text)

    def edges(plan: EdgesPlan) -> str:
        values = []
        for k, kind, node in plan.fields:
            if kind == "typename":
                values.append((k, f"'\"{checked(plan.typename)}\"'"))
            elif kind == "cursor":
                values.append((k, cursor(r, c, p)))
            else:
                assert node is not None
                values.append((k, r.object(node, p)))
        element = _join(values, key_text)
        return ("('[' || coalesce(" + d.aggregate(f"CASE WHEN {shown()} THEN {element} END",
                                                  f"{p}.gql_pos") + ", '') || ']')")

    parts = []
    for k, kind, sub in c.fields:
        if kind == "typename":
            parts.append((k, f"'\"{checked(c.typename)}\"'"))
        elif kind == "totalCount":
            counted = r.alias()
            parts.append((k, f"(SELECT CAST(count(*) AS TEXT) FROM {table} {counted} WHERE"
                             f" {counted}.id IN {r.rows(c.count)})"))
        elif kind == "edges":
            parts.append((k, edges(sub)))
        elif kind == "pageInfo":
            parts.append((k, page_info(sub)))
        else:
            raise ValueError(kind)
    # count(*) makes it one aggregate row even when nothing but totalCount is asked for, or
    # the page is empty (a row per page row, or none, otherwise)
    return (f"SELECT CASE WHEN count(*) >= 0 THEN {_join(parts, key_text)} END FROM"
            f" {d.ordered_rows(placed, 'gql_pos')} {p}")


def cursor(r: Any, c: ConnectionPlan, alias: str) -> str:
    """encode_cursor of the row's order columns, as a JSON string."""
    from gql.compiled.render import checked

    d = r.dialect
    pieces = [f"'[\"{checked(_VERSION)}\"'"]
    for column, is_int in c.cursor:
        value = f"{alias}.{checked(column)}"
        text = d.int_text(value) if is_int else d.quote(value)
        pieces.append(f"', ' || {r.nullable(value, text)}")
    b64 = d.base64(" || ".join(pieces) + " || ']'")
    return f"('\"' || replace(replace({b64}, '+', '-'), '/', '_') || '\"')"


def _join(values: list[tuple[str, str]], key_text: Any) -> str:
    parts = []
    for i, (k, value) in enumerate(values):
        prefix = ("'," if i else "'") + key_text(k)[1:]
        parts.append(f"{prefix} || {value}")
    return "('{' || " + " || ".join(parts) + " || '}')" if parts else "'{}'"
