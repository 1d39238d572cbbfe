"""What the benchmark counts besides time: SQL statements on the wire, and peak memory.

Statements are counted at the driver, so that whatever sends them (the ORM, the read
compiler, asyncpg's own reset query) is seen: on PostgreSQL by a query logger on every
pool connection, on SQLite by the connections' trace callbacks. The floors use connections
of their own and are not counted.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import asyncpg
from tortoise import Tortoise, connections

from models.config import tortoise_config


class Statements:
    count = 0

    @classmethod
    def seen(cls, *_: Any) -> None:
        cls.count += 1

    @classmethod
    async def since(cls, start: int) -> int:
        await asyncio.sleep(0)  # asyncpg calls its query loggers on the next loop turn
        return cls.count - start

    @classmethod
    @asynccontextmanager
    async def counting(cls) -> AsyncIterator[None]:
        """Count the statements sent inside. Outside, the drivers' hooks are off: a timed
        request pays nothing for being counted (asyncpg times and records every query a
        logger watches, and schedules the logger; sqlite3 builds each statement's text for
        its trace callback), as the floors, never counted, pay nothing."""
        await _hooks(True)
        try:
            yield
        finally:
            await _hooks(False)


class CountingConnection(asyncpg.Connection):  # type: ignore[misc]
    counting = False  # whether a connection the pool opens now is watched

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if CountingConnection.counting:
            self.add_query_logger(Statements.seen)


async def _hooks(on: bool) -> None:
    client = connections.get("default")
    if client.capabilities.dialect == "sqlite":
        trace = Statements.seen if on else None
        await client._connection.set_trace_callback(trace)
        if client.reader is not None:  # the reads' own (models/sqlite_client.py)
            await client.reader.set_trace_callback(trace)
        if client.quick is not None:  # the same on the event loop, the fast lane's too
            client.quick.set_trace_callback(trace)
        return
    CountingConnection.counting = on
    pooled = [holder._con for holder in client._pool._holders]  # asyncpg's: the pool's
    for connection in [*pooled, *client.reads.idle]:  # and those beside it
        if connection is not None:
            if on:
                connection.add_query_logger(Statements.seen)
            else:
                connection.remove_query_logger(Statements.seen)


async def start_orm(url: str) -> None:
    """The ORM on `url` as the server configures it, its statements countable
    (Statements.counting)."""
    config = tortoise_config(url)
    connection = config["connections"]["default"]
    if isinstance(connection, dict) and "asyncpg" in connection["engine"]:
        # the server's own pool settings, counted
        connection["credentials"]["connection_class"] = CountingConnection
    await Tortoise.init(config=config, _enable_global_fallback=True)
    await connections.get("default").execute_query("SELECT 1")


def reset_peak_rss() -> None:
    """Start a new high-water mark of the process's memory (Linux: clear_refs 5)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


def peak_rss_mib() -> float:
    """The process's peak resident memory since the last reset, in MiB."""
    status = Path("/proc/self/status").read_text()
    match = re.search(r"VmHWM:\s+(\d+) kB", status)
    if match:
        return int(match.group(1)) / 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
