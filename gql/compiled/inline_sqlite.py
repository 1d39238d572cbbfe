"""Small compiled reads on SQLite, run on the event loop itself, on a read-only connection
of their own.

Why: aiosqlite runs every statement on its connection's thread and wakes the loop when it is
done. For one school's form (a statement of about 0.15 ms) that hand-off (a queue, a thread
switch, the loop's self-pipe, a future) costs as much again as the statement. The floor of
issue 9 (sqlite3 called directly) pays none of it. A statement run here blocks the loop
while it runs, so only a plan whose last run took under `INLINE_BELOW_S` comes this way
(gql/compiled/fast_lane.py measures each run); the others keep aiosqlite's thread.

What this connection sees: the database is in WAL mode (the ORM's default pragma), so a
second connection reads the last committed state without blocking or being blocked by a
writer, as any request outside a transaction must. It is opened read-only
(`PRAGMA query_only`), knows the compiler's functions, and waits for no lock: a busy
database (SQLITE_BUSY, e.g. a checkpoint resetting the log) raises at once and the caller
takes the ordinary path. One connection per ORM connection, so a reconnect (or a database
file replaced under a new ORM connection) never reads through a stale one.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any
from weakref import WeakKeyDictionary

from tortoise import connections
from tortoise.backends.base.client import TransactionalDBClient
from tortoise.backends.sqlite.client import SqliteClient

from gql.compiled.functions import register_sync
from models.raw_sql import logged
from models.sqlite_client import INLINE_BELOW_S

# INLINE_BELOW_S: the bound on blocking the loop, the same for the transactions of
# models/sqlite_client.py.
__all__ = ["INLINE_BELOW_S", "fetch", "reader", "set_trace_callback"]

_readers: WeakKeyDictionary[Any, sqlite3.Connection] = WeakKeyDictionary()
_trace: Callable[[str], None] | None = None


def set_trace_callback(trace: Callable[[str], None] | None) -> None:
    """sqlite3's trace callback on every connection of this module, now and later (the
    benchmark counts statements at the driver)."""
    global _trace
    _trace = trace
    for reader in _readers.values():
        reader.set_trace_callback(trace)


def reader(client: Any = None) -> sqlite3.Connection | None:
    """The read-only connection beside the ORM's (`client`, the default connection when
    not given), or None when there is none to use: not SQLite, an in-memory database,
    inside a transaction, or not connected yet."""
    client = connections.get("default") if client is None else client
    if (not isinstance(client, SqliteClient) or isinstance(client, TransactionalDBClient)
            or client.filename == ":memory:"):
        return None
    orm_connection = client._connection
    if orm_connection is None:
        return None
    found = _readers.get(orm_connection)
    if found is None:
        found = sqlite3.connect(client.filename, timeout=0, isolation_level=None,
                                check_same_thread=False)
        found.execute("PRAGMA query_only = ON")
        register_sync(found)
        if _trace is not None:
            found.set_trace_callback(_trace)
        _readers[orm_connection] = found
    return found


def fetch(connection: sqlite3.Connection, sql: str, params: list[Any]) -> list[Any]:
    """The statement's rows, here and now."""
    logged(sql, params)
    return connection.execute(sql, params).fetchall()
