"""Quantities and amounts as the forms send them: checked once, the same way everywhere
(declarations, change requests, performance reports)."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from models.errors import Code, DomainError
from models.undertaking import FUNDING_SOURCES

MAX_QUANTITY = 100_000
MAX_AMOUNT = Decimal("1000000")  # 万元 per source: 100亿元, far above any school's plan
CENT = Decimal("0.01")


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p.title() for p in rest)


def parse_amount(value: Any, path: list[Any]) -> Decimal:
    """An amount in 万元: a finite number >= 0 with at most two decimals, within bounds."""
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise DomainError(Code.INVALID_AMOUNT, "经费必须是数字", path) from exc
    if not amount.is_finite():
        raise DomainError(Code.INVALID_AMOUNT, "经费必须是数字", path)
    if amount < 0:
        raise DomainError(Code.INVALID_AMOUNT, "经费不能为负数", path)
    if amount != amount.quantize(CENT):
        raise DomainError(Code.INVALID_AMOUNT, "经费最多保留两位小数（单位：万元）", path)
    if amount > MAX_AMOUNT:
        raise DomainError(Code.INVALID_AMOUNT,
                          f"单项经费不能超过 {MAX_AMOUNT} 万元，请确认单位为万元", path)
    return amount.quantize(CENT)


# Each source with its name in the API (a form's error path), worked out once.
_SOURCE_NAMES = tuple((source, camel(source)) for source in FUNDING_SOURCES)


def parse_funding(funding: Mapping[str, Any] | None, path: list[Any],
                  errors: list[DomainError]) -> dict[str, Decimal]:
    """The five sources (a missing one is 0); problems are added to `errors`."""
    amounts: dict[str, Decimal] = {}
    for source, name in _SOURCE_NAMES:
        try:
            amounts[source] = parse_amount((funding or {}).get(source, Decimal(0)),
                                           [*path, name])
        except DomainError as e:
            errors.append(e)
    return amounts


def check_quantity(value: int | None, path: list[Any], errors: list[DomainError], *,
                   minimum: int = 1, label: str = "承接数量") -> None:
    if (value is None or isinstance(value, bool) or not minimum <= value <= MAX_QUANTITY):
        errors.append(DomainError(Code.INVALID_QUANTITY,
                                  f"{label}必须是{minimum}至{MAX_QUANTITY}之间的整数", path))


def snapshot(row: Any, quantity_field: str = "quantity") -> dict[str, Any]:
    """Quantity and amounts as JSON-safe values (decimal strings), for history."""
    return snapshot_of(getattr(row, quantity_field),
                       {s: getattr(row, s) for s in FUNDING_SOURCES})


def snapshot_of(quantity: int | None, amounts: Mapping[str, Any]) -> dict[str, Any]:
    """snapshot() of a row not built as a model: its quantity and the five amounts."""
    return {"quantity": quantity,
            **{s: str(Decimal(amounts[s]).quantize(CENT)) for s in FUNDING_SOURCES}}
