"""The operation log through the compiled path: its filters (times in any offset, a target
as a whole JSON string), pages both ways; the same bytes as the resolver path."""

from __future__ import annotations

import json

import pytest

from tests.auditing import LOG, auditor_token
from tests.compiled.conftest import Paths
from tests.conftest import PROVINCE, ZHENGZHOU, ZZ_SCHOOL, ZZ_SCHOOL_2

pytestmark = pytest.mark.asyncio(loop_scope="session")

BACKWARDS = """
query($last: Int, $before: String) {
  operationLog(last: $last, before: $before) {
    totalCount edges { cursor node { seq operation username } }
    pageInfo { hasPreviousPage hasNextPage startCursor endCursor }
  }
}"""


async def test_operation_log(paths: Paths) -> None:
    # some records: logins (one failed), a save refused and one kept
    for user in (ZZ_SCHOOL, ZZ_SCHOOL_2, ZHENGZHOU, PROVINCE):
        await paths.token(user)
    await paths.reference.login(ZZ_SCHOOL, "wrong-password-1")
    token = await auditor_token(paths.reference)
    first = json.loads(await paths.both(LOG, {"first": 3}, token))["data"]["operationLog"]
    assert len(paths.statements) == paths.one_read, paths.statements
    assert first["totalCount"] >= 5 and first["pageInfo"]["hasNextPage"]
    after = first["pageInfo"]["endCursor"]
    at = first["edges"][1]["node"]["at"]  # an Asia/Shanghai time as shown
    cases = [
        {"first": 2, "after": after},
        {"filter": {"username": ZZ_SCHOOL}},
        {"filter": {"username": f" {ZZ_SCHOOL} ", "kind": "login"}},
        {"filter": {"outcome": "INVALID_CREDENTIALS"}},
        {"filter": {"since": at}}, {"filter": {"until": at}},
        {"filter": {"since": at.replace("+08:00", "+00:00")}},
        {"filter": {"target": ZZ_SCHOOL}}, {"filter": {"target": "User:1"}},
        {"filter": {"operation": "login", "organizationCode": "410100"}},
        {"first": 100, "filter": {}},
    ]
    for variables in cases:
        await paths.both(LOG, variables, token)
        assert len(paths.statements) == paths.one_read, (variables, paths.statements)
    page = json.loads(await paths.both(BACKWARDS, {"last": 2}, token))["data"]["operationLog"]
    await paths.both(BACKWARDS, {"last": 2, "before": page["pageInfo"]["startCursor"]}, token)
    assert len(paths.statements) == paths.one_read, paths.statements
    # refused alike: a bad cursor, a caller who is no auditor
    await paths.both(LOG, {"first": 2, "after": "bm90IGEgY3Vyc29y"}, token)
    await paths.both(LOG, {"first": 2}, await paths.token(PROVINCE))
