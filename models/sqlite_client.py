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
without the wait. Everything else (writes, and every statement of a transaction) stays on
the ORM's connection. An in-memory database has no second connection to open: as before.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

import aiosqlite
from tortoise.backends.base.client import TransactionalDBClient
from tortoise.backends.sqlite.client import SqliteClient, translate_exceptions


def _is_read(query: str) -> bool:
    # Only a plain SELECT: a WITH may end in an INSERT, and PRAGMAs may write.
    return query[:6].upper() == "SELECT"


class ReadingSqliteClient(SqliteClient):
    """SqliteClient whose reads outside a transaction run on a second connection."""

    def __init__(self, file_path: str, **kwargs: Any) -> None:
        super().__init__(file_path, **kwargs)
        self.reader: aiosqlite.Connection | None = None

    async def create_connection(self, with_db: bool) -> None:
        await super().create_connection(with_db)
        if self.reader is None and self.filename != ":memory:":
            reader = await aiosqlite.connect(self.filename, isolation_level=None)
            reader._conn.row_factory = sqlite3.Row
            await reader.execute("PRAGMA query_only = ON")
            self.reader = reader

    async def close(self) -> None:
        reader, self.reader = self.reader, None
        if reader is not None:
            await reader.close()
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
        rows = list(await reader.execute_fetchall(query, values))
        return len(rows), rows

    @translate_exceptions
    async def execute_query_dict(self, query: str, values: list[Any] | None = None
                                 ) -> list[dict[str, Any]]:
        reader = self._reading(query)
        if reader is None:
            return await super().execute_query_dict(query, values)
        query = query.replace("\x00", "'||CHAR(0)||'")
        self.log.debug("%s: %s", query, values)
        return list(map(dict, await reader.execute_fetchall(query, values)))


client_class = ReadingSqliteClient
