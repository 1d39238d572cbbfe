"""The ORM's SQLite connection, with a second connection for the reads made outside a
transaction (an ORM engine module: models/config.py names it for sqlite:// URLs).

Why: Tortoise gives SQLite one connection and one lock, and a transaction holds that lock
from BEGIN to COMMIT. Every other request's statements (a session lookup, a read of a form)
wait for it, although SQLite in WAL mode (the ORM's default journal) lets readers run
beside a writer. In a rush of schools saving their forms, one transaction at a time and
every read behind it made the write lock the whole server's queue: held 60% of the time,
and a read waited 0.3 s for it.

So a SELECT outside a transaction goes to a reading connection of its own (its own thread,
`PRAGMA query_only`): it reads the last committed state, as it would have after waiting,
without the wait; once a read's SQL is known to be quick it runs on the event loop
instead, on a third connection (`quick`), as a transaction's quick statements do (below).
Everything else (writes, and every statement of a transaction) stays on the ORM's
connection. An in-memory database has no second connection to open: as before.

Inside a write transaction (BEGIN IMMEDIATE taken: models/transaction.py), the statements
run on the event loop itself (`InlineStatements`) once their SQL has been seen to be quick.
aiosqlite runs each statement on its connection's thread and wakes the loop when it is done:
a queue, two thread switches, the loop's self-pipe and a future, about 65 us of CPU a
statement on the standard machine, where the statement itself (a lookup by key, a
ten-row insert) takes a few. A school's save and submit are some thirty such statements.
What makes running them on the loop safe: the transaction holds SQLite's write lock (no
statement in it waits for a lock, and in WAL mode readers never block a writer), the
client's lock keeps every other task off this connection until it ends, and a statement
whose last run took `INLINE_BELOW_S` or more goes back to the thread (the loop is never
blocked for long). BEGIN IMMEDIATE (which may wait for another process's write lock) and
COMMIT (which syncs the log to disk) always run on the thread.
"""

from __future__ import annotations

import math
import sqlite3
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

import aiosqlite
from tortoise.backends.base.client import TransactionalDBClient
from tortoise.backends.sqlite.client import SqliteClient, translate_exceptions

T = TypeVar("T")

INLINE_BELOW_S = 0.001
# How long each statement's SQL last took, by its text: a transaction's statements have a
# few dozen shapes (their values are parameters). Bounded: past the size, it starts over.
_took: dict[str, float] = {}
TOOK_SIZE = 4096
_BUSY = (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)


async def _here_or_there(query: str, here: Callable[[], T] | None,
                         there: Callable[[], Awaitable[T]]) -> T:
    """`here()` on the event loop when `query` last took under INLINE_BELOW_S (and `here`
    is given), else `there()` on aiosqlite's thread; timed either way. A busy database
    `here` (a connection that waits for no lock) sends the statement `there`."""
    began = time.perf_counter()
    done = False
    if here is not None and _took.get(query, math.inf) < INLINE_BELOW_S:
        try:
            result, done = here(), True
        except sqlite3.OperationalError as exc:
            if exc.sqlite_errorcode not in _BUSY:
                raise
    if not done:
        result = await there()
    if len(_took) >= TOOK_SIZE and query not in _took:
        _took.clear()
    _took[query] = time.perf_counter() - began
    return result


class InlineStatements:
    """The statements of a transaction holding the write lock, run on the event loop once
    their SQL is known to be quick (see the module's docstring); the ORM's own steps
    otherwise (its query rewriting, its log, its exceptions)."""

    # (of the ORM's client class, beside this one in the transaction's bases)
    log: Any
    acquire_connection: Any

    @translate_exceptions
    async def execute_query(self, query: str, values: list[Any] | None = None
                            ) -> tuple[int, Sequence[Any]]:
        query = query.replace("\x00", "'||CHAR(0)||'")
        async with self.acquire_connection() as connection:
            self.log.debug("%s: %s", query, values)
            start = connection.total_changes
            rows = await _rows(connection._conn, connection, query, values)
            return (connection.total_changes - start) or len(rows), rows

    @translate_exceptions
    async def execute_query_dict(self, query: str, values: list[Any] | None = None
                                 ) -> list[dict[str, Any]]:
        query = query.replace("\x00", "'||CHAR(0)||'")
        async with self.acquire_connection() as connection:
            self.log.debug("%s: %s", query, values)
            return list(map(dict, await _rows(connection._conn, connection, query, values)))

    @translate_exceptions
    async def execute_insert(self, query: str, values: list[Any]) -> int:
        async with self.acquire_connection() as connection:
            self.log.debug("%s: %s", query, values)
            key = await _here_or_there(
                query, lambda: connection._conn.execute(query, values).lastrowid,
                lambda: _first_of(connection.execute_insert(query, values)))
            return int(key)


def run_now(connection: aiosqlite.Connection, sql: str) -> None:
    """A savepoint's statement, on the event loop: inside a transaction it does no I/O and
    never waits."""
    connection._conn.execute(sql)


async def _rows(here: sqlite3.Connection | None, there: aiosqlite.Connection, query: str,
                values: list[Any] | None) -> list[Any]:
    """The statement's rows: through `here` on the loop when quick, else `there`."""

    async def threaded() -> list[Any]:
        return list(await there.execute_fetchall(query, values))

    return await _here_or_there(
        query, None if here is None else lambda: here.execute(query, values or []).fetchall(),
        threaded)


async def _first_of(row: Awaitable[Any]) -> Any:
    return (await row)[0]


def _is_read(query: str) -> bool:
    # Only a plain SELECT: a WITH may end in an INSERT, and PRAGMAs may write.
    return query[:6].upper() == "SELECT"


class ReadingSqliteClient(SqliteClient):
    """SqliteClient whose reads outside a transaction run on a second connection."""

    def __init__(self, file_path: str, **kwargs: Any) -> None:
        super().__init__(file_path, **kwargs)
        self.reader: aiosqlite.Connection | None = None
        # The same reads, on the event loop, once their SQL is known to be quick: a
        # connection that waits for no lock (a busy database raises at once, and the read
        # goes to `reader`'s thread instead). The compiled reads' fast lane reads through
        # it too (gql/compiled/inline_sqlite.py).
        self.quick: sqlite3.Connection | None = None

    async def create_connection(self, with_db: bool) -> None:
        if not self._connection:
            # The ORM's own steps, but usable from the event loop's thread too
            # (InlineStatements): sqlite3 itself serialises calls on a connection.
            self._connection = await aiosqlite.connect(self.filename, isolation_level=None,
                                                       check_same_thread=False)
            self._connection._conn.row_factory = sqlite3.Row
            for pragma, val in self.pragmas.items():
                cursor = await self._connection.execute(f"PRAGMA {pragma}={val}")
                await cursor.close()
            await self._post_connect()
        if self.reader is None and self.filename != ":memory:":
            reader = await aiosqlite.connect(self.filename, isolation_level=None)
            reader._conn.row_factory = sqlite3.Row
            await reader.execute("PRAGMA query_only = ON")
            self.reader = reader
            quick = sqlite3.connect(self.filename, timeout=0, isolation_level=None,
                                    check_same_thread=False)
            quick.row_factory = sqlite3.Row
            quick.execute("PRAGMA query_only = ON")
            self.quick = quick

    async def close(self) -> None:
        reader, self.reader = self.reader, None
        quick, self.quick = self.quick, None
        if reader is not None:
            await reader.close()
        if quick is not None:
            quick.close()
        await super().close()

    def _reading(self, query: str) -> aiosqlite.Connection | None:
        if self.reader is None or isinstance(self, TransactionalDBClient):
            return None
        return self.reader if _is_read(query) else None

    @translate_exceptions
    async def execute_query(self, query: str, values: list[Any] | None = None
                            ) -> tuple[int, Sequence[Any]]:
        reader = self._reading(query)
        if reader is None:
            return await super().execute_query(query, values)
        query = query.replace("\x00", "'||CHAR(0)||'")  # as the ORM's own
        self.log.debug("%s: %s", query, values)
        rows = await self._read(reader, query, values)
        return len(rows), rows

    @translate_exceptions
    async def execute_query_dict(self, query: str, values: list[Any] | None = None
                                 ) -> list[dict[str, Any]]:
        reader = self._reading(query)
        if reader is None:
            return await super().execute_query_dict(query, values)
        query = query.replace("\x00", "'||CHAR(0)||'")
        self.log.debug("%s: %s", query, values)
        return list(map(dict, await self._read(reader, query, values)))

    async def _read(self, reader: aiosqlite.Connection, query: str,
                    values: list[Any] | None) -> list[Any]:
        return await _rows(self.quick, reader, query, values)


client_class = ReadingSqliteClient
