"""Migration operations of our own, for what the ORM's would do wrongly on our versions."""

from __future__ import annotations

from typing import Any

from tortoise.migrations import operations as ops


class AlterEnumChoices(ops.AlterField):
    """A CharEnumField that gained values: only the recorded state changes (its description
    lists the values), never the table. On SQLite, tortoise-orm 1.1.9's AlterField rebuilds
    the table and loses its unique_together index; the column itself (a VARCHAR) is unchanged
    as long as max_length is."""

    async def database_forward(self, *args: Any, **kwargs: Any) -> None:
        return None

    async def database_backward(self, *args: Any, **kwargs: Any) -> None:
        return None
