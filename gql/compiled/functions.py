"""Application functions registered on each SQLite connection the compiler uses: SQLite has
no base64 and no time zone database. PostgreSQL needs none."""

from __future__ import annotations

import base64
import sqlite3
from datetime import UTC, datetime, timedelta
from typing import Any
from weakref import WeakSet

from gql.scalars import serialize_datetime
from models.clock import beijing

_registered: WeakSet[Any] = WeakSet()


def gql_base64(text: str | None) -> str | None:
    return None if text is None else base64.b64encode(text.encode()).decode()


def gql_shanghai(text: str | None) -> str | None:
    """A stored UTC time as the DateTime scalar prints it (the resolver path's function)."""
    if text is None:
        return None
    value = datetime.fromisoformat(text)
    return serialize_datetime(value if value.tzinfo else value.replace(tzinfo=UTC))


def gql_datetime_json(text: str | None) -> str:
    """A stored UTC time as a DateTime field's JSON value: `"..."`, or `null`. One call
    where the SQL form nested three CASEs: SQLite 3.40's parser has a fixed stack (about
    ten levels of `x || (CASE ...)`), and a form's dates deep in a nested read overflowed it."""
    shown = gql_shanghai(text)
    return "null" if shown is None else f'"{shown}"'


def gql_minutes(text: str | None) -> str | None:
    """A stored UTC time as models/clock.py beijing() prints it in a lock's words."""
    if text is None:
        return None
    value = datetime.fromisoformat(text)
    return beijing(value if value.tzinfo else value.replace(tzinfo=UTC))


def gql_instant(text: str | None) -> str | None:
    """A stored time as UTC text of one width, so that text order is the instants' order
    (what is stored keeps the offset it was given, and microseconds only when not zero)."""
    if text is None:
        return None
    value = datetime.fromisoformat(text)
    value = value if value.tzinfo else value.replace(tzinfo=UTC)
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def gql_utc_stamp(text: str | None) -> str | None:
    """A stored time as gql/oversight/types.py _stamp prints it in a progress list's cursors."""
    if text is None:
        return None
    value = datetime.fromisoformat(text)
    value = value if value.tzinfo else value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")


def gql_days_before(text: str | None, days: int | None) -> str | None:
    """A stored time less whole days of 24 hours, as Python's timedelta subtracts them
    (models/reminders.py due_at), in a form the other functions read."""
    if text is None or days is None:
        return None
    value = datetime.fromisoformat(text)
    value = value if value.tzinfo else value.replace(tzinfo=UTC)
    return (value - timedelta(days=days)).isoformat(" ")


# (name, function): what each connection the compiler reads through knows.
FUNCTIONS: tuple[tuple[str, Any], ...] = (
    ("gql_base64", gql_base64), ("gql_shanghai", gql_shanghai),
    ("gql_datetime_json", gql_datetime_json), ("gql_minutes", gql_minutes),
    ("gql_instant", gql_instant), ("gql_utc_stamp", gql_utc_stamp),
    ("gql_days_before", gql_days_before),
)


async def register(connection: Any) -> None:
    """Register on an aiosqlite connection, once."""
    if connection in _registered:
        return
    for name, function in FUNCTIONS:
        await connection.create_function(name, function.__code__.co_argcount, function,
                                         deterministic=True)
    _registered.add(connection)


def register_sync(connection: sqlite3.Connection) -> None:
    """Register on a sqlite3 connection (gql/compiled/inline_sqlite.py)."""
    for name, function in FUNCTIONS:
        connection.create_function(name, function.__code__.co_argcount, function,
                                   deterministic=True)
