"""The four reads through the GraphQL endpoint (in process, over ASGI, as the province
office), each beside its raw-SQL floor measured in the same run."""

from __future__ import annotations

import json
import secrets
import sqlite3
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import asyncpg
import httpx

from benchmarks import asgi
from benchmarks.data import Sizes
from benchmarks.floors import READS, Read
from benchmarks.instrument import Statements, peak_rss_mib, reset_peak_rss
from gql import heap
from gql.app import create_app
from gql.settings import Settings
from models import User
from models.accounts import reset_password
from models.config import SERVER_SETTINGS

PROVINCE_PASSWORD = "Bench-2020-province"


@dataclass
class Timing:
    median_ms: float
    runs: int
    statements: int | None = None
    peak_rss_mib: float | None = None
    same_as_floor: bool | None = None
    size_kib: float | None = None


@dataclass
class ReadResult:
    read: str
    floor: Timing
    paths: dict[str, Timing]  # "compiled", "resolvers"

    def ratio(self, path: str) -> float:
        return self.paths[path].median_ms / self.floor.median_ms


class Floor:
    """One statement per read on a connection of its own: asyncpg or sqlite3, no HTTP."""

    def __init__(self, dialect: str, target: str) -> None:
        self.dialect, self.target = dialect, target
        self.pg: asyncpg.Connection | None = None
        self.lite: sqlite3.Connection | None = None

    async def __aenter__(self) -> Floor:
        if self.dialect == "postgres":
            # The server settings of the app's own pool (JIT off), so both run alike.
            self.pg = await asyncpg.connect(self.target, server_settings=SERVER_SETTINGS)
        else:
            self.lite = sqlite3.connect(self.target)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self.pg is not None:
            await self.pg.close()
        if self.lite is not None:
            self.lite.close()

    async def fetch(self, read: Read, sizes: Sizes) -> str:
        sql, args = read.sql[self.dialect], read.args(sizes)
        if self.pg is not None:
            text: str = await self.pg.fetchval(sql, *args)
        else:
            assert self.lite is not None
            text = self.lite.execute(sql, args).fetchone()[0]
        return text


async def province_token(client: httpx.AsyncClient) -> str:
    """Log in as the province office (its seeded password is random: reset it first)."""
    admin = await User.get(username="410000")
    once = await reset_password(admin)
    login = await graphql(client, 'mutation($p: String!) { login(username: "410000",'
                          ' password: $p) { token } }', {"p": once})
    token: str = login["login"]["token"]
    # A password of its own each time: the policy refuses the last ones again.
    changed = await graphql(client, "mutation($o: String!, $n: String!) { changePassword("
                            "oldPassword: $o, newPassword: $n) { errors { code } } }",
                            {"o": once, "n": f"{PROVINCE_PASSWORD}-{secrets.token_hex(4)}"},
                            token)
    if changed["changePassword"]["errors"]:
        raise RuntimeError(f"changePassword: {changed['changePassword']['errors']}")
    return token


async def graphql(client: httpx.AsyncClient, query: str, variables: dict[str, Any],
                  token: str | None = None) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    r = await client.post("/graphql", json={"query": query, "variables": variables},
                          headers=headers)
    body = r.json()
    assert "errors" not in body, body
    data: dict[str, Any] = body["data"]
    return data


async def _timed(call: Callable[[], Awaitable[Any]], runs: int) -> tuple[float, Any]:
    times, last = [], None
    for _ in range(runs):
        start = time.perf_counter()
        last = await call()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000, last


def bench_app(compiled: bool) -> Any:
    """The app as `taskplatform serve` runs it, its startup's garbage collection settings
    included (gql/heap.py; the ORM is the benchmark's own, so no lifespan runs)."""
    app = create_app(Settings(database_url="unused", compiled_reads=compiled),
                     manage_database=False)
    heap.settle()
    return app


def app_client(compiled: bool) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=bench_app(compiled)),
                             base_url="http://bench", timeout=None)


def api_request(client: httpx.AsyncClient, token: str, read: Read, sizes: Sizes
                ) -> Callable[[], Awaitable[bytes]]:
    """One request of `read` to the endpoint, through the app itself (benchmarks/asgi.py,
    not httpx), its body encoded once: what a client does to build it is not the server's."""
    transport: Any = client._transport
    body = json.dumps({"query": read.document, "variables": read.variables(sizes)}).encode()
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}

    async def request() -> bytes:
        status, answer = await asgi.post(transport.app, "/graphql", body, headers)
        assert status == 200, answer[:200]
        return answer

    return request


# Untimed runs before the timed ones, for the floor and each path alike: PostgreSQL plans a
# prepared statement afresh for its first five executions before it settles on a generic
# plan (plan_cache_mode auto), and planning one school's form costs more than running it
# (nine timed runs after one warm-up: 1.9 ms, after six: 0.8 ms; the floor 0.5 and 0.3 ms).
WARM_UP = 6

# Timed runs of one read on one path stop at this many seconds (at least one run): a read
# that takes half a minute is measured once or twice, not fifteen times.
BUDGET_S = 20.0

# A read whose floor takes under QUICK_S is timed at least QUICK_RUNS times on every path,
# whatever `runs` says (the x20 default of 3 is for reads of seconds): the median of three
# runs of a 0.3 ms read is whichever of them a pause of the machine's did not hit.
QUICK_S = 0.05
QUICK_RUNS = 15

# A quick read's floor and compiled path are then timed side by side for PAIRED_S: one run
# of each in turn, the medians of each's runs compared. Timed one after the other, fifteen
# runs of a 0.4 ms read span 6 ms, and a pause of the machine's in either span moved the
# ratio by a third (PostgreSQL's one-school form, the same code: 1.32x in one run of the
# benchmark, 1.89x in the next); side by side, both see the same machine.
PAIRED_S = 4.0


async def measure_reads(dialect: str, floor_target: str, sizes: Sizes, runs: int,
                        resolver_runs: int | None = None,
                        skip: dict[str, dict[str, float]] | None = None,
                        paired_s: float = PAIRED_S) -> list[ReadResult]:
    """Each read: warm-up, then up to `runs` of the floor and of each path, medians
    compared (a quick read's floor and compiled path side by side for `paired_s`). `skip`
    names (read, path) pairs not to run, with their estimated seconds."""
    results = []
    clients = {"compiled": app_client(True), "resolvers": app_client(False)}
    try:
        token = await province_token(clients["compiled"])
        async with Floor(dialect, floor_target) as floor:
            for read in READS:
                for _ in range(WARM_UP):
                    began = time.perf_counter()
                    await floor.fetch(read, sizes)
                quick = time.perf_counter() - began < QUICK_S
                read_runs = max(runs, QUICK_RUNS) if quick else runs
                floor_ms, floor_text = await _timed(partial(floor.fetch, read, sizes),
                                                    read_runs)
                expected = json.loads(floor_text)
                paths = {}
                for path, client in clients.items():
                    n = read_runs if path == "compiled" else (resolver_runs or runs)
                    n = max(n, QUICK_RUNS) if quick else n
                    estimate = (skip or {}).get(read.name, {}).get(path)
                    paths[path] = (Timing(estimate * 1000, 0) if estimate is not None else
                                   await _measure_path(client, token, read, sizes, n,
                                                       expected))
                floor_timing = Timing(floor_ms, read_runs, size_kib=len(floor_text.encode())
                                      / 1024)
                if quick and "compiled" not in (skip or {}).get(read.name, {}):
                    floor_timing.median_ms, paths["compiled"].median_ms, runs_each = (
                        await _paired(partial(floor.fetch, read, sizes),
                                      api_request(clients["compiled"], token, read, sizes),
                                      paired_s))
                    floor_timing.runs = paths["compiled"].runs = runs_each
                results.append(ReadResult(read.name, floor_timing, paths))
    finally:
        for client in clients.values():
            await client.aclose()
    return results


async def _paired(floor: Callable[[], Awaitable[Any]], path: Callable[[], Awaitable[Any]],
                  seconds: float) -> tuple[float, float, int]:
    """(floor's median ms, the path's median ms, runs of each), run in turn for `seconds`
    (at least QUICK_RUNS of each)."""
    times: tuple[list[float], list[float]] = ([], [])
    end = time.perf_counter() + seconds
    while time.perf_counter() < end or len(times[0]) < QUICK_RUNS:
        for call, spent in zip((floor, path), times, strict=True):
            start = time.perf_counter()
            await call()
            spent.append(time.perf_counter() - start)
    return (statistics.median(times[0]) * 1000, statistics.median(times[1]) * 1000,
            len(times[0]))


async def _measure_path(client: httpx.AsyncClient, token: str, read: Read, sizes: Sizes,
                        runs: int, expected: Any) -> Timing:
    request = api_request(client, token, read, sizes)
    began = time.perf_counter()
    answer = await request()  # warm-up (and the plan made)
    warm_up = time.perf_counter() - began
    for _ in range(WARM_UP - 1 if warm_up < 1 else 0):  # a slow read needs no more
        await request()
    async with Statements.counting():  # the statements of a request like the timed ones
        start = Statements.count
        await request()
        statements = await Statements.since(start)
    body = json.loads(answer)
    same = "errors" not in body and body.get("data") == expected
    del body
    runs = max(1, min(runs, int(BUDGET_S / max(warm_up, 1e-6))))
    reset_peak_rss()
    median, _ = await _timed(request, runs)
    return Timing(median, runs, statements, peak_rss_mib(), same, len(answer) / 1024)
