"""Exact money sums computed by the database, on SQLite and PostgreSQL alike.

PostgreSQL sums NUMERIC exactly. SQLite has no decimal type (Tortoise stores the amounts as
text) and would sum them as floats, so each amount is first turned into integer fen×100
(cents of 万元) and SQLite sums integers exactly. Both answer integer cents; Python turns them
back into Decimal. Amounts carry at most two decimals (models.declarations), so rounding
`amount * 100` recovers the exact integer.
"""

from __future__ import annotations

from decimal import Decimal

from tortoise.expressions import RawSQL
from tortoise.models import Model

CENTS = Decimal("0.01")


def cents_sum(model: type[Model], column: str, table: str | None = None) -> RawSQL:
    """SUM(column) as integer cents; `column` is one of our own field names, never input."""
    ref = f'"{table or model._meta.db_table}"."{column}"'
    if model._meta.db.capabilities.dialect == "sqlite":
        return RawSQL(f"COALESCE(SUM(CAST(ROUND({ref} * 100) AS INTEGER)), 0)")
    return RawSQL(f"COALESCE(CAST(SUM({ref}) * 100 AS BIGINT), 0)")


def cents_value(model: type[Model], columns: list[str], table: str | None = None) -> RawSQL:
    """The row's total of several amount columns, as integer cents (no aggregation)."""
    table = table or model._meta.db_table
    if model._meta.db.capabilities.dialect == "sqlite":
        parts = [f'CAST(ROUND("{table}"."{c}" * 100) AS INTEGER)' for c in columns]
        return RawSQL("(" + " + ".join(parts) + ")")
    return RawSQL("CAST((" + " + ".join(f'"{table}"."{c}"' for c in columns) + ") * 100 AS BIGINT)")


def money(cents: int | None) -> Decimal:
    return (Decimal(cents or 0) / 100).quantize(CENTS)
