"""Transactions that write, and the time they happen at."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime

from tortoise import connections
from tortoise.backends.base.client import (
    NestedTransactionContext,
    TransactionalDBClient,
    TransactionContext,
)
from tortoise.backends.sqlite.client import (
    SqliteClient,
    SqliteTransactionContext,
    SqliteTransactionWrapper,
    _gen_savepoint_name,
)
from tortoise.connection import get_connections
from tortoise.exceptions import TransactionManagementError
from tortoise.transactions import in_transaction

from models.clock import now_utc
from models.sqlite_client import InlineStatements, run_now


class _ImmediateTransaction(InlineStatements, SqliteTransactionWrapper):
    """SQLite's transaction begun with BEGIN IMMEDIATE (see write_transaction), its
    statements run on the event loop while quick (models/sqlite_client.py), its savepoints
    too."""

    async def begin(self) -> None:
        # The ORM's own begin() asks the driver to commit first, then sends BEGIN: two
        # round trips to the driver's thread for nothing, since no transaction is open.
        await self._connection.execute("BEGIN IMMEDIATE")

    def _in_transaction(self) -> TransactionContext:
        return NestedTransactionContext(_ImmediateTransaction(self))

    async def savepoint(self) -> None:
        self._savepoint = _gen_savepoint_name()
        run_now(self._connection, f"SAVEPOINT {self._savepoint}")

    async def savepoint_rollback(self) -> None:
        if self._finalized:
            raise TransactionManagementError("Transaction already finalised")
        if self._savepoint is None:
            raise TransactionManagementError("No savepoint to rollback to")
        run_now(self._connection, f"ROLLBACK TO {self._savepoint}")
        self._savepoint = None

    async def release_savepoint(self) -> None:
        if self._finalized:
            raise TransactionManagementError("Transaction already finalised")
        if self._savepoint is None:
            raise TransactionManagementError("No savepoint to rollback to")
        run_now(self._connection, f"RELEASE {self._savepoint}")


class _ImmediateContext(SqliteTransactionContext):
    """The ORM's context for it (the same steps), but a BEGIN that fails (the write lock not
    had within the busy timeout) gives back what it took: the ORM's own leaves its
    transaction lock taken then, and every later transaction of the process waits forever."""

    async def __aenter__(self) -> TransactionalDBClient:
        await self._trxlock.acquire()
        try:
            await self.ensure_connection()
            self.token = get_connections().set(self.connection_name, self.connection)
            try:
                await self.connection.begin()
            except BaseException:
                get_connections().reset(self.token)
                raise
        except BaseException:
            self._trxlock.release()
            raise
        return self.connection


def _writing() -> TransactionContext:
    client = connections.get("default")
    if isinstance(client, SqliteClient) and not isinstance(client, SqliteTransactionWrapper):
        return _ImmediateContext(_ImmediateTransaction(client), client._lock)
    # PostgreSQL, or nested inside another transaction (a savepoint: the lock is the
    # outer one's).
    return in_transaction()


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
    async with _writing():
        yield now_utc()


@asynccontextmanager
async def within_transaction() -> AsyncIterator[datetime]:
    """Like write_transaction, but inside a transaction already open it adds no savepoint:
    for a write that can only fail as a whole with its caller (an audit record)."""
    if isinstance(connections.get("default"), TransactionalDBClient):
        yield now_utc()
        return
    async with write_transaction() as at:
        yield at


def open_transaction() -> TransactionalDBClient | None:
    """The transaction this task is in (nested savepoints are the same one), or None.

    What a transaction read, it may use again while this stays the same object: on SQLite
    every transaction is serializable (BEGIN IMMEDIATE holds the write lock, and a deferred
    one that read what another then changed cannot write), so a second read would find the
    same rows."""
    client = connections.get("default")
    return client if isinstance(client, TransactionalDBClient) else None
