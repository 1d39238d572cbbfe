"""Login sessions (bearer tokens): the one rule of what makes a session live.

A session lives in the database, not in a process, so that every server process agrees on
who is logged in: an HTTP request and every operation on a websocket look their session up
(`session_for_token`, `session_for_id`), and a session ended anywhere (logout, disable,
password change or reset, expiry, idleness) ends everywhere at the next check.

The lookup runs on every request, so it is one hand-written statement, built once, whose
columns are converted by the models' own fields: through the ORM (a query set with two
joins built per request, then three model objects) it cost ~3 ms, more than the whole
compiled read it comes before.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from tortoise import connections
from tortoise.fields import DatetimeField

from models.account import AccessToken, User
from models.clock import now_utc
from models.enums import OrgKind, Role, SchoolType
from models.org import Organization
from models.password_policy import idle_timeout, require_change_if_expired
from models.raw_sql import fetch_rows, placeholder


def touch_every() -> timedelta:
    """A session's last request is written at most this often (a minute at the 30-minute
    default): a write per request would cost every read a statement, and the idle rule
    needs no finer clock."""
    return idle_timeout() / 30


def token_ttl() -> timedelta:
    return timedelta(hours=float(os.environ.get("TOKEN_TTL_HOURS", "8")))


def session_of_login(user: User, token: AccessToken) -> Session:
    """The session a login just opened, from the rows it wrote (the user with its
    organisation): what the lookup by its token would find, without reading it back."""
    org = user.organization
    assert token.last_seen_at is not None  # a login writes it
    return Session(token_id=token.id, last_seen_at=token.last_seen_at, user_id=user.id,
                   username=user.username, role=user.role,
                   must_change_password=user.must_change_password,
                   password_changed_at=user.password_changed_at, created_at=user.created_at,
                   org_id=org.id, org_kind=org.kind, org_parent_id=org.parent_id,
                   org_school_type=org.school_type, org_code=org.code)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass
class Session:
    """A live session with what the request needs of its user and organisation."""

    token_id: int
    last_seen_at: datetime
    user_id: int
    username: str
    role: Role
    must_change_password: bool
    password_changed_at: datetime | None
    created_at: datetime  # the user's
    org_id: int
    org_kind: OrgKind
    org_parent_id: int | None
    org_school_type: SchoolType | None
    org_code: str


# (attribute, model, table alias, column): the statement's columns, in order.
_COLUMNS: tuple[tuple[str, Any, str, str], ...] = (
    ("token_id", AccessToken, "t", "id"), ("last_seen_at", AccessToken, "t", "last_seen_at"),
    ("user_id", User, "u", "id"), ("username", User, "u", "username"),
    ("role", User, "u", "role"), ("must_change_password", User, "u", "must_change_password"),
    ("password_changed_at", User, "u", "password_changed_at"),
    ("created_at", User, "u", "created_at"),
    ("org_id", Organization, "o", "id"), ("org_kind", Organization, "o", "kind"),
    ("org_parent_id", Organization, "o", "parent_id"),
    ("org_school_type", Organization, "o", "school_type"), ("org_code", Organization, "o", "code"),
)
_SELECT = ("SELECT " + ", ".join(f"{a}.{c}" for _, _, a, c in _COLUMNS)
           + " FROM access_token t JOIN app_user u ON u.id = t.user_id"
           " JOIN organization o ON o.id = u.organization_id")
# What makes a session live: not revoked, not expired, not idle, of an active account.
_LIVE = ("t.revoked_at IS NULL AND t.expires_at > {now} AND t.last_seen_at > {idle}"
         " AND u.is_active")


def _statement(key: str, postgres: bool, first: int = 1, extra: str = "") -> str:
    """The lookup by `key` with its parameters numbered from `first` (`extra`: one more
    column after the session's)."""
    marks = [placeholder(n, postgres) for n in range(first, first + 3)]
    return (f"{_SELECT.replace(' FROM ', extra + ' FROM ', 1)} WHERE t.{key} = {marks[0]}"
            f" AND " + _LIVE.format(now=marks[1], idle=marks[2]))


_STATEMENTS = {(key, pg): _statement(key, pg) for key in ("token_hash", "id")
               for pg in (True, False)}


def _time(value: datetime) -> Any:
    return AccessToken._meta.fields_map["expires_at"].to_db_value(value, AccessToken)


async def _lookup(key: str, value: Any, now: datetime) -> Session | None:
    connection = connections.get("default")
    postgres = connection.capabilities.dialect == "postgres"
    _, rows = await connection.execute_query(
        _STATEMENTS[(key, postgres)], [value, _time(now), _time(now - idle_timeout())])
    return _session_of(tuple(rows[0])) if rows else None


def _reader(model: Any, column: str) -> Callable[[Any], Any]:
    """How a column is read back: as its model field reads it (SQLite's text times, 0/1,
    enums). A stored time with its offset, as the ORM writes it on SQLite, is parsed by the
    standard library (the same instant; the field's own parser costs ten times as much, and
    this runs on every request)."""
    convert: Callable[[Any], Any] = model._meta.fields_map[column].to_python_value
    if not isinstance(model._meta.fields_map[column], DatetimeField):
        return convert

    def read_time(value: Any) -> Any:
        if isinstance(value, str):
            parsed = datetime.fromisoformat(value)
            if parsed.tzinfo is not None:
                return parsed
        return convert(value)

    return read_time


_ATTRIBUTES = tuple(attribute for attribute, _, _, _ in _COLUMNS)


@lru_cache(maxsize=1)
def _readers() -> tuple[Callable[[Any], Any], ...]:
    # Once the ORM has set the models up (their foreign keys' columns exist from then on).
    return tuple(_reader(model, column) for _, model, _, column in _COLUMNS)


def _session_of(row: tuple[Any, ...]) -> Session:
    return Session(**_values_of(row))


# The same few sessions come back on every request, their columns unchanged between two
# touches (a minute): their Python values are read once per row (three times parsed,
# three enums: 4.3 us, now 0.6). A new Session each time all the same: a request may
# change its own (require_change_if_expired).
@lru_cache(maxsize=1024)
def _values_of(row: tuple[Any, ...]) -> dict[str, Any]:
    return {attribute: read(value)
            for attribute, read, value in zip(_ATTRIBUTES, _readers(), row, strict=True)}


@lru_cache(maxsize=1024)
def _with_answer(sql: str, postgres: bool, count: int) -> str:
    """The lookup with `sql`'s value as one more column (its `count` parameters first)."""
    return _statement("token_hash", postgres, count + 1, f", ({sql})")


async def session_with_answer(token: str, sql: str, params: list[Any],
                              fetch: Callable[[str, list[Any]], Sequence[Any]] | None = None,
                              client: Any = None) -> tuple[Session | None, Any]:
    """The live session of a bearer token and, in the same statement, the single value of
    `sql` (a SELECT with numbered parameters `params`), computed only when the session is
    live. One round trip where a lookup and the read were two (gql/compiled/fast_lane.py);
    the session is the same lookup, by the same rule, as session_for_token's. `fetch`: run
    the statement through it (its rows, at once) rather than the ORM's connection;
    `client`: the default connection, when the caller has it already."""
    connection = connections.get("default") if client is None else client
    postgres = connection.capabilities.dialect == "postgres"
    now = now_utc()
    statement = _with_answer(sql, postgres, len(params))
    values = [*params, digest(token), _time(now), _time(now - idle_timeout())]
    if fetch is not None:
        rows = fetch(statement, values)
    else:
        rows = await fetch_rows(statement, values, connection)
    if not rows:
        return None, None
    row = tuple(rows[0])
    return await _activity(_session_of(row[:len(_COLUMNS)]), now), row[len(_COLUMNS)]


async def session_for_token(token: str) -> Session | None:
    """The live session of a bearer token, or None (unknown, expired, revoked, idle,
    disabled). A request made with it is activity."""
    now = now_utc()
    found = await _lookup("token_hash", digest(token), now)
    return await _activity(found, now) if found else None


async def session_for_id(token_id: int, *, active: bool) -> Session | None:
    """The same for a session known by its id: a websocket re-checking its own session,
    `active` when the user asked for something (a subscription), not for the socket's own
    periodic check."""
    now = now_utc()
    found = await _lookup("id", token_id, now)
    if found is None:
        return None
    return await _activity(found, now) if active else found


async def _activity(session: Session, now: datetime) -> Session:
    stale = now - touch_every()
    if session.last_seen_at < stale:
        await AccessToken.filter(id=session.token_id, last_seen_at__lt=stale).update(
            last_seen_at=now)
    # A password that reached its age during the session must be changed now.
    await require_change_if_expired(session.user_id, session, now)
    return session


async def logout(token_id: int) -> None:
    await AccessToken.filter(id=token_id, revoked_at=None).update(revoked_at=now_utc())


async def end_sessions(user_id: int, *, keep: int | None = None) -> None:
    """End every session of a user (but `keep`, the caller's own, when given)."""
    sessions = AccessToken.filter(user_id=user_id, revoked_at=None)
    if keep is not None:
        sessions = sessions.exclude(id=keep)
    await sessions.update(revoked_at=now_utc())
