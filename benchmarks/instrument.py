"""What the benchmark counts besides time: SQL statements on the wire, and peak memory.

Statements are counted at the driver, so that whatever sends them (the ORM, the read
compiler, asyncpg's own reset query) is seen: on PostgreSQL by a query logger on every
pool connection, on SQLite by the connections' trace callbacks. The floors use connections
of their own and are not counted.
"""

from __future__ import annotations

import asyncio
import re
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


class CountingConnection(asyncpg.Connection):  # type: ignore[misc]
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.add_query_logger(Statements.seen)


async def start_orm(url: str) -> None:
    """The ORM on `url` as the server configures it, with statement counting."""
    config = tortoise_config(url)
    connection = config["connections"]["default"]
    if isinstance(connection, dict) and "asyncpg" in connection["engine"]:
        # the server's own pool settings, counted
        connection["credentials"]["connection_class"] = CountingConnection
    await Tortoise.init(config=config, _enable_global_fallback=True)
    client = connections.get("default")
    await client.execute_query("SELECT 1")
    if client.capabilities.dialect == "sqlite":
        await client._connection.set_trace_callback(Statements.seen)
        if client.reader is not None:  # the reads' own (models/sqlite_client.py)
            await client.reader.set_trace_callback(Statements.seen)
        if client.quick is not None:  # the same on the event loop, the fast lane's too
            client.quick.set_trace_callback(Statements.seen)


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
