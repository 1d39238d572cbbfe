"""Relay connections with keyset cursors: a cursor holds the sort key and id of its row, so
a page starts right after (or ends right before) that row whatever was inserted, removed or
moved meanwhile. `totalCount` is counted only when asked for.

Offsets skip and repeat rows when the list changes between pages; a key does not: a row
whose key did not change is never skipped or repeated, and a row that moved shows where it
is now (a normalising client keeps one entry per id).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Generic, TypeVar

import strawberry
from tortoise.exceptions import ValidationError
from tortoise.expressions import Q
from tortoise.fields import IntField
from tortoise.queryset import QuerySet

from gql.errors import ApiError
from models.errors import Code

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 100
_VERSION = "k1"  # a cursor from another scheme (the old offsets) is refused, not misread
# Integers travel to the database: past 32 bits no row can exist, and 10^23 made SQLite
# fail ("Python int too large") instead of answering.
MAX_INT = 2**31 - 1

NodeT = TypeVar("NodeT")
Key = tuple[Any, ...]  # str / int / None values, the row's id last


def encode_cursor(key: Key) -> str:
    text = json.dumps([_VERSION, *key], ensure_ascii=False)
    return base64.urlsafe_b64encode(text.encode()).decode()


def decode_cursor(cursor: str, width: int) -> Key:
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor.encode()).decode())
        if (not isinstance(values, list) or len(values) != width + 1 or values[0] != _VERSION
                or not all(_fits(v) for v in values[1:])):
            raise ValueError(cursor)
    except ValueError as exc:  # also bad base64 (binascii.Error), bad UTF-8 and bad JSON
        raise ApiError(Code.BAD_USER_INPUT, "分页游标无效", reason="INVALID_CURSOR") from exc
    return tuple(values[1:])


def _fits(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    return value is None or isinstance(value, str) or (
        isinstance(value, int) and -MAX_INT <= value <= MAX_INT)


@strawberry.type(description="Pagination data of a connection.")
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type(description="An item of a connection, with its cursor.")
class Edge(Generic[NodeT]):
    cursor: str
    node: NodeT


@strawberry.type(description="A page of a list, Relay style. Cursors hold the row's sort key"
                 " and id: rows inserted or moved meanwhile neither shift nor repeat the rest.")
class Connection(Generic[NodeT]):
    edges: list[Edge[NodeT]]
    page_info: PageInfo
    # Counted only when the client asks for totalCount.
    _count: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(description="How many items the whole list has, across all pages.")
    async def total_count(self) -> int:
        return await self._count()


class Page:
    """Which page a request asks for: `first` after a cursor, or `last` before one."""

    def __init__(self, first: int | None, after: str | None, last: int | None,
                 before: str | None, width: int) -> None:
        for name, value in (("first", first), ("last", last)):
            if value is not None and value < 0:
                raise ApiError(Code.BAD_USER_INPUT, f"{name} 不能为负数")
        if first is not None and last is not None:
            raise ApiError(Code.BAD_USER_INPUT, "first 与 last 只能给一个")
        self.backwards = last is not None or (before is not None and first is None)
        wanted = last if self.backwards else first
        self.size = min(wanted if wanted is not None else DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
        self.after = decode_cursor(after, width) if after else None
        self.before = decode_cursor(before, width) if before else None


def _connection(rows: Sequence[Any], page: Page, key: Callable[[Any], Key],
                convert: Callable[[Any], NodeT],
                count: Callable[[], Awaitable[int]]) -> Connection[NodeT]:
    """`rows`: up to size + 1 rows in the direction read (reversed when backwards)."""
    more = len(rows) > page.size
    shown = list(rows[:page.size])
    if page.backwards:
        shown.reverse()
    edges = [Edge(cursor=encode_cursor(key(row)), node=convert(row)) for row in shown]
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=page.before is not None if page.backwards else more,
            has_previous_page=more if page.backwards else page.after is not None,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
        _count=count,
    )


def _beyond(fields: Sequence[str], values: Key, greater: bool) -> Q:
    """Rows after (or before) `values` in the order of `fields`, lexicographically."""
    op = "gt" if greater else "lt"
    alternatives = []
    for i, name in enumerate(fields):
        equal = {f: v for f, v in zip(fields[:i], values[:i], strict=True)}
        alternatives.append(Q(**equal, **{f"{name}__{op}": values[i]}))
    result = alternatives[0]
    for q in alternatives[1:]:
        result |= q
    return result


async def paginate(queryset: QuerySet[Any], convert: Callable[[Any], NodeT], *,
                   order: Sequence[str], key: Callable[[Any], Key], first: int | None,
                   after: str | None, last: int | None = None, before: str | None = None
                   ) -> Connection[NodeT]:
    """One page of a scoped queryset ordered by `order` (non-null columns, a unique one
    last); `key(row)` gives the same values. Capped at MAX_PAGE_SIZE rows."""
    page = Page(first, after, last, before, len(order))
    found = await page_rows(queryset, page, order)
    return _connection(found, page, key, convert, queryset.count)


def page_rows(queryset: QuerySet[Any], page: Page, order: Sequence[str]) -> QuerySet[Any]:
    """What a page reads: up to size + 1 rows past its cursors, in the direction read
    (reversed when backwards). The read compiler runs the same query in its statement."""
    for bound in (page.after, page.before):
        if bound is not None:
            _check_types(queryset.model, order, bound)
    rows = queryset
    if page.after is not None:
        rows = rows.filter(_beyond(order, page.after, True))
    if page.before is not None:
        rows = rows.filter(_beyond(order, page.before, False))
    direction = [f"-{f}" for f in order] if page.backwards else list(order)
    return rows.order_by(*direction).limit(page.size + 1)


def _check_types(model: Any, order: Sequence[str], key: Key) -> None:
    """A cursor of another connection can have the right width and other values (a number
    where this list has text, a kind that does not exist): refused like any bad cursor, never
    handed to the database (Tortoise failed inside on a number for a CharField)."""
    for name, value in zip(order, key, strict=True):
        field = model._meta.fields_map[name]
        try:
            if value is None or isinstance(field, IntField) != isinstance(value, int):
                raise ValueError(value)
            field.to_db_value(value, model)
        except (ValueError, TypeError, ValidationError) as exc:
            raise ApiError(Code.BAD_USER_INPUT, "分页游标无效", reason="INVALID_CURSOR") from exc


def paginate_list(items: Sequence[Any], convert: Callable[[Any], NodeT], *,
                  key: Callable[[Any], Key], first: int | None, after: str | None,
                  last: int | None = None, before: str | None = None) -> Connection[NodeT]:
    """One page of a list computed for this request, ordered by `key` (unique per row)."""
    width = len(key(items[0])) if items else 0
    page = Page(first, after, last, before, width) if items else Page(
        first, None, last, None, 0)
    rows = sorted(items, key=_comparable(key))
    if items:
        # A cursor of another connection can have the right width and other types (text
        # where this list has a number): refused like any bad cursor, never compared.
        sample = key(items[0])
        for bound_key in (page.after, page.before):
            if bound_key is not None and any(
                    b is not None and v is not None and type(b) is not type(v)
                    for b, v in zip(bound_key, sample, strict=True)):
                raise ApiError(Code.BAD_USER_INPUT, "分页游标无效", reason="INVALID_CURSOR")
    if page.after is not None:
        bound = _comparable(lambda k: k)(page.after)
        rows = [r for r in rows if _comparable(key)(r) > bound]
    if page.before is not None:
        bound = _comparable(lambda k: k)(page.before)
        rows = [r for r in rows if _comparable(key)(r) < bound]
    if page.backwards:
        rows.reverse()

    async def count() -> int:
        return len(items)

    return _connection(rows[:page.size + 1], page, key, convert, count)


def _comparable(key: Callable[[Any], Key]) -> Callable[[Any], tuple[tuple[int, Any], ...]]:
    """None sorts first; otherwise values compare as they are."""
    return lambda row: tuple((0, "") if v is None else (1, v) for v in key(row))
