"""Small compiled reads on SQLite, run on the event loop itself, on a read-only connection
beside the ORM's.

Why: aiosqlite runs every statement on its connection's thread and wakes the loop when it is
done. For one school's form (a statement of about 0.15 ms) that hand-off (a queue, a thread
switch, the loop's self-pipe, a future) costs as much again as the statement. The floor of
issue 9 (sqlite3 called directly) pays none of it. A statement run here blocks the loop
while it runs, so only a plan whose last run took under `INLINE_BELOW_S` comes this way
(gql/compiled/fast_lane.py measures each run); the others keep aiosqlite's thread.

What this connection sees: the database is in WAL mode (the ORM's default pragma), so a
second connection reads the last committed state without blocking or being blocked by a
writer, as any request outside a transaction must. It is the ORM client's `quick`
connection (models/sqlite_client.py), which the ORM's own quick reads use as well: opened
read-only (`PRAGMA query_only`), waiting for no lock (a busy database, SQLITE_BUSY, e.g. a
checkpoint resetting the log, raises at once and the caller takes the ordinary path), and
made with the ORM's connection, so a reconnect (or a database file replaced under a new ORM
connection) never reads through a stale one. The compiler's functions are registered on it
here, once per ORM connection.
"""

from __future__ import annotations

import sqlite3
from typing import Any
from weakref import WeakKeyDictionary

from tortoise import connections
from tortoise.backends.base.client import TransactionalDBClient

from gql.compiled.functions import register_sync
from models.raw_sql import logged
from models.sqlite_client import INLINE_BELOW_S, ReadingSqliteClient

# INLINE_BELOW_S: the bound on blocking the loop, the same for the transactions of
# models/sqlite_client.py.
__all__ = ["INLINE_BELOW_S", "fetch", "reader"]

_readers: WeakKeyDictionary[Any, sqlite3.Connection] = WeakKeyDictionary()


def reader(client: Any = None) -> sqlite3.Connection | None:
    """The read-only connection on the loop beside the ORM's (`client`, the default
    connection when not given: models/sqlite_client.py `quick`), the compiler's functions
    known to it, or None when there is none to use: not SQLite, an in-memory database,
    inside a transaction, or not connected yet."""
    client = connections.get("default") if client is None else client
    if not isinstance(client, ReadingSqliteClient) or isinstance(client,
                                                                  TransactionalDBClient):
        return None
    orm_connection, found = client._connection, client.quick
    if orm_connection is None or found is None:
        return None
    if orm_connection not in _readers:  # once per connection
        register_sync(found)
        _readers[orm_connection] = found
    return found


def fetch(connection: sqlite3.Connection, sql: str, params: list[Any]) -> list[Any]:
    """The statement's rows, here and now."""
    logged(sql, params)
    return connection.execute(sql, params).fetchall()
