"""Login sessions (bearer tokens): the one rule of what makes a session live.

A session lives in the database, not in a process, so that every server process agrees on
who is logged in: an HTTP request and every operation on a websocket ask `live_sessions`,
and a session ended anywhere (logout, disable, password change or reset, expiry, idleness)
ends everywhere at the next check.
"""

from __future__ import annotations

import hashlib
import os
from datetime import datetime, timedelta

from tortoise.queryset import QuerySet

from models.account import AccessToken, User
from models.clock import now_utc
from models.password_policy import idle_timeout, require_change_if_expired


def touch_every() -> timedelta:
    """A session's last request is written at most this often (a minute at the 30-minute
    default): a write per request would cost every read a statement, and the idle rule
    needs no finer clock."""
    return idle_timeout() / 30


def token_ttl() -> timedelta:
    return timedelta(hours=float(os.environ.get("TOKEN_TTL_HOURS", "8")))


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def live_sessions(now: datetime | None = None) -> QuerySet[AccessToken]:
    """Sessions that still grant access: not revoked, not expired, not idle, of an active
    account."""
    now = now or now_utc()
    return AccessToken.filter(revoked_at=None, expires_at__gt=now,
                              last_seen_at__gt=now - idle_timeout(), user__is_active=True)


async def user_for_token(token: str) -> tuple[User, AccessToken] | None:
    """The active user behind a live token, or None (unknown, expired, revoked, idle,
    disabled). A request made with it is activity."""
    now = now_utc()
    row = await live_sessions(now).get_or_none(token_hash=digest(token)).select_related(
        "user", "user__organization")
    return await _activity(row, now) if row else None


async def user_for_session(token_id: int, *, active: bool) -> tuple[User, AccessToken] | None:
    """The same for a session known by its id: a websocket re-checking its own session,
    `active` when the user asked for something (a subscription), not for the socket's own
    periodic check."""
    now = now_utc()
    row = await live_sessions(now).get_or_none(id=token_id).select_related(
        "user", "user__organization")
    if row is None:
        return None
    return await _activity(row, now) if active else (row.user, row)


async def _activity(row: AccessToken, now: datetime) -> tuple[User, AccessToken]:
    assert row.last_seen_at is not None  # live_sessions() has no other
    stale = now - touch_every()
    if row.last_seen_at < stale:
        await AccessToken.filter(id=row.id, last_seen_at__lt=stale).update(last_seen_at=now)
    # A password that reached its age during the session must be changed now.
    await require_change_if_expired(row.user, now)
    return row.user, row


async def logout(token_id: int) -> None:
    await AccessToken.filter(id=token_id, revoked_at=None).update(revoked_at=now_utc())


async def end_sessions(user_id: int, *, keep: int | None = None) -> None:
    """End every session of a user (but `keep`, the caller's own, when given)."""
    sessions = AccessToken.filter(user_id=user_id, revoked_at=None)
    if keep is not None:
        sessions = sessions.exclude(id=keep)
    await sessions.update(revoked_at=now_utc())
