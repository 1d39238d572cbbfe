"""Keyset-paged connections through the compiled path: forwards and backwards with the
cursors either path hands out, every pageInfo edge case, aliases with their own selections;
the same bytes as the resolver path and one statement per connection."""

from __future__ import annotations

import json
from typing import Any

import pytest

from gql.pagination import encode_cursor
from tests.compiled.conftest import Paths
from tests.conftest import PROVINCE, ZHENGZHOU, StatementCounter

pytestmark = pytest.mark.asyncio(loop_scope="session")

PAGE = """
query Page($first: Int, $after: String, $last: Int, $before: String, $kind: OrgKind,
           $search: String) {
  organizations(first: $first, after: $after, last: $last, before: $before, kind: $kind,
                search: $search) {
    __typename totalCount
    pageInfo { __typename hasNextPage hasPreviousPage startCursor endCursor }
    edges { __typename cursor node { __typename id code kind parent { code } } }
    codes: edges { node { code } }
    info: pageInfo { endCursor }
  }
}"""

ONLY = """
query($first: Int, $last: Int, $s: String) {
  a: organizations(first: $first, last: $last, search: $s) { totalCount }
  b: organizations(first: $first, last: $last, search: $s) {
    pageInfo { hasNextPage startCursor } }
  c: organizations(first: $first, last: $last, search: $s) { edges { cursor } } }"""


async def _walk(paths: Paths, token: str, forwards: bool, size: int,
                extra: dict[str, Any]) -> list[str]:
    """Every code, page by page, following the cursors; asserting each page on both paths."""
    codes: list[str] = []
    cursor = None
    for _ in range(100):
        variables: dict[str, Any] = {**extra, ("first" if forwards else "last"): size,
                                     ("after" if forwards else "before"): cursor}
        page = json.loads(await paths.both(PAGE, variables, token))["data"]["organizations"]
        assert len(paths.statements) == paths.one_read, paths.statements  # the token, the page
        got = [e["node"]["code"] for e in page["edges"]]
        codes = codes + got if forwards else got + codes
        info = page["pageInfo"]
        if not (info["hasNextPage"] if forwards else info["hasPreviousPage"]):
            assert len(codes) == page["totalCount"]
            return codes
        cursor = info["endCursor"] if forwards else info["startCursor"]
    raise AssertionError("no last page")


async def test_walk_both_ways(paths: Paths) -> None:
    for user in (PROVINCE, ZHENGZHOU):
        token = await paths.token(user)
        for extra in ({}, {"kind": "SCHOOL"}, {"search": "郑州"}):
            forwards = await _walk(paths, token, True, 7, extra)
            backwards = await _walk(paths, token, False, 7, extra)
            assert forwards == backwards and len(forwards) > 1


async def test_page_edges_and_refusals(paths: Paths, count_sql: StatementCounter) -> None:
    token = await paths.token(PROVINCE)
    first = json.loads(await paths.both(PAGE, {"first": 5}, token))["data"]["organizations"]
    c = [e["cursor"] for e in first["edges"]]
    cases: list[dict[str, Any]] = [
        {}, {"first": 0}, {"last": 0}, {"first": 1}, {"last": 1}, {"first": 100},
        {"last": 500}, {"after": c[1]}, {"before": c[3]}, {"after": c[0], "before": c[4]},
        {"first": 2, "after": c[0], "before": c[4]}, {"last": 2, "after": c[0], "before": c[4]},
        {"after": c[4], "before": c[0]}, {"search": "no such"}, {"last": 3, "search": "no"},
        # refused: strawberry answers (the same errors)
        {"first": -1}, {"last": -2}, {"first": 1, "last": 1}, {"after": "bad"},
        {"before": encode_cursor(("school",))}, {"after": encode_cursor((1, 2, 3))},
        {"after": encode_cursor(("school", 5, "x"))},
        {"after": encode_cursor(("zzz", "4199", 2**31 - 1))},
    ]
    for variables in cases:
        await paths.both(PAGE, variables, token)
    # a cursor of the right width with values of other types: refused, not a failure inside
    for bad in (encode_cursor((1, 2, 3)), encode_cursor(("nope", "4199", 5)),
                encode_cursor(("school", "4199", "5")), encode_cursor(("school", None, 5))):
        body = json.loads(await paths.both(PAGE, {"after": bad}, token))
        assert body["errors"][0]["extensions"]["reason"] == "INVALID_CURSOR", body
    for variables in ({"first": 3}, {"last": 3}, {"first": 0}, {"s": "no such"},
                      {"last": 2, "s": "no such"}):
        await paths.both(ONLY, variables, token)
        assert len(paths.statements) == 4, paths.statements  # the token, three connections
