from __future__ import annotations

import strawberry

from gql.context import Info
from gql.nodes import decode_id
from gql.notices.types import NoticeType, notices_for
from gql.pagination import Connection, Edge, paginate_list
from models import Notice as NoticeModel
from permissions.classes import IsActiveUser
from permissions.scoping import received_notices, sent_notices, visible_notices


async def notice_by_id(info: Info, id: str) -> NoticeType | None:
    """One notice the caller sent or received; None otherwise (as if it did not exist)."""
    principal = info.context.principal
    assert principal is not None
    pk = decode_id(id, "Notice")
    found = await visible_notices(principal).get_or_none(id=pk) if pk else None
    return (await notices_for(principal, [found]))[0] if found else None


async def _page(info: Info, ids: list[int], first: int | None, after: str | None
                ) -> Connection[NoticeType]:
    """Newest first; the notices of the page only are loaded."""
    principal = info.context.principal
    assert principal is not None
    page = paginate_list(ids, lambda pk: pk, key=lambda pk: (-pk,), first=first, after=after)
    models = {m.id: m for m in await NoticeModel.filter(
        id__in=[e.node for e in page.edges])}
    shown = {n.pk: n for n in await notices_for(principal, list(models.values()))}
    return Connection(edges=[Edge(cursor=e.cursor, node=shown[e.node]) for e in page.edges],
                      page_info=page.page_info, _count=page._count)


@strawberry.type
class NoticeQueries:
    @strawberry.field(description="The caller's organisation's notices (inbox), newest first.",
                      permission_classes=[IsActiveUser])
    async def notices(self, info: Info, unread_only: bool = False, first: int | None = None,
                      after: str | None = None) -> Connection[NoticeType]:
        assert info.context.principal is not None
        rows = received_notices(info.context.principal)
        if unread_only:
            rows = rows.filter(read_at__isnull=True)
        ids: list[int] = await rows.values_list("notice_id", flat=True)  # type: ignore[assignment]
        return await _page(info, ids, first, after)

    @strawberry.field(description="Notices the caller's organisation sent (with read receipts),"
                      " newest first.", permission_classes=[IsActiveUser])
    async def sent_notices(self, info: Info, first: int | None = None,
                           after: str | None = None) -> Connection[NoticeType]:
        assert info.context.principal is not None
        ids: list[int] = await sent_notices(info.context.principal).values_list(  # type: ignore[assignment]
            "id", flat=True)
        return await _page(info, ids, first, after)

    @strawberry.field(description="One notice the caller's organisation sent or received.",
                      permission_classes=[IsActiveUser])
    async def notice(self, info: Info, id: strawberry.ID) -> NoticeType | None:
        return await notice_by_id(info, str(id))
