"""Login sessions (bearer tokens): the one rule of what makes a session live.

A session lives in the database, not in a process, so that every server process agrees on
who is logged in: an HTTP request and every operation on a websocket ask `live_sessions`,
and a session ended anywhere (logout, disable, password change or reset, expiry) ends
everywhere at the next check.
"""

from __future__ import annotations

import hashlib
import os
from datetime import timedelta

from tortoise.queryset import QuerySet

from models.account import AccessToken, User
from models.clock import now_utc


def token_ttl() -> timedelta:
    return timedelta(hours=float(os.environ.get("TOKEN_TTL_HOURS", "8")))


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def live_sessions() -> QuerySet[AccessToken]:
    """Sessions that still grant access: not revoked, not expired, of an active account."""
    return AccessToken.filter(revoked_at=None, expires_at__gt=now_utc(), user__is_active=True)


async def user_for_token(token: str) -> tuple[User, AccessToken] | None:
    """The active user behind a live token, or None (unknown, expired, revoked, disabled)."""
    row = await live_sessions().get_or_none(token_hash=digest(token)).select_related(
        "user", "user__organization")
    return (row.user, row) if row else None


async def user_for_session(token_id: int) -> tuple[User, AccessToken] | None:
    """The same for a session known by its id (a websocket re-checking its own session)."""
    row = await live_sessions().get_or_none(id=token_id).select_related(
        "user", "user__organization")
    return (row.user, row) if row else None


async def logout(token_id: int) -> None:
    await AccessToken.filter(id=token_id, revoked_at=None).update(revoked_at=now_utc())


async def end_sessions(user_id: int, *, keep: int | None = None) -> None:
    """End every session of a user (but `keep`, the caller's own, when given)."""
    sessions = AccessToken.filter(user_id=user_id, revoked_at=None)
    if keep is not None:
        sessions = sessions.exclude(id=keep)
    await sessions.update(revoked_at=now_utc())
