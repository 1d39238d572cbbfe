"""What an operator sees (issue 13, point 8): a request id on every answer and log line,
with the user and the GraphQL operation; JSON logs when asked; Prometheus metrics behind a
token. Through the endpoint in-process, and through a real `taskplatform serve`."""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from gql.observability.logs import JsonFormatter, RequestFieldsFilter, TextFormatter
from models.account import User
from tests import log_secrecy
from tests.conftest import ZZ_SCHOOL, Api
from tests.test_live import _ready_token
from tests.test_server import running_server
from tests.test_sockets import Socket

ME = "query SchoolHome { me { username } }"
METRICS_TOKEN = "metrics-test-token-0123456789"


class Lines(logging.Handler):
    """The root logger's records as the server would write them in JSON."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(JsonFormatter())
        self.addFilter(RequestFieldsFilter())
        self.lines: list[dict[str, Any]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(json.loads(self.format(record)))


@pytest.fixture
def logged() -> Iterator[Lines]:
    handler = Lines()
    logging.getLogger().addHandler(handler)
    yield handler
    logging.getLogger().removeHandler(handler)


async def test_the_request_id_is_kept_when_sane_and_made_otherwise(api: Api) -> None:
    async def answered_id(given: str | None) -> str:
        headers = {"X-Request-ID": given} if given is not None else {}
        response = await api.client.post("/graphql", json={"query": "{ __typename }"},
                                         headers=headers)
        return response.headers["x-request-id"]

    kept = await answered_id("0f8c2a9e-5b7d-4c1e-9a3f-2d6b8e4c1a7f")
    made = [await answered_id(bad) for bad in (None, "", "short", "a b c d e f g h",
                                               "x" * 200, "id;drop=1%0aINFO forged")]

    assert kept == "0f8c2a9e-5b7d-4c1e-9a3f-2d6b8e4c1a7f"
    assert all(re.fullmatch(r"[0-9a-f]{32}", m) for m in made), made
    assert len(set(made)) == len(made)  # a new one each time


async def test_each_line_names_the_request_the_user_and_the_operation(
        api: Api, logged: Lines, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a school logged in, and a resolver that fails unexpectedly
    token = await api.token(ZZ_SCHOOL)
    user = await User.get(username=ZZ_SCHOOL)

    async def broken(*args: object) -> None:
        raise RuntimeError("the session store went away")

    monkeypatch.setattr("models.sessions.logout", broken)
    logged.lines.clear()

    # When it sends a named query, and a query that fails, each with its own request id
    headers = {"Authorization": f"Bearer {token}"}
    await api.client.post("/graphql", json={"query": ME},
                          headers={**headers, "X-Request-ID": "req-observe-0001"})
    await api.client.post("/graphql", json={
        "query": "mutation Broken { logout { ok } }"},
        headers={**headers, "X-Request-ID": "req-observe-0002"})

    # Then every line of each request carries its id, the user's id and the operation
    first = [line for line in logged.lines if line["request_id"] == "req-observe-0001"]
    second = [line for line in logged.lines if line["request_id"] == "req-observe-0002"]
    access = [line["message"] for line in first if line["logger"] == "gql.access"]
    # (one line per app: the differential harness sends a read to both read paths)
    assert access and all(re.fullmatch(r"POST /graphql 200 \d+ ms", a) for a in access), access
    assert first and {(line["user_id"], line["operation"]) for line in first} == {
        (user.id, "SchoolHome")}
    failure = [line for line in second if line["level"] == "ERROR"]
    assert failure and "the session store went away" in failure[0]["exception"]
    assert {(line["user_id"], line["operation"]) for line in second} == {(user.id, "Broken")}


def test_the_text_format_reads_as_a_line() -> None:
    record = logging.LogRecord("gql.access", logging.INFO, __file__, 1, "POST %s %d",
                               ("/graphql", 200), None)
    record.request_id, record.user_id, record.operation = "req-1234abcd", 7, "SaveForm"
    assert TextFormatter().format(record).endswith(
        "INFO gql.access [req=req-1234abcd user=7 op=SaveForm] POST /graphql 200")


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


async def test_metrics_are_off_by_default_and_need_their_token(
        api: Api, database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    async def broken(*args: object) -> None:
        raise RuntimeError("the session store went away")

    monkeypatch.setattr("models.sessions.logout", broken)
    # Given the suite's app (no METRICS_TOKEN) and one with a token
    off = await api.client.get("/metrics")
    on = create_with_token()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=on),
                                 base_url="http://testserver") as client:
        token = await api.token(ZZ_SCHOOL)
        before = samples((await client.get("/metrics", headers={
            "Authorization": f"Bearer {METRICS_TOKEN}"})).text)
        await client.post("/graphql", json={"query": ME},
                          headers={"Authorization": f"Bearer {token}"})
        await client.post("/graphql", json={"query": "query Nobody { me { username } }"})
        await client.get("/exports/summary.xlsx")
        await client.post("/graphql", json={"query": "{ noSuchField }"})
        await client.post("/graphql", json={"query": "mutation Out { logout { ok } }"},
                          headers={"Authorization": f"Bearer {token}"})
        anonymous = await client.get("/metrics")
        wrong = await client.get("/metrics", headers={"Authorization": "Bearer nope"})
        right = await client.get("/metrics", headers={
            "Authorization": f"Bearer {METRICS_TOKEN}"})

    assert off.status_code == 404
    assert anonymous.status_code == 401 and wrong.status_code == 401
    assert right.status_code == 200 and right.headers["content-type"].startswith("text/plain")
    after = samples(right.text)

    def grew(name: str, **labels: str) -> float:
        key = (name, tuple(sorted(labels.items())))
        return after.get(key, 0) - before.get(key, 0)

    assert grew("taskplatform_http_requests_total", route="/graphql", method="POST",
                status="200") == 4
    assert grew("taskplatform_request_duration_seconds_count", operation="SchoolHome") == 1
    assert grew("taskplatform_errors_total", code="UNAUTHENTICATED") == 2  # GraphQL + export
    assert grew("taskplatform_errors_total", code="GRAPHQL_VALIDATION_FAILED") == 1
    assert grew("taskplatform_errors_total", code="INTERNAL_ERROR") == 1  # masked, still counted
    assert grew("taskplatform_http_requests_total", route="/exports/summary.xlsx",
                method="GET", status="401") == 1
    assert ("taskplatform_live_sockets", ()) in after
    if database_url.startswith("postgres"):  # SQLite has no pool
        assert after[("taskplatform_db_pool_connections", (("state", "max"),))] >= 1


def create_with_token() -> Any:
    from gql.app import create_app
    from gql.settings import Settings

    return create_app(Settings(database_url="unused", demo_data=True,
                               metrics_token=METRICS_TOKEN), manage_database=False)


def test_a_served_process_logs_json_and_counts_its_sockets(tmp_path: Path) -> None:
    # Given `taskplatform serve` with JSON logs and metrics on
    auth = {"Authorization": f"Bearer {METRICS_TOKEN}"}
    with running_server(tmp_path, LOG_FORMAT="json", METRICS_TOKEN=METRICS_TOKEN) as server:
        token = _ready_token(server.base, ZZ_SCHOOL)
        log_secrecy.remember(token)

        # When a school queries with a request id, and holds a live socket open
        answer = httpx.post(f"{server.base}/graphql", json={"query": ME}, headers={
            "Authorization": f"Bearer {token}", "X-Request-ID": "req-served-0001"})

        async def sockets() -> tuple[float, float]:
            socket = await Socket.open(server.base.replace("http", "ws") + "/graphql", token)
            key = ("taskplatform_live_sockets", ())
            async with httpx.AsyncClient(base_url=server.base, headers=auth) as client:
                scraped = samples((await client.get("/metrics")).text)[key]
                await socket.close()
                for _ in range(50):  # the server ends its side of the socket soon after
                    closed = samples((await client.get("/metrics")).text)[key]
                    if closed == 0:
                        break
                    await asyncio.sleep(0.1)
            return scraped, closed

        open_count, closed_count = asyncio.run(sockets())

    # Then the answer echoes the id, its log lines are JSON objects with the fields, and the
    # gauge followed the socket
    assert answer.headers["x-request-id"] == "req-served-0001"
    lines = [json.loads(line) for line in server.output.splitlines() if line.startswith("{")]
    ours = [line for line in lines if line["request_id"] == "req-served-0001"]
    assert ours and ours[-1]["message"].startswith("POST /graphql 200")
    # One access line per request, ours: uvicorn's own would repeat it without the fields
    assert [line["logger"] for line in ours] == ["gql.access"], ours
    assert ours[-1]["operation"] == "SchoolHome" and isinstance(ours[-1]["user_id"], int)
    assert any("Application startup complete" in line["message"] for line in lines)
    assert (open_count, closed_count) == (1, 0)
    assert token not in server.output and "Live2020ok" not in server.output
