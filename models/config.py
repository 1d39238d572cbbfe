"""Database configuration: one URL, SQLite by default, PostgreSQL one URL away."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

DEFAULT_DATA_DIR = Path("data")


def database_url() -> str:
    """DATABASE_URL, or an SQLite file in ./data (created on demand)."""
    url = os.environ.get("DATABASE_URL")
    if url:
        return url
    DEFAULT_DATA_DIR.mkdir(parents=True, exist_ok=True)
    return f"sqlite://{DEFAULT_DATA_DIR / 'platform.sqlite3'}"


def tortoise_config(db_url: str) -> dict[str, Any]:
    return {
        "connections": {"default": db_url},
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
