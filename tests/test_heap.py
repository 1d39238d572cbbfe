"""A serving process sets aside what its startup built (gql/heap.py)."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

import gql.app
from gql import heap
from gql.app import create_app
from gql.settings import Settings


@pytest.fixture
def collector() -> Iterator[None]:
    threshold = gc.get_threshold()
    gc.unfreeze()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


def test_settling_freezes_what_exists_and_collects_the_young_less_often(
        collector: None) -> None:
    kept = [object() for _ in range(3)]  # noqa: F841 (alive when frozen)
    older = gc.get_threshold()[1:]
    heap.settle()
    assert gc.get_freeze_count() > 1000  # the modules, the schema, this test's own
    assert gc.get_threshold() == (heap.YOUNG_THRESHOLD, *older)
    before = gc.get_freeze_count()
    gc.collect()  # a full collection walks none of them, and frees none of them
    assert gc.get_freeze_count() == before


async def test_the_servers_startup_settles_the_collector(
        collector: None, monkeypatch: pytest.MonkeyPatch) -> None:
    @asynccontextmanager
    async def orm(app: Any, config: Any) -> AsyncIterator[None]:
        yield  # the suite's own ORM stays as it is

    settled: list[bool] = []
    monkeypatch.setattr(gql.app, "RegisterTortoise", orm)
    monkeypatch.setattr(gql.app, "configure_logging", lambda *_: None)  # the suite's own
    monkeypatch.setattr(heap, "settle", lambda: settled.append(True))
    app = create_app(Settings(database_url="unused", prepare_database=False,
                              background_seconds=0))
    async with app.router.lifespan_context(app):
        assert settled == [True]
