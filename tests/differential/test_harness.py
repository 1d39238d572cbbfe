"""The harness can fail: a one-byte difference in one path's answer is reported, and what may
change data never runs twice."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from starlette.applications import Starlette
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tests.conftest import PROVINCE, Api, build_app
from tests.differential.harness import (
    COMPILED,
    REFERENCE,
    AnswersDiffer,
    DifferentialTransport,
    errors_reordered,
)

ME = "query Me { me { username role } }"


class Tamper:
    """An ASGI wrapper that replaces bytes in the answer and counts the requests it sees."""

    def __init__(self, app: ASGIApp, old: bytes = b"", new: bytes = b"",
                 status: int | None = None) -> None:
        self.app, self.old, self.new, self.status = app, old, new, status
        self.calls = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.calls += 1

        async def tampered(message: Message) -> None:
            if message["type"] == "http.response.start" and self.status is not None:
                message = {**message, "status": self.status}
            if message["type"] == "http.response.body" and self.old:
                message = {**message, "body": message["body"].replace(self.old, self.new, 1)}
            await send(message)

        await self.app(scope, receive, tampered)


@asynccontextmanager
async def client(reference: Tamper) -> AsyncIterator[httpx.AsyncClient]:
    transport = DifferentialTransport(build_app(compiled_reads=True), reference)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        yield c


async def _post(c: httpx.AsyncClient, token: str, body: dict[str, object]) -> httpx.Response:
    return await c.post("/graphql", json=body, headers={"Authorization": f"Bearer {token}"})


async def test_one_byte_difference_is_reported(api: Api, reference_app: Starlette) -> None:
    token = await api.token(PROVINCE)
    # Same length, one byte apart: "410000" answered as "410001".
    reference = Tamper(reference_app, b'"410000"', b'"410001"')

    async with client(reference) as c:
        with pytest.raises(AnswersDiffer) as caught:
            await _post(c, token, {"query": ME})

    report = str(caught.value)
    assert COMPILED in report and REFERENCE in report
    assert "first difference at byte 32" in report, report
    assert '-   "username": "410001",' in report and '+   "username": "410000",' in report
    assert ME in report


async def test_status_difference_is_reported(api: Api, reference_app: Starlette) -> None:
    token = await api.token(PROVINCE)

    async with client(Tamper(reference_app, status=500)) as c:
        with pytest.raises(AnswersDiffer, match="status 500"):
            await _post(c, token, {"query": ME})


async def test_equal_answers_pass_and_are_counted(api: Api, reference_app: Starlette) -> None:
    token = await api.token(PROVINCE)
    reference = Tamper(reference_app)

    async with client(reference) as c:
        answer = await _post(c, token, {"query": ME})
        invalid = await _post(c, token, {"query": "{ me { nosuchfield } }"})
        unparsable = await _post(c, token, {"query": "{ me { "})
        transport = c._transport
    assert answer.json()["data"]["me"]["username"] == PROVINCE
    assert "errors" in invalid.json() and "errors" in unparsable.json()
    assert reference.calls == 3
    assert isinstance(transport, DifferentialTransport) and transport.compared == 3


@pytest.mark.parametrize("body", [
    {"query": "mutation { logout { ok } }"},
    {"query": "query A { me { username } } mutation B { logout { ok } }", "operationName": "B"},
    {"query": "subscription { declarationStatusChanged { toStatus } }"},
    [{"query": ME}, {"query": ME}],
])
async def test_what_may_change_data_runs_once(api: Api, reference_app: Starlette,
                                              body: object) -> None:
    token = await api.token(PROVINCE)
    # A tampering reference would fail any comparison: none may happen.
    reference = Tamper(reference_app, b"{", b"[")

    async with client(reference) as c:
        await c.post("/graphql", json=body, headers={"Authorization": f"Bearer {token}"})

    assert reference.calls == 0


def test_only_the_order_of_errors_is_tolerated() -> None:
    first = b'{"data":{"a":null,"b":null},"errors":[{"message":"A"},{"message":"B"}]}'
    swapped = b'{"data":{"a":null,"b":null},"errors":[{"message":"B"},{"message":"A"}]}'
    other = b'{"data":{"a":null,"b":null},"errors":[{"message":"B"},{"message":"C"}]}'
    data = b'{"data":{"b":null,"a":null},"errors":[{"message":"B"},{"message":"A"}]}'

    assert errors_reordered(first, swapped)
    assert not errors_reordered(first, other)
    assert not errors_reordered(first, data)
