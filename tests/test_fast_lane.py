"""The fast lane (gql/compiled/fast_lane.py): a read answered wholly from SQL is answered
again without strawberry's pipeline. It must give the very same bytes, as of now, and never
to anyone the first answer was not for: a logout, a disabled account, another caller, other
variables each take the full path."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
import pytest_asyncio

from gql.compiled import inline_sqlite
from gql.observability import metrics
from models import User
from models.clock import now_utc
from tests.conftest import PROVINCE, ZZ_SCHOOL, ZZ_SCHOOL_2, Api
from tests.test_accounts import LOGOUT, SET_USER_ACTIVE, user_id
from tests.test_declarations import row, save

pytestmark = pytest.mark.asyncio(loop_scope="session")

READ = """query Form($org: String) { declaration(organizationCode: $org) {
  status version organization { code name }
  undertakings { quantity item { number title } funding { schoolSelf total } } } }"""


class Lane:
    """The compiled app alone (no differential replay), counting fast-lane answers."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def post(self, token: str, variables: dict[str, Any] | None = None,
                   query: str = READ, headers: dict[str, str] | None = None
                   ) -> tuple[httpx.Response, bool]:
        """The response, and whether the fast lane gave it."""
        before = metrics.FAST_LANE._value.get()
        response = await self.client.post(
            "/graphql", json={"query": query, "variables": variables or {}},
            headers={"Authorization": f"Bearer {token}", **(headers or {})})
        return response, metrics.FAST_LANE._value.get() > before


@pytest_asyncio.fixture(loop_scope="session")
async def lane(api: Api) -> AsyncIterator[Lane]:
    app = api.client._transport.app  # type: ignore[attr-defined]
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://testserver") as client:
        yield Lane(client)


async def test_the_same_read_again_is_the_fast_lanes_with_the_same_bytes(
        api: Api, lane: Lane, count_sql: Any) -> None:
    school = await api.token(ZZ_SCHOOL)
    await save(api, ZZ_SCHOOL, ZZ_SCHOOL, 0, [row("3.2", 2, schoolSelf="1.5")])
    first, fast = await lane.post(school, {"org": ZZ_SCHOOL})
    assert not fast and first.status_code == 200 and "errors" not in first.json()
    count_sql.statements.clear()
    again, fast = await lane.post(school, {"org": ZZ_SCHOOL})
    assert fast
    assert (again.status_code, again.headers["content-type"], again.content) == (
        first.status_code, first.headers["content-type"], first.content)
    # The session lookup and the root field's statement, in one.
    assert len(count_sql.statements) == 1, count_sql.statements


async def test_it_answers_as_of_now_never_from_a_cache(api: Api, lane: Lane) -> None:
    school = await api.token(ZZ_SCHOOL)
    saved = await save(api, ZZ_SCHOOL, ZZ_SCHOOL, 0, [row("3.2", 2, schoolSelf="1.5")])
    await lane.post(school, {"org": ZZ_SCHOOL})
    await save(api, ZZ_SCHOOL, ZZ_SCHOOL, saved["declaration"]["version"],
               [row("3.2", 7, schoolSelf="9.25")])
    response, fast = await lane.post(school, {"org": ZZ_SCHOOL})
    assert fast
    rows = response.json()["data"]["declaration"]["undertakings"]
    assert [(r["quantity"], r["funding"]["schoolSelf"]) for r in rows] == [(7, "9.25")]


async def test_a_logout_ends_it_at_once(api: Api, lane: Lane) -> None:
    school = await api.token(ZZ_SCHOOL)
    for _ in range(2):
        _response, fast = await lane.post(school, {"org": ZZ_SCHOOL})
    assert fast
    await api.data(LOGOUT, token=school)
    refused, fast = await lane.post(school, {"org": ZZ_SCHOOL})
    assert not fast
    assert refused.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_a_disabled_account_is_refused_at_once(api: Api, lane: Lane) -> None:
    school = await api.token(ZZ_SCHOOL_2)
    for _ in range(2):
        _response, fast = await lane.post(school, {"org": ZZ_SCHOOL_2})
    assert fast
    province = await api.token(PROVINCE)
    await api.data(SET_USER_ACTIVE, {"id": await user_id(api, ZZ_SCHOOL_2),
                                     "active": False}, province)
    refused, fast = await lane.post(school, {"org": ZZ_SCHOOL_2})
    assert not fast
    assert refused.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_another_caller_never_gets_the_answer_made_for_the_first(
        api: Api, lane: Lane) -> None:
    await save(api, ZZ_SCHOOL, ZZ_SCHOOL, 0, [row("3.2", 2, schoolSelf="1.5")])
    owner = await api.token(ZZ_SCHOOL)
    for _ in range(2):
        mine, fast = await lane.post(owner, {"org": ZZ_SCHOOL})
    assert fast and mine.json()["data"]["declaration"]["undertakings"]
    # The same bytes sent by a neighbouring school: its own (full-path) answer, no rows of
    # the other school's.
    neighbour = await api.token(ZZ_SCHOOL_2)
    theirs, fast = await lane.post(neighbour, {"org": ZZ_SCHOOL})
    assert not fast
    assert theirs.content != mine.content
    assert ZZ_SCHOOL not in theirs.text or "undertakings" not in theirs.text
    # The caller's own form (no code: the plan names the owner's organisation): the
    # neighbour's answer is its own.
    for _ in range(2):
        await lane.post(owner, {})
    own, _fast = await lane.post(neighbour, {})
    own_form = own.json()["data"]["declaration"]
    assert own_form["organization"]["code"] == ZZ_SCHOOL_2, own.text
    # And the owner's other variables are planned anew.
    _other, fast = await lane.post(owner, {"org": ZZ_SCHOOL_2})
    assert not fast


async def test_requests_it_leaves_to_the_full_path(api: Api, lane: Lane) -> None:
    school = await api.token(ZZ_SCHOOL)
    for _ in range(2):
        _response, fast = await lane.post(school, {"org": ZZ_SCHOOL})
    assert fast
    # An Idempotency-Key, another operation name, a streaming Accept: the full path.
    for headers in ({"Idempotency-Key": "k-1"}, {"Accept": "multipart/mixed"}):
        _response, fast = await lane.post(school, {"org": ZZ_SCHOOL}, headers=headers)
        assert not fast
    wrapped = await lane.client.post("/graphql", json=[{"query": READ}],
                                     headers={"Authorization": f"Bearer {school}"})
    assert wrapped.status_code == 400  # batches stay refused, as before


async def test_a_password_reaching_its_age_mid_session_stops_it(api: Api, lane: Lane) -> None:
    # The session is read in the same statement as the answer; the password's age is
    # checked on what that statement found, and the answer is dropped when the caller it
    # was planned for is no longer the one found (now one who must change the password).
    school = await api.token(ZZ_SCHOOL)
    for _ in range(3):
        _response, fast = await lane.post(school, {"org": ZZ_SCHOOL})
    assert fast
    await User.filter(username=ZZ_SCHOOL).update(
        password_changed_at=now_utc() - timedelta(days=91))
    refused, fast = await lane.post(school, {"org": ZZ_SCHOOL})
    assert not fast
    assert refused.json()["errors"][0]["extensions"]["code"] == "PASSWORD_CHANGE_REQUIRED"


async def test_a_quick_read_on_sqlite_runs_on_the_loop_and_sees_what_was_just_saved(
        api: Api, lane: Lane, database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """gql/compiled/inline_sqlite.py: after one run on aiosqlite's thread shows the plan is
    quick, it runs on a read-only connection of its own, which sees every commit at once."""
    if database_url.startswith("postgres"):
        pytest.skip("SQLite's own connection")
    inline: list[str] = []
    # "Quick" whatever this machine's load (the threshold is the only timing involved).
    monkeypatch.setattr(inline_sqlite, "INLINE_BELOW_S", 60.0)
    fetch = inline_sqlite.fetch
    monkeypatch.setattr(inline_sqlite, "fetch", lambda connection, sql, params: (
        inline.append(sql), fetch(connection, sql, params))[1])
    school = await api.token(ZZ_SCHOOL)
    saved = await save(api, ZZ_SCHOOL, ZZ_SCHOOL, 0, [row("3.2", 2, schoolSelf="1.5")])
    first, _ = await lane.post(school, {"org": ZZ_SCHOOL})  # the full path: the plan
    await lane.post(school, {"org": ZZ_SCHOOL})  # the fast lane, on the thread: timed
    assert not inline
    again, fast = await lane.post(school, {"org": ZZ_SCHOOL})
    assert fast and len(inline) == 1 and again.content == first.content
    await save(api, ZZ_SCHOOL, ZZ_SCHOOL, saved["declaration"]["version"],
               [row("3.2", 7, schoolSelf="9.25")])
    response, fast = await lane.post(school, {"org": ZZ_SCHOOL})
    assert fast and len(inline) == 2
    rows = response.json()["data"]["declaration"]["undertakings"]
    assert [(r["quantity"], r["funding"]["schoolSelf"]) for r in rows] == [(7, "9.25")]
    # It can only read.
    reader = inline_sqlite.reader()
    assert reader is not None
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        reader.execute("DELETE FROM access_token")
    # A plan that is not quick keeps the thread.
    monkeypatch.setattr(inline_sqlite, "INLINE_BELOW_S", 0.0)
    await lane.post(school, {"org": ZZ_SCHOOL})
    _, fast = await lane.post(school, {"org": ZZ_SCHOOL})
    assert fast and len(inline) == 2
