"""PostgreSQL's hand-written reads run on connections beside the pool
(models/asyncpg_client.py): a repeated read is served by them, one killed by the server is
dropped and the read still answers, a statement the server refuses leaves the connection in
use, and more reads at once than there are of them go to the pool."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest
from tortoise import connections

from models.asyncpg_client import OWN_CONNECTIONS, ReadingAsyncpgClient
from models.raw_sql import fetch_rows
from tests.conftest import ZZ_SCHOOL, Api

READ = "query { me { username organization { code name } } }"


def _client() -> ReadingAsyncpgClient:
    client = connections.get("default")
    if not isinstance(client, ReadingAsyncpgClient):
        pytest.skip("the connections beside the pool are PostgreSQL's")
    return client


async def _backends(client: ReadingAsyncpgClient) -> set[int]:
    return {connection.get_server_pid() for connection in client.reads.idle}


async def _read_twice(api: Api, token: str) -> dict[str, object]:
    # The first read takes the full path and makes the fast lane's entry; the second is
    # the fast lane's, one statement through fetch_rows.
    first = await api.data(READ, token=token)
    assert await api.data(READ, token=token) == first
    return first


async def test_a_repeated_read_runs_beside_the_pool(api: Api) -> None:
    client = _client()
    token = await api.token(ZZ_SCHOOL)
    await client.reads.expire()
    await _read_twice(api, token)
    backends = await _backends(client)
    assert len(backends) == 1
    # The same connection again, not a new one per read.
    await api.data(READ, token=token)
    assert await _backends(client) == backends
    pooled = {holder._con.get_server_pid() for holder in client._pool._holders
              if holder._con is not None}
    assert not backends & pooled


async def test_a_repeated_read_survives_its_connection_ended_by_the_server(
        api: Api) -> None:
    client = _client()
    token = await api.token(ZZ_SCHOOL)
    answer = await _read_twice(api, token)
    (victim,) = await _backends(client)
    await client.execute_query("SELECT pg_terminate_backend($1)", [victim])
    await asyncio.sleep(0.2)  # the server's end of it reaches the client
    assert await api.data(READ, token=token) == answer
    assert victim not in await _backends(client)


@pytest.mark.parametrize("noticed", [True, False], ids=["noticed", "unnoticed"])
async def test_a_read_on_a_connection_the_server_ended_is_read_again(
        db: None, noticed: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    # Noticed: the client has seen the connection close before lending it. Unnoticed: it has
    # not yet (the server's end still on its way), so the statement itself meets the end.
    client = _client()
    await client.reads.expire()
    await fetch_rows("SELECT 1", [])
    (victim,) = await _backends(client)
    await client.execute_query("SELECT pg_terminate_backend($1, 5000)", [victim])
    await asyncio.sleep(0.2)
    if not noticed:
        monkeypatch.setattr(asyncpg.Connection, "is_closed", lambda self: False)
    assert [tuple(row) for row in await fetch_rows("SELECT 3", [])] == [(3,)]
    assert victim not in await _backends(client)


async def test_a_refused_statement_keeps_its_connection(db: None) -> None:
    client = _client()
    await client.reads.expire()
    assert [tuple(row) for row in await fetch_rows("SELECT 1", [])] == [(1,)]
    (backend,) = await _backends(client)
    with pytest.raises(Exception, match="division by zero"):
        await fetch_rows("SELECT 1 / $1::int", [0])
    assert await _backends(client) == {backend}


async def test_more_reads_at_once_than_connections_all_answer(db: None) -> None:
    client = _client()
    await client.reads.expire()
    reads = 3 * OWN_CONNECTIONS
    rows = await asyncio.gather(*(fetch_rows("SELECT $1::int, pg_sleep(0.05)", [n])
                                  for n in range(reads)))
    assert [row[0][0] for row in rows] == list(range(reads))
    assert len(await _backends(client)) == OWN_CONNECTIONS


async def test_a_cancelled_read_does_not_come_back(db: None) -> None:
    client = _client()
    await client.reads.expire()
    read = asyncio.ensure_future(fetch_rows("SELECT pg_sleep(5)", []))
    await asyncio.sleep(0.2)
    read.cancel()
    with pytest.raises(asyncio.CancelledError):
        await read
    assert await _backends(client) == set()
    assert [tuple(row) for row in await fetch_rows("SELECT 2", [])] == [(2,)]


async def test_a_connection_that_cannot_be_opened_leaves_the_reads_to_the_pool(
        db: None, monkeypatch: pytest.MonkeyPatch) -> None:
    client = _client()
    await client.reads.expire()
    attempts = []

    async def refused() -> asyncpg.Connection:
        attempts.append(1)
        raise ConnectionRefusedError("the server refuses one more connection")

    monkeypatch.setattr(client, "own_connection", refused)
    for n in range(3):
        assert [tuple(row) for row in await fetch_rows("SELECT $1::int", [n])] == [(n,)]
    # One attempt, then the pool alone for a while (not one attempt per read).
    assert attempts == [1]
    assert await _backends(client) == set()
