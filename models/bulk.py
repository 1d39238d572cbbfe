"""Many rows in one SQL statement: a multi-row INSERT, optionally an upsert.

Tortoise's `bulk_create` sends one parameter set per row (`executemany`: on asyncpg a
round of Bind/Execute per row, on SQLite a statement per row) and sets no primary keys.
A form saving ten rows should be one statement on the wire, so this builds
`INSERT ... VALUES (...), (...) [ON CONFLICT (...) DO UPDATE SET ...]` with the ORM's own
query builder, placeholders and value conversions (auto_now stamps included), inside
whatever transaction the caller holds. Both SQLite (3.24+) and PostgreSQL know the upsert.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any, TypeVar

from pypika_tortoise.terms import Parameter
from tortoise.models import Model

M = TypeVar("M", bound=Model)

# SQLite allows 32,766 parameters per statement (3.32+); stay well below.
MAX_PARAMETERS = 30_000


def insertable(model: type[Model]) -> list[str]:
    """The fields an INSERT writes: all but the generated primary key."""
    meta = model._meta
    return [n for n in meta.fields_db_projection if not meta.fields_map[n].generated]


async def insert_rows(rows: Sequence[M], *, conflict: Sequence[str] = (),
                      update: Sequence[str] = ()) -> None:
    """Insert `rows` (unsaved instances of one model); on a `conflict` on the given
    columns, update the `update` fields of the existing row instead."""
    if not rows:
        return
    model = type(rows[0])
    names = insertable(model)
    fields = [model._meta.fields_map[n] for n in names]
    await insert_values(model, names, [
        [f.to_db_value(getattr(row, n), row) for n, f in zip(names, fields, strict=True)]
        for row in rows], conflict=conflict, update=update)


async def insert_fields(model: type[Model], rows: Sequence[dict[str, Any]], *,
                        conflict: Sequence[str] = (), update: Sequence[str] = ()) -> None:
    """Insert rows given as field values (every row the same fields), converted by the
    fields as `insert_rows` does but without a model instance per row: for rows written
    and never read back (a form's history, its rows), building instances cost more than
    the insert. Fields left out take their database default; no auto_now stamps are made.
    `conflict` and `update`: as insert_rows'."""
    if not rows:
        return
    names = list(rows[0])
    fields = [model._meta.fields_map[n] for n in names]
    await insert_values(model, names, [
        [f.to_db_value(row[n], model) for n, f in zip(names, fields, strict=True)]
        for row in rows], conflict=conflict, update=update)


async def insert_values(model: type[Model], names: Sequence[str],
                        rows: Sequence[Sequence[Any]], *, conflict: Sequence[str] = (),
                        update: Sequence[str] = ()) -> None:
    """Insert rows already converted for the database, one value per field of `names`."""
    meta = model._meta
    columns = [meta.fields_db_projection[n] for n in names]
    db = model._choose_db(for_write=True)
    width = len(columns)
    per_statement = max(1, MAX_PARAMETERS // width)
    for start in range(0, len(rows), per_statement):
        chunk = rows[start:start + per_statement]
        sql = insert_sql(model, builder(db), tuple(columns), len(chunk), tuple(conflict),
                         tuple(meta.fields_db_projection[name] for name in update))
        await db.execute_query(sql, [v for row in chunk for v in row])


def builder(db: Any) -> Any:
    """The connection's dialect's query class: what the statements below are built with,
    and a key of their caches."""
    return db.query_class


@lru_cache(maxsize=256)
def insert_sql(model: type[Model], query_class: Any, columns: tuple[str, ...], count: int,
               conflict: tuple[str, ...] = (), update: tuple[str, ...] = ()) -> str:
    """The INSERT of `count` rows of `columns` (upserting `update` on a `conflict`), in the
    dialect of `query_class`: built once per shape, since the builder copies the whole query
    at each step (a form's ten rows took as long to build as to write)."""
    width = len(columns)
    query = query_class.into(model._meta.basetable).columns(*columns).insert(
        *[tuple(Parameter(idx=r * width + i + 1) for i in range(width)) for r in range(count)])
    if update:
        query = query.on_conflict(*conflict)
        for column in update:
            query = query.do_update(column)
    return str(query.get_sql())
