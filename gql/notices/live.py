"""New notices, live, for an open dashboard (GraphQL subscription over websockets).

Like gql/declarations/live.py: each subscription polls the receipts of the caller's
organisation for rows newer than the last it saw. Polling the database, not an in-process
bus, is what lets a notice sent (or a reminder fired) by any server process reach a
dashboard held by any other.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator

import strawberry

from gql.context import Info
from gql.declarations.live import poll_seconds
from gql.notices.types import NoticeType, notices_for
from models import Notice as NoticeModel
from models import NoticeReceipt
from permissions.classes import IsActiveUser
from permissions.scoping import received_notices


@strawberry.type
class NoticeSubscriptions:
    @strawberry.subscription(description="Notices arriving for the caller's organisation, as"
                             " they are sent (also automatic reminders).",
                             permission_classes=[IsActiveUser])
    async def notice_received(self, info: Info) -> AsyncGenerator[NoticeType, None]:
        principal = info.context.principal
        assert principal is not None
        newest = await NoticeReceipt.all().order_by("-id").first()
        last = newest.id if newest else 0
        while True:
            receipts = await received_notices(principal).filter(id__gt=last).order_by("id")
            if receipts:
                last = receipts[-1].id
                models = {m.id: m for m in await NoticeModel.filter(
                    id__in=[r.notice_id for r in receipts])}
                shown = {n.pk: n for n in await notices_for(principal, list(models.values()))}
                for r in receipts:
                    yield shown[r.notice_id]
            await asyncio.sleep(poll_seconds())
