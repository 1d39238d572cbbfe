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


class DropColumn(ops.RemoveField):
    """RemoveField by ALTER TABLE ... DROP COLUMN on both databases. On SQLite, tortoise-orm
    1.1.9 removes a field by rebuilding the table, which for a table others point to (the
    users) means copying it under their foreign keys; SQLite has dropped plain columns
    itself since 3.35."""

    def __init__(self, model_name: str, name: str, table: str) -> None:
        super().__init__(model_name, name)
        self.table = table

    async def database_forward(self, app_label: str, old_state: Any, new_state: Any,
                               state_editor: Any = None) -> None:
        if state_editor:
            await state_editor._run_sql(f'ALTER TABLE "{self.table}" DROP COLUMN "{self.name}"')
