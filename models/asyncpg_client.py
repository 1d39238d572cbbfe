"""The ORM's PostgreSQL client, with a few connections of its own for hand-written reads.

Why: a hand-written read outside a transaction (the fast lane's one statement per request,
models/raw_sql.py fetch_rows) took a pool connection and gave it back. asyncpg's
`Pool.release` runs the release in `asyncio.shield`, a Task of its own and one more turn of
the event loop, and the pool's bookkeeping on both sides: about 90 us of a 480 us school's
form read here, more than the rest of the request's Python. These connections are handed out
from a plain list instead.

What keeps that safe: a connection here runs one statement at a time, outside any
transaction (asyncpg's autocommit), so it holds no session state between uses, as the pool's
(models/config.py keep_session). One that failed for a reason other than the server's answer
to the statement is dropped, not reused; a read that met a dropped connection is run once
more, on the pool (a read can be repeated). When all of them are busy the read goes to the
pool, as before, so the number here bounds only what this adds beside the pool.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Sequence
from typing import Any

import asyncpg
from tortoise.backends.asyncpg.client import AsyncpgDBClient

# At most this many connections beside the pool. The reads they serve are single statements
# of a millisecond or less; when more than this are in flight, the rest use the pool.
OWN_CONNECTIONS = 2

# After a connection could not be opened, how long the reads use only the pool before this
# tries again: during an outage, one connect attempt per request is the pool's, not two.
REST_AFTER_FAILED_CONNECT_S = 5.0

# What asyncpg.connect accepts of the pool's settings (the pool's own, min_size, reset and
# the like, are not a connection's).
_CONNECT_ARGUMENTS = frozenset(inspect.signature(asyncpg.connect).parameters) - {"loop"}


class OwnConnections:
    """Connections opened on demand, up to `limit`, each lent to one read at a time."""

    def __init__(self, client: ReadingAsyncpgClient, limit: int = OWN_CONNECTIONS) -> None:
        self._client = client
        self._limit = limit
        self._idle: list[asyncpg.Connection] = []
        self._open = 0  # idle and lent
        self._closing = False
        self._resting = 0.0  # no new connection before this (time.monotonic())

    async def fetch(self, statement: str, values: Sequence[Any]) -> Sequence[Any]:
        connection = await self._lend()
        if connection is None:
            return await self._on_pool(statement, values)
        try:
            rows = await connection.fetch(statement, *values)
        except Exception as error:
            if isinstance(error, asyncpg.PostgresError) and not connection.is_closed():
                # The server's answer to this statement: the connection is as good as before.
                self._give_back(connection)
                raise
            # The connection itself (ended by the server, the network): drop it, and read
            # again where the pool will open a fresh one or report the outage.
            self._drop(connection)
            return await self._on_pool(statement, values)
        except BaseException:
            # Cancelled mid-statement, or worse: its state is unknown.
            self._drop(connection)
            raise
        self._give_back(connection)
        return rows

    @property
    def idle(self) -> tuple[asyncpg.Connection, ...]:
        return tuple(self._idle)

    async def close(self) -> None:
        """No more lending: the idle ones close now, those lent when they come back."""
        self._closing = True
        await self.expire()

    async def expire(self) -> None:
        """As the pool's expire_connections: none of today's are used again."""
        idle, self._idle = self._idle, []
        for connection in idle:
            self._open -= 1
            await _close(connection)

    async def _lend(self) -> asyncpg.Connection | None:
        while self._idle:
            connection = self._idle.pop()
            if not connection.is_closed():
                return connection
            self._open -= 1
        if self._closing or self._open >= self._limit or time.monotonic() < self._resting:
            return None
        self._open += 1
        try:
            return await self._client.own_connection()
        except Exception:
            # The server cannot be reached, or refuses one more connection: the pool's
            # connections are the ones to use (and its errors the ones to report) for a while.
            self._open -= 1
            self._resting = time.monotonic() + REST_AFTER_FAILED_CONNECT_S
            return None
        except BaseException:
            self._open -= 1
            raise

    def _give_back(self, connection: asyncpg.Connection) -> None:
        if self._closing or connection.is_closed():
            self._drop(connection)
        else:
            self._idle.append(connection)

    def _drop(self, connection: asyncpg.Connection) -> None:
        self._open -= 1
        connection.terminate()

    async def _on_pool(self, statement: str, values: Sequence[Any]) -> Sequence[Any]:
        pool = self._client._pool
        if pool is None:
            raise asyncpg.InterfaceError("the ORM's connections are closed")
        async with pool.acquire() as connection:
            return await connection.fetch(statement, *values)


async def _close(connection: asyncpg.Connection) -> None:
    try:
        await asyncio.wait_for(connection.close(), 10)
    except (TimeoutError, OSError, asyncpg.InterfaceError):
        connection.terminate()


class ReadingAsyncpgClient(AsyncpgDBClient):
    """AsyncpgDBClient, with `reads` beside its pool (see the module's docstring)."""

    async def create_connection(self, with_db: bool) -> None:
        await super().create_connection(with_db)
        self.reads = OwnConnections(self)

    async def own_connection(self) -> asyncpg.Connection:
        """A connection as the pool opens them: the same server, settings and class."""
        arguments = {name: value for name, value in self._template.items()
                     if name in _CONNECT_ARGUMENTS}
        return await asyncpg.connect(password=self.password, **arguments)

    async def _expire_connections(self) -> None:
        await super()._expire_connections()
        await self.reads.expire()

    async def _close(self) -> None:
        reads = getattr(self, "reads", None)
        if reads is not None:
            await reads.close()
        await super()._close()


client_class = ReadingAsyncpgClient
