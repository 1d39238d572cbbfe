"""Test fixtures: a real database (an SQLite file, or PostgreSQL via TEST_DATABASE_URL),
migrated once per session by the ORM's migrations, emptied and seeded before each test; the
app served in-process over HTTP; logins per role."""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

os.environ.setdefault("INSECURE_FAST_PASSWORD_HASHING", "1")
# Sessions idle out after 10 hours here, so the idle clock writes (once per 1/30 of it) never
# land inside a test's statement count on a loaded machine; the idle rule's own tests set
# the default 30 minutes themselves (tests/test_password_policy.py).
os.environ.setdefault("SESSION_IDLE_MINUTES", "600")

import httpx
import pytest
import pytest_asyncio
from starlette.applications import Starlette
from tortoise import Tortoise
from tortoise.contrib.test import truncate_all_models

from gql.app import create_app
from gql.settings import Settings
from models.config import tortoise_config
from models.database import migrate_database
from models.seeding import INITIAL_PASSWORD, seed_if_empty
from tests import log_secrecy
from tests.differential.harness import DifferentialTransport, in_reference, summary

NEW_PASSWORD = "Chang3d-pass"

# Demo logins used across the tests (see models/seeding.py).
PROVINCE = "410000"
ZHENGZHOU = "410100"
LUOYANG = "410300"
ZZ_SCHOOL = "4199200001"  # secondary, 郑州, must undertake every item
ZZ_SCHOOL_2 = "4199200002"  # secondary, 郑州
LY_SCHOOL = "4199200005"  # secondary, 洛阳
HIGHER_SCHOOL = "4199000001"  # higher vocational, directly under the province


def pytest_configure(config: pytest.Config) -> None:
    # The whole suite's logs, as a server at INFO would write them (tests/log_secrecy.py).
    root = logging.getLogger()
    root.addHandler(log_secrecy.CAPTURE)
    if root.level > logging.INFO:
        root.setLevel(logging.INFO)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    leaks = log_secrecy.leaks()
    if leaks:
        print(f"\n{len(leaks)} log lines hold a password or token of the suite:", *leaks[:20],
              sep="\n")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def _database_url() -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return url
    folder = tempfile.mkdtemp(prefix="platform-test-")
    return f"sqlite://{folder}/test.sqlite3"


@pytest.fixture(scope="session")
def database_url() -> str:
    return _database_url()


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def orm(database_url: str) -> AsyncIterator[str]:
    await migrate_database(database_url)
    await Tortoise.init(config=tortoise_config(database_url), _enable_global_fallback=True)
    yield database_url
    await Tortoise.close_connections()


@pytest_asyncio.fixture(loop_scope="session")
async def db(orm: str) -> AsyncIterator[None]:
    """An empty, migrated database with the demo seed (catalog, cities, demo schools)."""
    await truncate_all_models()
    await seed_if_empty(demo=True)
    yield


@dataclass
class Api:
    """The GraphQL endpoint over HTTP, as a client sees it."""

    client: httpx.AsyncClient
    tokens: dict[str, str] = field(default_factory=dict)

    async def post(self, query: str, variables: dict[str, Any] | None = None,
                   token: str | None = None) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        log_secrecy.remember_request(query, variables)
        response = await self.client.post("/graphql", json={"query": query,
                                          "variables": variables or {}}, headers=headers)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        log_secrecy.remember_response(body)
        return body

    async def data(self, query: str, variables: dict[str, Any] | None = None,
                   token: str | None = None) -> dict[str, Any]:
        """The `data` of a request that must succeed without errors."""
        body = await self.post(query, variables, token)
        assert "errors" not in body, body
        result: dict[str, Any] = body["data"]
        return result

    async def login(self, username: str, password: str = INITIAL_PASSWORD) -> dict[str, Any]:
        body = await self.data(LOGIN, {"u": username, "p": password})
        result: dict[str, Any] = body["login"]
        return result

    async def token(self, username: str) -> str:
        """A token of a user who has replaced the initial password (cached per test)."""
        if username not in self.tokens:
            result = await self.login(username)
            assert result["errors"] == [], result
            token = result["token"]
            changed = await self.data(CHANGE_PASSWORD, {"old": INITIAL_PASSWORD,
                                                        "new": NEW_PASSWORD}, token)
            assert changed["changePassword"]["errors"] == [], changed
            self.tokens[username] = token
        return self.tokens[username]


LOGIN = """
mutation($u: String!, $p: String!) {
  login(username: $u, password: $p) {
    token expiresAt lockedUntil
    user { username role mustChangePassword organization { code } }
    errors { field code message }
  }
}"""

CHANGE_PASSWORD = """
mutation($old: String!, $new: String!) {
  changePassword(oldPassword: $old, newPassword: $new) {
    user { mustChangePassword } errors { field code message }
  }
}"""


def build_app(*, compiled_reads: bool) -> Starlette:
    return create_app(Settings(database_url="unused", demo_data=True,
                               compiled_reads=compiled_reads), manage_database=False)


@pytest.fixture(scope="session")
def reference_app() -> Starlette:
    """The resolver path, the reference every read is compared against. Built once: it keeps
    nothing between requests, and a schema costs ~90 ms to build."""
    return build_app(compiled_reads=False)


@pytest_asyncio.fixture(loop_scope="session")
async def api(db: None, reference_app: Starlette) -> AsyncIterator[Api]:
    """The compiled app, as a client sees it; every read document also runs on the reference
    app and must answer the same bytes (tests/differential/harness.py)."""
    transport = DifferentialTransport(build_app(compiled_reads=True), reference_app,
                                      client=("203.0.113.7", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield Api(client)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    database = "PostgreSQL" if _database_url().startswith("postgres") else "SQLite"
    terminalreporter.write_line(summary(database))


class StatementCounter(logging.Handler):
    """Counts the SQL statements Tortoise sends (one DEBUG record each) for the app the test
    sees; the reference run of a differential read is not counted."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.statements: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if not in_reference.get():
            self.statements.append(record.getMessage())


@pytest.fixture
def count_sql() -> Iterator[StatementCounter]:
    logger = logging.getLogger("tortoise.db_client")
    counter = StatementCounter()
    previous = logger.level
    logger.setLevel(logging.DEBUG)
    logger.addHandler(counter)
    yield counter
    logger.removeHandler(counter)
    logger.setLevel(previous)
