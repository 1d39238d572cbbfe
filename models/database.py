"""Bringing a database to the current schema, through the ORM's migrations only."""

from __future__ import annotations

import sqlite3

from tortoise import Tortoise
from tortoise.exceptions import DBConnectionError
from tortoise.migrations.api import migrate

from models.config import tortoise_config


async def migrate_database(db_url: str) -> None:
    """Apply every pending migration, creating the database file or schema as needed.

    Run once before serving (never from several workers at once: they would race).
    """
    try:
        await migrate(config=tortoise_config(db_url))
    finally:
        # Also on failure: an open aiosqlite connection keeps the process from exiting.
        await Tortoise.close_connections()


async def analyze() -> None:
    """Planner statistics for rows just loaded in bulk. A database in service has them
    (PostgreSQL's autovacuum analyzes a table once enough of it changed, within a minute or
    so; SQLite's are made by ANALYZE); until then the planner guesses (a campaign's 15,000
    undertakings as 48, one row per subquery) and joins the wrong way round: the compiled
    progress of 2,000 freshly imported schools took 8.7 s on PostgreSQL, 28 ms analyzed."""
    from tortoise import connections

    await connections.get("default").execute_script("ANALYZE")


async def pending_migrations() -> list[str]:
    """The migrations of models/migrations the database has not applied (by name)."""
    import pkgutil

    from tortoise import connections

    from models import migrations

    names = sorted(m.name for m in pkgutil.iter_modules(migrations.__path__)
                   if m.name[:4].isdigit())
    _, rows = await connections.get("default").execute_query(
        "SELECT name FROM tortoise_migrations WHERE app = 'models'")
    applied = {row["name"] for row in rows}
    return [n for n in names if n not in applied]


_SQLITE_UNAVAILABLE = ("unable to open database", "database is locked", "disk i/o error")


def is_unavailable(exc: BaseException | None) -> bool:
    """Whether an exception (or one it was raised from) says the database cannot be reached,
    as opposed to a statement that failed."""
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, DBConnectionError | ConnectionError | TimeoutError):
            return True
        if isinstance(exc, OSError) and exc.errno is not None:
            return True  # refused, unreachable, reset: the socket's errors
        if isinstance(exc, sqlite3.OperationalError) and any(
                text in str(exc).lower() for text in _SQLITE_UNAVAILABLE):
            return True
        module = type(exc).__module__
        if module.startswith("asyncpg") and type(exc).__name__ in {
                "ConnectionDoesNotExistError", "CannotConnectNowError", "ConnectionFailureError",
                "TooManyConnectionsError", "InterfaceError", "AdminShutdownError",
                "CrashShutdownError"}:
            return True
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return False
