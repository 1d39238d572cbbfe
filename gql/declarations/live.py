"""Live declaration status changes, for dashboards (GraphQL subscription over websockets).

Each subscription reads the status-change journal (DeclarationEvent) for rows newer than the
last it saw, within the caller's scope: the journal in the database, not an in-process bus,
is what lets a submission handled by any server process reach a dashboard held by any
other. When to read again: on PostgreSQL as soon as a change commits anywhere
(LISTEN/NOTIFY, models/status_feed.py); on SQLite every LIVE_POLL_SECONDS.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncGenerator
from datetime import datetime

import strawberry
from tortoise.queryset import QuerySet

from gql.context import Info
from gql.declarations.types import Actor, actor_of
from gql.org.types import Organization
from models import DeclarationEvent, status_feed
from models.declaration import DeclarationAction, DeclarationStatus
from permissions.classes import IsProvinceOrCity
from permissions.scoping import managed_org_filter


def poll_seconds() -> float:
    return float(os.environ.get("LIVE_POLL_SECONDS", "1"))


@strawberry.type(description="A declaration changed status.")
class DeclarationStatusEvent:
    organization: Organization
    action: DeclarationAction
    from_status: DeclarationStatus
    to_status: DeclarationStatus
    reason: str | None
    at: datetime
    actor: Actor


@strawberry.type
class DeclarationSubscriptions:
    @strawberry.subscription(description="Declaration status changes in the caller's scope"
                             " (submissions, returns, acceptances ...), as they happen.",
                             permission_classes=[IsProvinceOrCity])
    async def declaration_status_changed(
        self, info: Info
    ) -> AsyncGenerator[DeclarationStatusEvent, None]:
        principal = info.context.principal
        assert principal is not None
        scope = DeclarationEvent.filter(
            managed_org_filter(principal, prefix="declaration__organization__"))
        # Subscribed before the first read: a change committed in between still wakes it.
        live = status_feed.feed() if status_feed.on_postgres() else None
        wake = live.subscribe() if live else None
        try:
            async for event in _events(scope, wake):
                yield event
        finally:
            if live and wake:
                live.unsubscribe(wake)


async def _events(scope: QuerySet[DeclarationEvent], wake: asyncio.Event | None
                  ) -> AsyncGenerator[DeclarationStatusEvent, None]:
    newest = await DeclarationEvent.all().order_by("-id").first()
    last = newest.id if newest else 0
    while True:
        events = await scope.filter(id__gt=last).order_by("id").select_related(
            "declaration__organization", "actor__organization")
        for e in events:
            last = e.id
            yield DeclarationStatusEvent(
                organization=Organization.of(e.declaration.organization), action=e.action,
                from_status=e.from_status, to_status=e.to_status, reason=e.reason, at=e.at,
                actor=actor_of(e.actor))
        await status_feed.wait_for_change(wake, poll_seconds())
