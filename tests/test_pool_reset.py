"""On PostgreSQL a statement outside a transaction is not followed by asyncpg's reset query
(one round trip saved per statement)."""

from __future__ import annotations

import asyncpg
import pytest
from tortoise import connections

from tests.conftest import PROVINCE, Api, StatementCounter

READ = """{ organization(code: "410100") { code children { code undertakings { quantity } }
  parent { code } } me { username } }"""


async def test_released_connections_skip_the_reset_query(
    api: Api, count_sql: StatementCounter, monkeypatch: pytest.MonkeyPatch
) -> None:
    if connections.get("default").capabilities.dialect != "postgres":
        pytest.skip("asyncpg's pool only")
    token = await api.token(PROVINCE)
    resets: list[str] = []
    original = asyncpg.Connection.get_reset_query

    def counted(self: asyncpg.Connection) -> str:
        resets.append("reset")
        return original(self)

    monkeypatch.setattr(asyncpg.Connection, "get_reset_query", counted)
    count_sql.statements.clear()
    data = await api.data(READ, token=token)
    assert data["organization"]["code"] == "410100"
    # several statements (the token, then the compiled read), and none was followed by a reset
    assert len(count_sql.statements) >= 2
    assert resets == []

