"""Both read paths over the same database: the compiled one and strawberry's resolvers."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest_asyncio

from gql.app import create_app
from gql.observability import metrics
from gql.settings import Settings
from tests.conftest import Api, StatementCounter


class Paths:
    """One login per user (through the resolver path), both paths to ask."""

    def __init__(self, compiled: httpx.AsyncClient, reference: Api) -> None:
        self.compiled = compiled
        self.reference = reference
        # SQL statements of the last compiled request (the token's lookup included), and
        # whether the fast lane answered it (then the lookup and the read are one statement)
        self.statements: list[str] = []
        self.fast = False

    @property
    def one_read(self) -> int:
        """The statements of a compiled read: the session lookup and the root field's one
        statement, or both in one when the fast lane answers a repeated request."""
        return 1 if self.fast else 2

    async def token(self, username: str) -> str:
        return await self.reference.token(username)

    async def raw(self, client: httpx.AsyncClient, query: str,
                  variables: dict[str, Any] | None, token: str | None) -> bytes:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = await client.post("/graphql", json={"query": query,
                                     "variables": variables or {}}, headers=headers)
        assert response.status_code == 200, response.text
        return response.content

    async def both(self, query: str, variables: dict[str, Any] | None = None,
                   token: str | None = None) -> bytes:
        """The compiled answer, asserted byte-for-byte equal to the resolver path's."""
        counter = StatementCounter()
        logger = logging.getLogger("tortoise.db_client")
        level = logger.level
        logger.setLevel(logging.DEBUG)
        logger.addHandler(counter)
        lane = metrics.FAST_LANE._value.get()
        try:
            compiled = await self.raw(self.compiled, query, variables, token)
        finally:
            logger.removeHandler(counter)
            logger.setLevel(level)
        self.statements = counter.statements
        self.fast = metrics.FAST_LANE._value.get() > lane
        reference = await self.raw(self.reference.client, query, variables, token)
        assert compiled.decode() == reference.decode()
        return compiled


def _client(compiled: bool) -> httpx.AsyncClient:
    app = create_app(Settings(database_url="unused", compiled_reads=compiled),
                     manage_database=False)
    transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 50000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


@pytest_asyncio.fixture(loop_scope="session")
async def paths(db: None) -> AsyncIterator[Paths]:
    async with _client(True) as compiled, _client(False) as reference:
        yield Paths(compiled, Api(reference))
