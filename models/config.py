"""Database configuration: one URL, SQLite by default, PostgreSQL one URL away."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from tortoise.backends.base.config_generator import expand_db_url

DEFAULT_DATA_DIR = Path("data")


def database_url() -> str:
    """DATABASE_URL, or an SQLite file in ./data (created on demand)."""
    url = os.environ.get("DATABASE_URL")
    if url:
        return url
    DEFAULT_DATA_DIR.mkdir(parents=True, exist_ok=True)
    return f"sqlite://{DEFAULT_DATA_DIR / 'platform.sqlite3'}"


async def keep_session(connection: Any) -> None:
    """What asyncpg's pool runs when a connection is released, instead of its reset query.

    Tortoise takes a pool connection per statement outside transactions, and asyncpg's
    default reset (`SELECT pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL`) then
    costs a round trip after every statement: a read of 32 statements made 64. That query
    undoes session state, and this application keeps none: no advisory locks, no cursors
    outside a transaction, no LISTEN (the live feed listens on a connection of its own,
    models/status_feed.py), no SET outside a transaction.
    asyncpg still rolls back an open transaction and drops listeners before calling this.
    """


# Session settings of every pooled PostgreSQL connection. JIT off: the compiled reads are
# single statements whose cost estimate (correlated subqueries times rows) passes
# jit_above_cost although they run in tens of milliseconds; compiling them to machine code
# took 25-30 ms of a 70 ms province-wide read, every time (PostgreSQL 15). The usual advice
# for OLTP workloads; nothing here is a long analytical query that JIT would pay off on.
SERVER_SETTINGS = {"jit": "off"}


SQLITE_ENGINE = "models.sqlite_client"  # the ORM's, with a connection for reads beside it
POSTGRES_ENGINE = "models.asyncpg_client"  # the ORM's, with connections for reads beside it


def connection_config(db_url: str) -> str | dict[str, Any]:
    """The ORM's connection for a URL; on asyncpg with the pool's reset replaced and
    connections for hand-written reads beside the pool, on SQLite with its reads outside
    transactions on a connection of their own."""
    if db_url.startswith("sqlite://"):
        config = expand_db_url(db_url)
        if config["engine"] == "tortoise.backends.sqlite":
            config["engine"] = SQLITE_ENGINE
        return config
    if not db_url.startswith(("postgres://", "asyncpg://")):
        return db_url
    config = expand_db_url(db_url)
    if config["engine"] != "tortoise.backends.asyncpg":
        return db_url
    config["engine"] = POSTGRES_ENGINE
    config["credentials"]["reset"] = keep_session
    config["credentials"]["server_settings"] = {
        **config["credentials"].get("server_settings", {}), **SERVER_SETTINGS}
    return config


def tortoise_config(db_url: str) -> dict[str, Any]:
    return {
        "connections": {"default": connection_config(db_url)},
        "apps": {
            "models": {
                "models": ["models"],
                "migrations": "models.migrations",
                "default_connection": "default",
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


# For the `tortoise` command line (makemigrations, migrate, history): see pyproject.toml.
TORTOISE_ORM = tortoise_config(os.environ.get("DATABASE_URL", "sqlite://data/platform.sqlite3"))
