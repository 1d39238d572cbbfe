"""Transactions that write, and the time they happen at."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime

from tortoise.backends.sqlite.client import SqliteTransactionWrapper
from tortoise.transactions import in_transaction

from models.clock import now_utc


@asynccontextmanager
async def write_transaction() -> AsyncIterator[datetime]:
    """A transaction that reads, then writes; yields its time, taken once the write lock
    is ours (SQLite) so that a transaction waiting for another writer reads the clock after
    the wait.

    On SQLite the ORM starts a deferred transaction: one that reads first and writes after
    another process committed fails at once with "database is locked" (the busy timeout does
    not apply to the upgrade). BEGIN IMMEDIATE takes the write lock up front, waiting for it
    within the busy timeout. PostgreSQL needs nothing: row locks and versions do the work.
    """
    async with in_transaction() as connection:
        # Nested inside another transaction (a savepoint) the lock is the outer one's.
        if isinstance(connection, SqliteTransactionWrapper) and not isinstance(
                connection._parent, SqliteTransactionWrapper):
            raw = connection._connection  # the ORM just sent a plain BEGIN: nothing ran yet
            await raw.execute("COMMIT")
            await raw.execute("BEGIN IMMEDIATE")
        yield now_utc()
