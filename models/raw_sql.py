"""What a hand-written statement of models/ needs on both databases."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from tortoise import connections

from models.asyncpg_client import ReadingAsyncpgClient

# The ORM's statement log: statements sent here are logged where all the others are.
log = logging.getLogger("tortoise.db_client")


def placeholder(number: int, postgres: bool) -> str:
    """The `number`-th bound value: `$n` on asyncpg, `?n` on SQLite. Numbered on both, so
    that one value can stand in several places of a statement."""
    return f"${number}" if postgres else f"?{number}"


def logged(statement: str, values: list[Any]) -> None:
    """A statement sent past the ORM, in the ORM's statement log all the same."""
    if log.isEnabledFor(logging.DEBUG):
        log.debug("%s: %s", statement, values)


async def fetch_rows(statement: str, values: list[Any], client: Any = None
                     ) -> Sequence[Any]:
    """The rows of a hand-written SELECT on the ORM's connection. On asyncpg it goes to a
    connection directly (models/asyncpg_client.py, its own or the pool's): the ORM's
    execute_query upper-cases a copy of the whole statement on every call to tell a read
    from a write (a compiled read's statement is kilobytes long), which cost a school's form
    read a quarter of its time."""
    client = connections.get("default") if client is None else client
    # Not inside a transaction (its wrapper is another class): that one's connection it is.
    if type(client) is not ReadingAsyncpgClient:
        _, rows = await client.execute_query(statement, values)
        return rows
    logged(statement, values)
    return await client.reads.fetch(statement, values)
