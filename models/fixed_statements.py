"""Statements of a fixed shape on the hot paths (a login, a form's save and submit, the
operation log's record), their SQL built once per dialect and shape by the ORM's own query
builder and kept as text.

The ORM builds every statement anew: filters resolved against the model, a pypika tree,
rendered to text. For a lookup by key that is ~100 us of the event loop's time, more than
SQLite takes to run it, and a rush of schools runs thousands of them. The SQL here is the
same the ORM would send (its builder, its placeholders), values go through the fields' own
`to_db_value` and rows through the model's `_init_from_db`, exactly as the ORM's queries
do; only the building is done once. Each runs on whatever connection the ORM would choose
(the caller's transaction included) and is logged where the ORM logs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any, TypeVar

from pypika_tortoise.enums import Order
from pypika_tortoise.terms import Parameter
from tortoise.fields.relational import ForeignKeyFieldInstance
from tortoise.models import Model

from models.bulk import builder, insert_sql, insertable
from models.raw_sql import placeholder

M = TypeVar("M", bound=Model)
N = TypeVar("N", bound=Model)


def _related(model: type[Model], name: str) -> type[Model]:
    field = model._meta.fields_map[name]
    assert isinstance(field, ForeignKeyFieldInstance), name
    return field.related_model


def _column(model: type[Model], name: str) -> str:
    return model._meta.fields_db_projection[name]


def _db_values(model: type[Model], values: Mapping[str, Any]) -> list[Any]:
    fields = model._meta.fields_map
    return [fields[name].to_db_value(value, model) for name, value in values.items()]


def _selecting(model: type[Model], query_class: Any, keys: tuple[str, ...]) -> Any:
    """SELECT of every column of `model` WHERE each of `keys` equals a parameter ($1...)."""
    meta = model._meta
    table = meta.basetable
    query = query_class.from_(table).select(
        *[table[column] for column in meta.fields_db_projection.values()])
    for index, key in enumerate(keys):
        query = query.where(table[_column(model, key)] == Parameter(idx=index + 1))
    return query


@lru_cache(maxsize=256)
def _select_sql(model: type[Model], query_class: Any, keys: tuple[str, ...]) -> str:
    return str(_selecting(model, query_class, keys).limit(1).get_sql())


async def first(model: type[M], **equals: Any) -> M | None:
    """The row whose fields equal `equals` (a unique key's: at most one), or None; like
    `model.get_or_none(**equals)` for plain fields (no lookups, no None)."""
    db = model._choose_db()
    sql = _select_sql(model, builder(db), tuple(equals))
    _, rows = await db.execute_query(sql, _db_values(model, equals))
    return model._init_from_db(**rows[0]) if rows else None


@lru_cache(maxsize=64)
def _exists_sql(model: type[Model], query_class: Any, keys: tuple[str, ...]) -> str:
    table = model._meta.basetable
    query = query_class.from_(table).select(1)
    for index, key in enumerate(keys):
        query = query.where(table[_column(model, key)] == Parameter(idx=index + 1))
    return str(query.limit(1).get_sql())


async def exists(model: type[Model], **equals: Any) -> bool:
    """Whether a row's fields equal `equals`: like `model.exists(**equals)` for plain
    fields."""
    db = model._choose_db()
    _, rows = await db.execute_query(_exists_sql(model, builder(db), tuple(equals)),
                                     _db_values(model, equals))
    return bool(rows)


@lru_cache(maxsize=256)
def _among_sql(model: type[Model], query_class: Any, keys: tuple[str, ...], field: str,
               count: int) -> str:
    table = model._meta.basetable
    query = _selecting(model, query_class, keys).where(table[_column(model, field)].isin(
        [Parameter(idx=len(keys) + i + 1) for i in range(count)]))
    return str(query.get_sql())


async def among(model: type[M], field: str, values: Sequence[Any], **equals: Any
                ) -> list[M]:
    """The rows whose `field` is one of `values` (and whose fields equal `equals`): like
    `model.filter(**equals, field__in=values)` (in no particular order)."""
    if not values:
        return []
    db = model._choose_db()
    sql = _among_sql(model, builder(db), tuple(equals), field, len(values))
    converter = model._meta.fields_map[field]
    _, rows = await db.execute_query(sql, [*_db_values(model, equals), *[
        converter.to_db_value(v, model) for v in values]])
    return [model._init_from_db(**row) for row in rows]


@lru_cache(maxsize=64)
def _every_sql(model: type[Model], query_class: Any, order: tuple[str, ...]) -> str:
    table = model._meta.basetable
    query = _selecting(model, query_class, ())
    for name in order:
        query = query.orderby(table[_column(model, name.lstrip("-"))],
                              order=Order.desc if name.startswith("-") else Order.asc)
    return str(query.get_sql())


async def every(model: type[M], *order: str) -> list[M]:
    """All rows of a small table in `order` (field names, "-" for descending): like
    `model.all().order_by(*order)`."""
    db = model._choose_db()
    _, rows = await db.execute_query(_every_sql(model, builder(db), order))
    return [model._init_from_db(**row) for row in rows]


def _aliased(model: type[Model], alias: str, prefix: str) -> str:
    """Every column of `model` under table alias `alias`, each named "prefix.column"."""
    return ", ".join(f'{alias}."{c}" AS "{prefix}.{c}"'
                     for c in model._meta.fields_db_projection.values())


def _split_off(row: dict[str, Any], model: type[Model], prefix: str) -> Any:
    """The `model` row of `row`'s "prefix.column" values (taken out of `row`), or None when
    the outer join found none."""
    mark = f"{prefix}."
    values = {k[len(mark):]: row.pop(k) for k in list(row) if k.startswith(mark)}
    return (None if values.get(model._meta.db_pk_column) is None
            else model._init_from_db(**values))


@lru_cache(maxsize=64)
def _joined_sql(model: type[Model], related: str, keys: tuple[str, ...], postgres: bool
                ) -> str:
    meta = model._meta
    other = _related(model, related)
    mine = ", ".join(f'a."{c}"' for c in meta.fields_db_projection.values())
    where = " AND ".join(f'a."{_column(model, key)}" = {placeholder(i + 1, postgres)}'
                         for i, key in enumerate(keys))
    return (f'SELECT {mine}, {_aliased(other, "b", related)} FROM "{meta.db_table}" a LEFT'
            f' JOIN "{other._meta.db_table}" b ON b."{other._meta.db_pk_column}" = '
            f'a."{_column(model, related + "_id")}" WHERE {where} LIMIT 1')


async def first_with(model: type[M], related: str, **equals: Any) -> M | None:
    """`first`, with the row its foreign key `related` names read in the same statement
    and set on it: like `model.get_or_none(**equals).select_related(related)`."""
    db = model._choose_db()
    postgres = db.capabilities.dialect == "postgres"
    _, rows = await db.execute_query(_joined_sql(model, related, tuple(equals), postgres),
                                     _db_values(model, equals))
    if not rows:
        return None
    row = dict(rows[0])
    theirs = _split_off(row, _related(model, related), related)
    found = model._init_from_db(**row)
    object.__setattr__(found, f"_{related}", theirs)  # where the ORM keeps a fetched one
    return found


def read_with(instance: Model, related: str) -> Any:
    """The row of `instance`'s foreign key `related` if it was read with it (first_with,
    or the ORM's own fetch), else None."""
    return vars(instance).get(f"_{related}")


@lru_cache(maxsize=64)
def _pair_sql(first: type[Model], second: type[Model], keys: tuple[str, ...],
              postgres: bool) -> str:
    def join(model: type[Model], alias: str) -> str:
        on = " AND ".join(f'{alias}."{_column(model, key)}" = {placeholder(i + 1, postgres)}'
                          for i, key in enumerate(keys))
        return f'LEFT JOIN "{model._meta.db_table}" {alias} ON {on}'

    return (f'SELECT {_aliased(first, "a", "a")}, {_aliased(second, "b", "b")}'
            f' FROM (SELECT 1) one {join(first, "a")} {join(second, "b")}')


async def first_pair(first: type[M], second: type[N], **equals: Any
                     ) -> tuple[M | None, N | None]:
    """`first(first, **equals)` and `first(second, **equals)` in one statement: two rows
    of a unique key both tables share (a form and its extension, by organisation and
    campaign)."""
    db = first._choose_db()
    postgres = db.capabilities.dialect == "postgres"
    _, rows = await db.execute_query(_pair_sql(first, second, tuple(equals), postgres),
                                     _db_values(first, equals))
    row = dict(rows[0])
    return _split_off(row, first, "a"), _split_off(row, second, "b")


@lru_cache(maxsize=256)
def _update_sql(model: type[Model], query_class: Any, names: tuple[str, ...],
                keys: tuple[str, ...]) -> str:
    table = model._meta.basetable
    query = query_class.update(table)
    for index, name in enumerate(names):
        query = query.set(_column(model, name), Parameter(idx=index + 1))
    for index, key in enumerate(keys):
        query = query.where(table[_column(model, key)] == Parameter(idx=len(names) + index + 1))
    return str(query.get_sql())


async def update(model: type[Model], where: Mapping[str, Any], values: Mapping[str, Any]
                 ) -> int:
    """`model.filter(**where).update(**values)` for plain fields: the rows changed."""
    db, sql, params = _updating(model, where, values)
    changed, _ = await db.execute_query(sql, params)
    return int(changed)


def _updating(model: type[Model], where: Mapping[str, Any], values: Mapping[str, Any]
              ) -> tuple[Any, str, list[Any]]:
    """(connection, UPDATE statement, its values) of `update`."""
    db = model._choose_db(for_write=True)
    return db, _update_sql(model, builder(db), tuple(values), tuple(where)), [
        *_db_values(model, values), *_db_values(model, where)]


async def update_returning(model: type[M], where: Mapping[str, Any],
                           values: Mapping[str, Any]) -> list[M]:
    """`update`, answering the rows as they now are, from the same statement (UPDATE ...
    RETURNING *: SQLite 3.35+, PostgreSQL)."""
    db, sql, params = _updating(model, where, values)
    rows = await db.execute_query_dict(f"{sql} RETURNING *", params)
    return [model._init_from_db(**row) for row in rows]


async def insert(instance: M) -> M:
    """Write an unsaved instance as one INSERT, its generated key set on it: what
    `instance.save()` does for a new row (defaults and auto_now stamps from the fields)."""
    model = type(instance)
    meta = model._meta
    names = insertable(model)
    db = model._choose_db(for_write=True)
    postgres = db.capabilities.dialect == "postgres"
    sql = insert_sql(model, builder(db), tuple(meta.fields_db_projection[n] for n in names), 1)
    values = [meta.fields_map[n].to_db_value(getattr(instance, n), instance) for n in names]
    if postgres:
        row = await db.execute_insert(f"{sql} RETURNING {meta.db_pk_column}", values)
        key = row[0]
    else:
        key = await db.execute_insert(sql, values)
    setattr(instance, meta.pk_attr, key)
    instance._saved_in_db = True
    return instance
