"""Relay connections over a scoped Tortoise queryset: LIMIT/OFFSET, opaque cursors,
`totalCount` counted only when asked for."""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Generic, TypeVar

import strawberry
from tortoise.queryset import QuerySet

from gql.errors import ApiError
from models.errors import Code

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 100
CURSOR_PREFIX = "offset:"
# Offsets travel to the database as integers: past 32 bits no page can exist, and 10^23 made
# SQLite fail ("Python int too large") instead of answering.
MAX_OFFSET = 2**31 - 1

NodeT = TypeVar("NodeT")


def encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"{CURSOR_PREFIX}{offset}".encode()).decode()


def decode_cursor(cursor: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor.encode()).decode()
        if not text.startswith(CURSOR_PREFIX):
            raise ValueError(text)
        offset = int(text.removeprefix(CURSOR_PREFIX))
        if not 0 <= offset < MAX_OFFSET:
            raise ValueError(text)
    except ValueError as exc:  # also bad base64 (binascii.Error) and bad UTF-8
        raise ApiError(Code.BAD_USER_INPUT, "分页游标无效", reason="INVALID_CURSOR") from exc
    return offset


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


@strawberry.type(description="A page of a list, Relay style.")
class Connection(Generic[NodeT]):
    edges: list[Edge[NodeT]]
    page_info: PageInfo
    # Counted only when the client asks for totalCount.
    _count: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(description="How many items the whole list has, across all pages.")
    async def total_count(self) -> int:
        return await self._count()


def page_bounds(first: int | None, after: str | None) -> tuple[int, int]:
    if first is not None and first < 0:
        raise ApiError(Code.BAD_USER_INPUT, "first 不能为负数")
    size = min(first if first is not None else DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
    start = decode_cursor(after) + 1 if after else 0
    return start, size


def _connection(rows: Sequence[Any], start: int, size: int, convert: Callable[[Any], NodeT],
                count: Callable[[], Awaitable[int]]) -> Connection[NodeT]:
    edges = [Edge(cursor=encode_cursor(start + i), node=convert(row))
             for i, row in enumerate(rows[:size])]
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=len(rows) > size,
            has_previous_page=start > 0,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
        _count=count,
    )


async def paginate(
    queryset: QuerySet[Any],
    convert: Callable[[Any], NodeT],
    *,
    first: int | None,
    after: str | None,
) -> Connection[NodeT]:
    """One page of an already scoped and ordered queryset (LIMIT/OFFSET).

    `first` is capped at MAX_PAGE_SIZE: a client can never pull the whole table at once.
    """
    start, size = page_bounds(first, after)
    rows = await queryset.offset(start).limit(size + 1)
    return _connection(rows, start, size, convert, queryset.count)


def paginate_list(items: Sequence[Any], convert: Callable[[Any], NodeT], *,
                  first: int | None, after: str | None) -> Connection[NodeT]:
    """One page of a list already computed (and already aggregated) for this request."""
    start, size = page_bounds(first, after)

    async def count() -> int:
        return len(items)

    return _connection(items[start:start + size + 1], start, size, convert, count)
