"""`notices`, `sentNotices` and `notice(id)` compiled: the notices the resolver path lists
(gql/notices/queries.py: the caller's receipts, unread or all, or the notices it sent; one
within visible_notices), each as notices_for builds it (gql/notices/types.py NOTICE_ROW_SQL,
a derived table), and a list's page as _page reads it: paginate_list over its key (-id,),
newest first, in SQL (a page of the derived rows past the cursor, size + 1 of them).

Nothing here marks a notice read (the resolvers do not either: markNoticeRead does). Falls
back when the page's arguments or its cursor are refused, or the cursor's value is not a
number as the list's key is (paginate_list refuses it when the list has rows, reads no
cursor when it has none: strawberry answers either way).
"""

from __future__ import annotations

from typing import Any

from graphql import FieldNode, GraphQLField

from gql.compiled.connections import ConnectionPlan, connection_parts
from gql.compiled.plan import Fallback, Planner, Rows
from gql.compiled.roots import RootPlan, Source, object_type

PAGE_TABLE = "gql_notice_page"


def notice_rows(planner: Planner, listed: Rows) -> Source:
    """The derived table of the notices `listed` names, for the caller."""
    from gql.notices.types import NOTICE_ROW_SQL, NOTICE_TABLE
    from permissions.scoping import received_notices, sent_notices

    principal = planner.principal
    return Source(NOTICE_TABLE, NOTICE_ROW_SQL, (
        listed, Rows.of(received_notices(principal)), Rows.of(sent_notices(principal))))


def plan_notice_list(planner: Planner, key: str, field: GraphQLField, nodes: list[FieldNode],
                     listed: Any) -> RootPlan:
    """One page of the notices whose ids `listed` (a flat values_list) selects."""
    from gql.errors import ApiError
    from gql.notices.types import NOTICE_TABLE
    from gql.pagination import Page

    args = planner.arguments(field, nodes[0])
    try:
        page = Page(args.get("first"), args.get("after"), None, None, 1)
    except ApiError as exc:
        raise Fallback(f"{key}: page arguments refused: {exc}") from exc
    if page.after is not None and not isinstance(page.after[0], int):
        raise Fallback(f"{key}: a cursor of another list")
    past = "" if page.after is None else " WHERE r.neg_id > {p0}"
    values = () if page.after is None else (page.after[0],)
    size = f"{{p{len(values)}}}"
    select = f"SELECT r.id FROM {NOTICE_TABLE} r{past} ORDER BY r.neg_id LIMIT {size}"
    sources = (notice_rows(planner, Rows.select(listed)),
               Source(PAGE_TABLE, select, (), (*values, page.size + 1)))
    connection = ConnectionPlan(
        str(object_type(field).name), connection_parts(planner, field, nodes), NOTICE_TABLE,
        Rows(f"SELECT id FROM {PAGE_TABLE}", ()), Rows(f"SELECT id FROM {NOTICE_TABLE}", ()),
        page.size, False, page.after is not None, False, (("neg_id", False),),
        (("neg_id", True),), bounds_need_rows=True, sources=sources)
    return RootPlan(key, "connection", connection=connection, sources=sources)


def plan_notices(planner: Planner, key: str, field: GraphQLField,
                 nodes: list[FieldNode]) -> RootPlan:
    from permissions.scoping import received_notices

    rows = received_notices(planner.principal)
    if planner.arguments(field, nodes[0]).get("unreadOnly"):
        rows = rows.filter(read_at__isnull=True)
    return plan_notice_list(planner, key, field, nodes, rows.values_list("notice_id", flat=True))


def plan_sent_notices(planner: Planner, key: str, field: GraphQLField,
                      nodes: list[FieldNode]) -> RootPlan:
    from permissions.scoping import sent_notices

    return plan_notice_list(planner, key, field, nodes,
                            sent_notices(planner.principal).values_list("id", flat=True))


def plan_notice(planner: Planner, key: str, field: GraphQLField,
                nodes: list[FieldNode]) -> RootPlan:
    from gql.nodes import decode_id
    from permissions.scoping import visible_notices

    pk = decode_id(str(planner.arguments(field, nodes[0])["id"]), "Notice")
    target = planner.object(object_type(field), nodes)
    if pk is None:
        return RootPlan(key, "constant")
    found = Rows.of(visible_notices(planner.principal).filter(id=pk))
    # every row of the derived table: the one notice, or none
    return RootPlan(key, "object", target=target, sources=(notice_rows(planner, found),))
