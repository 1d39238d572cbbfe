"""The models and the migrations agree: a model change without its migration fails here."""

from __future__ import annotations

from tortoise import Tortoise
from tortoise.migrations.autodetector import MigrationAutodetector

from models.config import tortoise_config


async def test_no_model_change_lacks_a_migration(orm: str) -> None:
    apps = tortoise_config(orm)["apps"]

    writers = await MigrationAutodetector(Tortoise.apps, apps).changes()

    assert writers == [], "run `.venv/bin/tortoise makemigrations` and commit the migration"
