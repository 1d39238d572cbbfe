"""The rush: schools logging in, saving 10 rows and submitting, all at once.

Each school's flow is three requests through the GraphQL endpoint (in process, over ASGI):
`login` with its real argon2id password, `saveUndertakings` with 10 rows, and
`submitDeclaration`; `concurrency` flows run at a time. The yardstick, measured in the same
run, is the same number of password verifications alone on the server's own hashing pool:
the CPU-bound part no server can skip. Afterwards the database is checked: every school
submitted, every row and its history written once.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from tortoise import connections

from benchmarks.asgi import post
from benchmarks.data import add_rush_schools
from benchmarks.instrument import Statements, peak_rss_mib, reset_peak_rss
from benchmarks.reads import bench_app
from benchmarks.rush_floor import run_floor
from models import Campaign, Declaration, Organization, TaskEntry, Undertaking
from models.account import LoginAttempt
from models.catalog import NEWEST_FIRST
from models.declaration import DeclarationEvent, DeclarationStatus, UndertakingChange
from models.enums import SchoolType, TaskLevel
from models.passwords import hash_password_sync, verify_password

PASSWORD = "Rush-2020-school"
ROWS = 10

LOGIN = """mutation($u: String!, $p: String!) { login(username: $u, password: $p) {
  token errors { code message } } }"""
SAVE = """mutation($input: SaveUndertakingsInput!) { saveUndertakings(input: $input) {
  declaration { version } errors { field code message } } }"""
SUBMIT = """mutation($org: String!, $v: Int!) { submitDeclaration(organizationCode: $org,
  version: $v) { declaration { status version } errors { field code message } } }"""


@dataclass
class RushResult:
    schools: int
    concurrency: int
    errors: list[str]
    lost: list[str]  # what the database lacks afterwards
    total_s: float
    verifications_s: float
    p50_s: float
    p95_s: float
    peak_rss_mib: float
    # SQL statements of each request of one school's flow, measured alone before the rush:
    # login, save, submit (the token lookups included)
    statements: tuple[int, int, int] = (0, 0, 0)
    # The same flows as hand-written SQL (benchmarks/rush_floor.py), on PostgreSQL
    floor_s: float | None = None

    @property
    def ratio(self) -> float:
        return self.total_s / self.verifications_s


# One school's POST: (query, variables, token) -> the answer's JSON.
Client = Callable[[str, dict[str, Any], "str | None"], Awaitable[dict[str, Any]]]


def _client(app: Any, address: tuple[str, int]) -> Client:
    """A school's requests from its own address, handed to the app as the reads' are."""

    async def client(query: str, variables: dict[str, Any],
                     token: str | None) -> dict[str, Any]:
        headers = {"content-type": "application/json"}
        if token:
            headers["authorization"] = f"Bearer {token}"
        _, body = await post(app, "/graphql", json.dumps(
            {"query": query, "variables": variables}).encode(), headers, address)
        answer: dict[str, Any] = json.loads(body)
        return answer

    return client


async def _post(client: Client, query: str, variables: dict[str, Any],
                token: str | None = None) -> dict[str, Any]:
    body = await client(query, variables, token)
    if "errors" in body:
        raise RuntimeError(str(body["errors"])[:300])
    data: dict[str, Any] = body["data"]
    return data


async def _flow(client: Client, code: str, numbers: list[str]) -> float:
    start = time.perf_counter()
    login = (await _post(client, LOGIN, {"u": code, "p": PASSWORD}))["login"]
    if login["errors"]:
        raise RuntimeError(f"login {code}: {login['errors']}")
    token = login["token"]
    rows = [{"itemNumber": n, "quantity": 1 + k % 3,
             "funding": {"schoolSelf": f"{k}.50", "provincial": "2"}}
            for k, n in enumerate(numbers)]
    saved = (await _post(client, SAVE, {"input": {"organizationCode": code, "version": 0,
                                                  "rows": rows}}, token))["saveUndertakings"]
    if saved["errors"]:
        raise RuntimeError(f"save {code}: {saved['errors']}")
    submitted = (await _post(client, SUBMIT, {"org": code,
                                              "v": saved["declaration"]["version"]},
                             token))["submitDeclaration"]
    if submitted["errors"]:
        raise RuntimeError(f"submit {code}: {submitted['errors']}")
    return time.perf_counter() - start


async def run_rush(schools: int, concurrency: int) -> RushResult:
    password_hash = hash_password_sync(PASSWORD)
    codes = await add_rush_schools(schools + 1, password_hash)
    probe = codes.pop()  # one more school, whose flow is counted alone first
    items = await TaskEntry.filter(level=TaskLevel.SCHOOL, is_group=False,
                                   retired_at=None).order_by("sort_key")
    chosen = [i for i in items if i.eligible_for(SchoolType.SECONDARY)][:ROWS]
    numbers = [i.number for i in chosen]

    # The yardstick: the same number of verifications, alone, on the same pool.
    start = time.perf_counter()
    checks = await asyncio.gather(*(verify_password(password_hash, PASSWORD)
                                    for _ in range(schools)))
    verifications = time.perf_counter() - start
    assert all(checks)

    gate = asyncio.Semaphore(concurrency)
    errors: list[str] = []

    app = bench_app(True)

    async def one(index: int, code: str) -> float | None:
        # Each school from its own address, as schools log in from their own networks: one
        # client address over 600 accounts would be refused as password spraying
        # (models/throttle.py, 30 attempts per client). Requests are handed to the app as
        # the reads' are (benchmarks/asgi.py): an HTTP client's own work is not the server's.
        address = (f"10.{index // 250}.{index % 250}.1", 50000)

        client = _client(app, address)

        async with gate:
            try:
                return await _flow(client, code, numbers)
            except Exception as exc:  # every failure is counted, none stops the rush
                errors.append(f"{type(exc).__name__}: {exc}"[:300])
                return None

    counted: list[int] = []
    alone = _client(app, ("10.255.255.1", 50000))

    async def counting(query: str, variables: dict[str, Any],
                       token: str | None) -> dict[str, Any]:
        start = Statements.count
        answer = await alone(query, variables, token)
        counted.append(await Statements.since(start))
        return answer

    async with Statements.counting():  # (off for the rush itself, as for the yardstick)
        await _flow(counting, probe, numbers)
    login, save, submit = counted

    reset_peak_rss()
    start = time.perf_counter()
    times = await asyncio.gather(*(one(i, code) for i, code in enumerate(codes)))
    total = time.perf_counter() - start
    peak = peak_rss_mib()
    done = sorted(t for t in times if t is not None)
    lost = await _check(codes, numbers)
    floor = None
    if connections.get("default").capabilities.dialect == "postgres":
        floor_codes = await add_rush_schools(schools, password_hash, prefix="48")
        campaign = await Campaign.all().order_by(*NEWEST_FIRST).first()
        assert campaign is not None
        floor = await run_floor(floor_codes, PASSWORD, campaign.id,
                                [(i.id, i.number) for i in chosen],
                                concurrency)
        # The floor writes what the API does, as far as the check looks
        lost += [f"hand-written SQL: {line}" for line in await _check(floor_codes, numbers)]
    return RushResult(
        schools=schools, concurrency=concurrency, errors=errors,
        lost=lost, total_s=total, verifications_s=verifications, floor_s=floor,
        p50_s=statistics.median(done) if done else 0.0,
        p95_s=done[int(0.95 * (len(done) - 1))] if done else 0.0, peak_rss_mib=peak,
        statements=(login, save, submit))


async def _check(codes: list[str], numbers: list[str]) -> list[str]:
    """What the database should hold after the rush, and what it lacks."""
    orgs = await Organization.filter(code__in=codes).values_list("id", flat=True)
    n = len(codes)
    expected: dict[str, tuple[Any, Any]] = {
        "submitted declarations at version 2": (await Declaration.filter(
            organization_id__in=orgs, status=DeclarationStatus.SUBMITTED,
            version=2).count(), n),
        "undertakings": (await Undertaking.filter(organization_id__in=orgs).count(),
                         n * len(numbers)),
        "row history lines": (await UndertakingChange.filter(
            declaration__organization_id__in=orgs).count(), n * len(numbers)),
        "submission events": (await DeclarationEvent.filter(
            declaration__organization_id__in=orgs).count(), n),
        "successful logins": (await LoginAttempt.filter(username__in=codes,
                                                        success=True).count(), n),
    }
    total = await Undertaking.filter(organization_id__in=orgs).values_list(
        "school_self", flat=True)
    want = sum((Decimal(f"{k}.50") for k in range(len(numbers))), Decimal(0)) * n
    expected["planned school funding"] = (sum((Decimal(t) for t in total), Decimal(0)), want)
    return [f"{what}: {got} of {wanted}" for what, (got, wanted) in expected.items()
            if got != wanted]
