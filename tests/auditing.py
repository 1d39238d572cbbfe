"""Test steps for the operation log: an auditor account made as `create-auditor` makes it,
logged in through the API; the log read through `operationLog`."""

from __future__ import annotations

from typing import Any

from models.accounts import create_auditor
from tests import log_secrecy
from tests.conftest import CHANGE_PASSWORD, NEW_PASSWORD, Api

AUDITOR = "auditor1"

LOG = """
query($filter: OperationLogFilter, $first: Int, $after: String, $last: Int) {
  operationLog(filter: $filter, first: $first, after: $after, last: $last) {
    totalCount
    edges { cursor node { seq at kind operation outcome username role organizationCode
                          clientAddress targets detail prevHash hash } }
    pageInfo { hasNextPage endCursor }
  }
}"""


async def auditor_token(api: Api, username: str = AUDITOR) -> str:
    """An auditor who has replaced its one-time password (cached per test)."""
    if username not in api.tokens:
        _, password = await create_auditor(username)
        log_secrecy.remember(password)
        result = await api.login(username, password)
        assert result["errors"] == [], result
        changed = await api.data(CHANGE_PASSWORD, {"old": password, "new": NEW_PASSWORD},
                                 result["token"])
        assert changed["changePassword"]["errors"] == [], changed
        api.tokens[username] = result["token"]
    return api.tokens[username]


async def read_log(api: Api, token: str, first: int = 100, **filter: Any
                   ) -> list[dict[str, Any]]:
    data = await api.data(LOG, {"filter": filter or None, "first": first}, token)
    return [e["node"] for e in data["operationLog"]["edges"]]
