"""Bringing a database to the current schema, through the ORM's migrations only."""

from __future__ import annotations

from tortoise import Tortoise
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
