"""Limits before work: request bodies capped before they are read (413), uploads counted
while they stream, documents refused by their estimated rows and their directives.

Bodies are sent as lazy streams: the test counts how much of a stream the server pulled, so
"refused before reading" is measured, not assumed.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator

from gql import query_limits
from models.evidence import max_bytes
from tests.conftest import PROVINCE, ZZ_SCHOOL, Api

MB = 1024 * 1024


class Stream:
    """A body of `chunks` pieces of 1 MB after `head`, counting the pieces pulled."""

    def __init__(self, head: bytes, chunks: int, tail: bytes = b"") -> None:
        self.head, self.chunks, self.tail = head, chunks, tail
        self.pulled = 0

    @property
    def size(self) -> int:
        return len(self.head) + self.chunks * MB + len(self.tail)

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield self.head
        for _ in range(self.chunks):
            self.pulled += 1
            yield b" " * MB
        yield self.tail


def too_large(response: object) -> None:
    assert getattr(response, "status_code", None) == 413, response
    error = response.json()["errors"][0]  # type: ignore[attr-defined]
    assert error["extensions"]["code"] == "PAYLOAD_TOO_LARGE"
    assert "过大" in error["message"]


async def test_an_anonymous_300_mb_json_body_is_refused_unread(api: Api) -> None:
    body = Stream(b'{"query": "{ me { username } }", "padding": "', 300, b'"}')

    response = await api.client.post("/graphql", content=body, headers={
        "content-type": "application/json", "content-length": str(body.size)})

    too_large(response)
    assert body.pulled == 0


async def test_a_json_body_without_a_length_is_cut_off_at_the_cap(api: Api) -> None:
    body = Stream(b'{"query": "{ me { username } }", "padding": "', 300, b'"}')

    response = await api.client.post("/graphql", content=body,
                                     headers={"content-type": "application/json"})

    too_large(response)
    assert body.pulled <= 5  # the cap is 4 MB: nothing much past it was read


async def test_a_600_mb_upload_is_refused_before_it_is_read(api: Api) -> None:
    boundary = "b0undary"
    operations = json.dumps({"query": "mutation($f: Upload!) { uploadEvidence("
                             "undertakingId: \"x\", year: 2021, file: $f) { errors { code } } }",
                             "variables": {"f": None}})
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"operations\"\r\n\r\n"
            f"{operations}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"map\""
            f"\r\n\r\n{{\"0\": [\"variables.f\"]}}\r\n--{boundary}\r\nContent-Disposition: "
            f"form-data; name=\"0\"; filename=\"big.pdf\"\r\nContent-Type: application/pdf"
            f"\r\n\r\n%PDF-1.4\n").encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    headers = {"content-type": f"multipart/form-data; boundary={boundary}",
               "authorization": "Bearer nobody"}

    declared = Stream(head, 600, tail)
    with_length = await api.client.post("/graphql", content=declared, headers={
        **headers, "content-length": str(declared.size)})
    streamed = Stream(head, 600, tail)
    without_length = await api.client.post("/graphql", content=streamed, headers=headers)

    too_large(with_length)
    assert declared.pulled == 0
    too_large(without_length)
    assert streamed.pulled <= max_bytes() // MB + 2  # counted while streaming


async def test_bodies_below_the_caps_still_work(api: Api) -> None:
    padding = "x" * (3 * MB)

    response = await api.client.post("/graphql", json={"query": "{ __typename }",
                                                       "extensions": {"padding": padding}})

    assert response.status_code == 200
    assert response.json() == {"data": {"__typename": "Query"}}


NESTED = """{ organization(code: "410000") { children { children {
  undertakings { quantity item { number children { number } } } } } } }"""
THREE_LISTS = """{ organization(code: "410000") { children { children {
  undertakings { quantity item { number } } } } } }"""


async def test_a_document_estimated_above_the_row_limit_is_refused(api: Api) -> None:
    token = await api.token(PROVINCE)
    aliased = "{ " + " ".join(f"a{i}: organizations(first: 100) {{ edges {{ node {{ "
                              f"children {{ code undertakings {{ quantity }} }} }} }} }}"
                              for i in range(15)) + " }"

    four_lists = await api.post(NESTED, None, token)
    many_aliases = await api.post(aliased, None, token)
    three_lists = await api.post(THREE_LISTS, None, token)

    for refused in (four_lists, many_aliases):
        [error] = refused["errors"]
        assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX", error
        assert error["extensions"]["estimate"] > query_limits.MAX_ESTIMATED_ROWS
        assert "查询过于复杂" in error["message"] and refused.get("data") is None
    assert "errors" not in three_lists, three_lists
    assert three_lists["data"]["organization"]["children"]


async def test_a_page_size_counts_and_a_variable_page_counts_as_the_largest(api: Api) -> None:
    token = await api.token(PROVINCE)
    query = """QUERY { organizations(first: FIRST) { edges { node {
      children { undertakings { item { children { number } } } } } } } }"""

    small = await api.post(query.replace("QUERY", "query").replace("FIRST", "1"), None, token)
    variable = await api.post(query.replace("QUERY", "query($n: Int)").replace("FIRST", "$n"),
                              {"n": 1}, token)

    assert "errors" not in small, small
    assert variable["errors"][0]["extensions"]["code"] == "QUERY_TOO_COMPLEX"


async def test_fragments_spread_many_times_are_estimated_quickly(api: Api) -> None:
    token = await api.token(PROVINCE)
    # F0 spreads F1 twice, F1 spreads F2 twice ...: 2^40 paths if walked naively.
    fragments = " ".join(f"fragment F{i} on Organization {{ ...F{i + 1} ...F{i + 1} }}"
                         for i in range(40))
    query = ("{ organization(code: \"410000\") { children { ...F0 } } } " + fragments +
             " fragment F40 on Organization { code undertakings { quantity } }")

    started = time.perf_counter()
    body = await api.post(query, None, token)
    elapsed = time.perf_counter() - started

    codes = {e.get("extensions", {}).get("code") for e in body["errors"]}
    assert "QUERY_TOO_COMPLEX" in codes, body
    assert elapsed < 5  # a bound against a hang (it took minutes), not a benchmark


async def test_at_most_30_directives(api: Api) -> None:
    token = await api.token(ZZ_SCHOOL)

    def query(count: int) -> str:
        return "{ me { " + " ".join("... @skip(if: false) { username }"
                                    for _ in range(count)) + " } }"

    allowed = await api.post(query(query_limits.MAX_DIRECTIVES), None, token)
    refused = await api.post(query(query_limits.MAX_DIRECTIVES + 1), None, token)

    assert allowed == {"data": {"me": {"username": ZZ_SCHOOL}}}
    [error] = refused["errors"]
    assert error["extensions"]["code"] == "TOO_MANY_DIRECTIVES"
    assert "指令过多" in error["message"] and refused.get("data") is None
