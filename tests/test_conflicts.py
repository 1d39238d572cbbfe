"""No lost updates: every declaration carries a version, and a change made on an older one is
refused with CONFLICT and writes nothing.

Two clerks of one school (two accounts of the same organisation, each with its own login)
race over HTTP: exactly one wins, the rows are entirely the winner's, and the history holds
only the winner's changes. Run on SQLite by default and on PostgreSQL with TEST_DATABASE_URL.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from models import Campaign, Declaration, DeclarationEvent, Undertaking, UndertakingChange
from tests.conftest import CHANGE_PASSWORD, NEW_PASSWORD, PROVINCE, ZHENGZHOU, ZZ_SCHOOL_2, Api

SCHOOL = ZZ_SCHOOL_2  # secondary, free to choose its items

SAVE = """
mutation($input: SaveUndertakingsInput!) {
  saveUndertakings(input: $input) {
    declaration { status version undertakings { quantity item { number } } }
    errors { field code message }
  }
}"""

SUBMIT = """
mutation($org: String!, $version: Int!) {
  submitDeclaration(organizationCode: $org, version: $version) {
    declaration { status version }
    errors { field code message }
  }
}"""

WITHDRAW = """
mutation($org: String!, $version: Int!) {
  withdrawDeclaration(organizationCode: $org, version: $version) {
    declaration { status version }
    errors { field code message }
  }
}"""

RETURN = """
mutation($org: String!, $version: Int!, $reason: String!) {
  returnDeclaration(organizationCode: $org, version: $version, reason: $reason) {
    declaration { status version }
    errors { field code message }
  }
}"""

DECLARATION = """
query($org: String) {
  declaration(organizationCode: $org) {
    status version
    undertakings { quantity item { number } }
    history {
      actor { username } statusChange fromStatus toStatus rowChange itemNumber
      before { quantity } after { quantity }
    }
  }
}"""

CREATE_USER = """
mutation($org: String!, $username: String!) {
  createUser(organizationCode: $org, username: $username) {
    user { username role organization { code } } oneTimePassword errors { field code }
  }
}"""

CLERK_2 = "zz2-clerk-b"

# Two clerks' versions of the same form, starting from INITIAL: they overlap (3.1), one
# removes what the other changes (3.2), and each adds its own item (7.1 / 3.3).
INITIAL = {"3.1": 1, "3.2": 1}
CLERK_A_ROWS = [{"itemNumber": "3.1", "quantity": 11}, {"itemNumber": "3.2", "quantity": 12},
                {"itemNumber": "7.1", "quantity": 13}]
CLERK_A_RESULT = {"3.1": 11, "3.2": 12, "7.1": 13}
CLERK_B_ROWS = [{"itemNumber": "3.1", "quantity": 21}, {"itemNumber": "3.2", "remove": True},
                {"itemNumber": "3.3", "quantity": 23}]
CLERK_B_RESULT = {"3.1": 21, "3.3": 23}


# --- helpers --------------------------------------------------------------------------------


def rows_input(rows: dict[str, int]) -> list[dict[str, Any]]:
    return [{"itemNumber": n, "quantity": q} for n, q in rows.items()]


async def save(api: Api, token: str, version: int, rows: list[dict[str, Any]]
               ) -> dict[str, Any]:
    variables = {"input": {"organizationCode": SCHOOL, "version": version, "rows": rows}}
    result: dict[str, Any] = (await api.data(SAVE, variables, token))["saveUndertakings"]
    return result


async def transition(api: Api, query: str, token: str, version: int,
                     **extra: Any) -> dict[str, Any]:
    body = await api.data(query, {"org": SCHOOL, "version": version, **extra}, token)
    result: dict[str, Any] = next(iter(body.values()))
    return result


async def read(api: Api, token: str) -> dict[str, Any]:
    result: dict[str, Any] = (await api.data(DECLARATION, {"org": SCHOOL}, token))[
        "declaration"]
    return result


def codes(payload: dict[str, Any]) -> list[str]:
    return [e["code"] for e in payload["errors"]]


async def stored_rows() -> dict[str, int]:
    rows = await Undertaking.filter(organization__code=SCHOOL).prefetch_related("item")
    return {u.item.number: u.quantity for u in rows}


def shown_rows(declaration: dict[str, Any]) -> dict[str, int]:
    return {u["item"]["number"]: u["quantity"] for u in declaration["undertakings"]}


def row_changes(declaration: dict[str, Any]) -> list[tuple[str, str, str, int | None]]:
    """(who, what, which item, quantity after) for every row change in the history."""
    return sorted((h["actor"]["username"], h["rowChange"], h["itemNumber"],
                   (h["after"] or {}).get("quantity"))
                  for h in declaration["history"] if h["rowChange"])


async def second_clerk(api: Api, username: str = CLERK_2) -> str:
    """A second account of the school, created by the province, its one-time password
    replaced: a token of its own, distinct from the school's first account."""
    created = (await api.data(CREATE_USER, {"org": SCHOOL, "username": username},
                              await api.token(PROVINCE)))["createUser"]
    assert created["errors"] == [], created
    assert created["user"]["organization"] == {"code": SCHOOL}
    login = await api.login(username, created["oneTimePassword"])
    assert login["errors"] == [], login
    changed = await api.data(CHANGE_PASSWORD, {"old": created["oneTimePassword"],
                                               "new": NEW_PASSWORD}, login["token"])
    assert changed["changePassword"]["errors"] == []
    token: str = login["token"]
    return token


async def keep_window_open() -> None:
    """The seeded window opens at seeding time: open it a day back so no test is early."""
    now = datetime.now(UTC)
    await Campaign.all().update(declaration_opens_at=now - timedelta(days=1),
                                declaration_closes_at=now + timedelta(days=1))


# --- a stale version ------------------------------------------------------------------------


async def test_a_save_on_a_stale_version_conflicts_and_overwrites_nothing(api: Api) -> None:
    # Given two clerks who both read the declaration at version 1
    await keep_window_open()
    clerk_a = await api.token(SCHOOL)
    clerk_b = await second_clerk(api)
    first = await save(api, clerk_a, 0, rows_input(INITIAL))
    assert first["declaration"]["version"] == 1
    assert (await read(api, clerk_b))["version"] == 1

    # When clerk A saves first, and clerk B then saves on version 1
    won = await save(api, clerk_a, 1, CLERK_A_ROWS)
    lost = await save(api, clerk_b, 1, CLERK_B_ROWS)

    # Then A's save moves the version on, B's is refused with CONFLICT on the version
    assert won["errors"] == [] and won["declaration"]["version"] == 2
    assert lost["declaration"] is None
    assert [(e["field"], e["code"]) for e in lost["errors"]] == [(["version"], "CONFLICT")]
    assert "刷新" in lost["errors"][0]["message"]
    # And the rows are A's, in the database and as read back
    assert await stored_rows() == CLERK_A_RESULT
    now = await read(api, clerk_b)
    assert now["version"] == 2 and shown_rows(now) == CLERK_A_RESULT
    # And the history holds no change of B's
    assert CLERK_2 not in {h["actor"]["username"] for h in now["history"]}
    assert row_changes(now) == sorted([
        (SCHOOL, "CREATE", "3.1", 1), (SCHOOL, "CREATE", "3.2", 1),
        (SCHOOL, "UPDATE", "3.1", 11), (SCHOOL, "UPDATE", "3.2", 12),
        (SCHOOL, "CREATE", "7.1", 13)])
    # While B, having re-read version 2, saves on top of A's rows
    retried = await save(api, clerk_b, 2, CLERK_B_ROWS)
    assert retried["errors"] == [] and retried["declaration"]["version"] == 3
    assert await stored_rows() == {**CLERK_B_RESULT, "7.1": 13}


@pytest.mark.parametrize("version", [0, 1, 3, -1])
async def test_any_version_but_the_current_one_conflicts(api: Api, version: int) -> None:
    # Given a declaration at version 2
    await keep_window_open()
    token = await api.token(SCHOOL)
    await save(api, token, 0, rows_input(INITIAL))
    await save(api, token, 1, [{"itemNumber": "3.1", "quantity": 5}])
    assert (await Declaration.get(organization__code=SCHOOL)).version == 2

    # When a save carries an older (even the "nothing saved yet" 0) or a newer version
    stale = await save(api, token, version, [{"itemNumber": "3.1", "quantity": 99}])

    # Then CONFLICT, and nothing changed
    assert codes(stale) == ["CONFLICT"]
    assert await stored_rows() == {"3.1": 5, "3.2": 1}
    assert (await Declaration.get(organization__code=SCHOOL)).version == 2
    assert await Declaration.filter(organization__code=SCHOOL).count() == 1
    # While the current version saves
    fresh = await save(api, token, 2, [{"itemNumber": "3.1", "quantity": 99}])
    assert fresh["errors"] == [] and await stored_rows() == {"3.1": 99, "3.2": 1}


async def test_a_first_save_needs_version_zero(api: Api) -> None:
    # Given a school that has saved nothing
    await keep_window_open()
    token = await api.token(SCHOOL)

    # When it saves claiming version 1
    wrong = await save(api, token, 1, rows_input(INITIAL))

    # Then CONFLICT and no declaration
    assert codes(wrong) == ["CONFLICT"]
    assert not await Declaration.exists(organization__code=SCHOOL)
    assert await stored_rows() == {}
    # While version 0 creates it at version 1
    right = await save(api, token, 0, rows_input(INITIAL))
    assert right["declaration"]["version"] == 1 and await stored_rows() == INITIAL


async def test_a_submit_on_a_stale_version_conflicts(api: Api) -> None:
    # Given a draft that clerk A read at version 1 and clerk B then changed
    await keep_window_open()
    clerk_a = await api.token(SCHOOL)
    clerk_b = await second_clerk(api)
    await save(api, clerk_a, 0, rows_input(INITIAL))
    await save(api, clerk_b, 1, [{"itemNumber": "3.1", "quantity": 7}])

    # When clerk A submits what it read (version 1)
    stale = await transition(api, SUBMIT, clerk_a, 1)

    # Then CONFLICT: still a draft at version 2, with no status change in the history
    assert codes(stale) == ["CONFLICT"] and stale["declaration"] is None
    stored = await Declaration.get(organization__code=SCHOOL)
    assert (stored.status, stored.version) == ("draft", 2)
    assert not await DeclarationEvent.exists()
    # While submitting version 2 (what B left) passes
    fresh = await transition(api, SUBMIT, clerk_a, 2)
    assert fresh["declaration"] == {"status": "SUBMITTED", "version": 3}
    assert await stored_rows() == {"3.1": 7, "3.2": 1}


async def test_a_stale_withdraw_or_return_conflicts(api: Api) -> None:
    # Given a submitted declaration (version 2), withdrawn and submitted again (version 4)
    await keep_window_open()
    school = await api.token(SCHOOL)
    city = await api.token(ZHENGZHOU)
    await save(api, school, 0, rows_input(INITIAL))
    await transition(api, SUBMIT, school, 1)
    await transition(api, WITHDRAW, school, 2)
    await transition(api, SUBMIT, school, 3)

    # When the school withdraws, and the city returns, on the old version 2
    withdraw = await transition(api, WITHDRAW, school, 2)
    returned = await transition(api, RETURN, city, 2, reason="请补充经费")

    # Then both CONFLICT, and it stays submitted at version 4
    assert codes(withdraw) == codes(returned) == ["CONFLICT"]
    stored = await Declaration.get(organization__code=SCHOOL)
    assert (stored.status, stored.version, stored.return_reason) == ("submitted", 4, None)
    # While the city's return on version 4 passes
    fresh = await transition(api, RETURN, city, 4, reason="请补充经费")
    assert fresh["declaration"] == {"status": "RETURNED", "version": 5}


# --- two clerks at once ---------------------------------------------------------------------


def assert_one_winner(a: dict[str, Any], b: dict[str, Any]) -> str:
    """Exactly one of the two answers succeeded and the other is a CONFLICT: 'a' or 'b'."""
    outcomes = sorted([("ok" if not x["errors"] else codes(x)[0]) for x in (a, b)])
    assert outcomes == ["CONFLICT", "ok"], (a, b)
    return "a" if not a["errors"] else "b"


@pytest.mark.parametrize("attempt", range(3))
async def test_two_clerks_saving_at_once_one_wins_entirely(api: Api, attempt: int) -> None:
    # Given two clerks of one school, logged in separately, both at version 1
    await keep_window_open()
    clerk_a = await api.token(SCHOOL)
    clerk_b = await second_clerk(api)
    assert clerk_a != clerk_b
    await save(api, clerk_a, 0, rows_input(INITIAL))
    versions = {(await read(api, t))["version"] for t in (clerk_a, clerk_b)}
    assert versions == {1}

    # When both press save at the same moment (in either order of starting)
    pair = (save(api, clerk_a, 1, CLERK_A_ROWS), save(api, clerk_b, 1, CLERK_B_ROWS))
    if attempt % 2:
        b, a = await asyncio.gather(pair[1], pair[0])
    else:
        a, b = await asyncio.gather(*pair)

    # Then exactly one succeeds and the other is told CONFLICT
    winner = assert_one_winner(a, b)
    expected = CLERK_A_RESULT if winner == "a" else CLERK_B_RESULT
    winner_name, loser_name = (SCHOOL, CLERK_2) if winner == "a" else (CLERK_2, SCHOOL)
    loser = b if winner == "a" else a
    assert loser["declaration"] is None and loser["errors"][0]["field"] == ["version"]
    # And the rows are entirely the winner's, never a mix
    assert await stored_rows() == expected
    final = await read(api, clerk_a)
    assert final["version"] == 2 and shown_rows(final) == expected
    # And after the first save, the history has only the winner's changes
    first_save = [(SCHOOL, "CREATE", n, q) for n, q in INITIAL.items()]
    later = [c for c in row_changes(final) if c not in first_save]
    assert {c[0] for c in later} == {winner_name} and winner_name != loser_name
    if winner == "a":
        assert later == sorted([(SCHOOL, "UPDATE", "3.1", 11), (SCHOOL, "UPDATE", "3.2", 12),
                                (SCHOOL, "CREATE", "7.1", 13)])
    else:
        assert later == sorted([(CLERK_2, "UPDATE", "3.1", 21), (CLERK_2, "DELETE", "3.2", None),
                                (CLERK_2, "CREATE", "3.3", 23)])
    assert await UndertakingChange.all().count() == len(INITIAL) + 3


@pytest.mark.parametrize("attempt", range(3))
async def test_two_first_saves_at_version_zero_at_once(api: Api, attempt: int) -> None:
    # Given two clerks of a school that has saved nothing yet
    await keep_window_open()
    clerk_a = await api.token(SCHOOL)
    clerk_b = await second_clerk(api)
    assert (await read(api, clerk_b))["version"] == 0

    # When both save their first rows at once, on version 0
    a_rows = rows_input({"3.1": 11, "3.2": 12})
    b_rows = rows_input({"3.1": 21, "3.3": 23, "7.1": 27})
    if attempt % 2:
        b, a = await asyncio.gather(save(api, clerk_b, 0, b_rows), save(api, clerk_a, 0, a_rows))
    else:
        a, b = await asyncio.gather(save(api, clerk_a, 0, a_rows), save(api, clerk_b, 0, b_rows))

    # Then one declaration exists, at version 1, with exactly the winner's rows
    winner = assert_one_winner(a, b)
    expected = {"3.1": 11, "3.2": 12} if winner == "a" else {"3.1": 21, "3.3": 23, "7.1": 27}
    assert await Declaration.filter(organization__code=SCHOOL).count() == 1
    assert (await Declaration.get(organization__code=SCHOOL)).version == 1
    assert await stored_rows() == expected
    # And the history names the winner for every row, the loser for none
    final = await read(api, clerk_b)
    winner_name = SCHOOL if winner == "a" else CLERK_2
    assert row_changes(final) == sorted((winner_name, "CREATE", n, q)
                                        for n, q in expected.items())
    # While the loser, re-reading version 1, saves on top
    loser_token = clerk_b if winner == "a" else clerk_a
    retried = await save(api, loser_token, 1, [{"itemNumber": "3.1", "quantity": 30}])
    assert retried["errors"] == [] and (await stored_rows())["3.1"] == 30


async def test_a_save_and_a_submit_at_once(api: Api) -> None:
    # Given a draft at version 1 that one clerk changes while the other submits it
    await keep_window_open()
    clerk_a = await api.token(SCHOOL)
    clerk_b = await second_clerk(api)
    await save(api, clerk_a, 0, rows_input(INITIAL))

    # When both act on version 1 at once
    saved, submitted = await asyncio.gather(save(api, clerk_a, 1, CLERK_A_ROWS),
                                            transition(api, SUBMIT, clerk_b, 1))

    # Then one wins; a submitted declaration holds exactly the rows that were submitted
    winner = assert_one_winner(saved, submitted)
    stored = await Declaration.get(organization__code=SCHOOL)
    assert stored.version == 2
    if winner == "a":
        assert stored.status == "draft" and await stored_rows() == CLERK_A_RESULT
        assert not await DeclarationEvent.exists()
    else:
        assert stored.status == "submitted" and await stored_rows() == INITIAL
        assert await UndertakingChange.all().count() == len(INITIAL)


async def test_a_withdraw_and_a_return_at_once(api: Api) -> None:
    # Given a submitted declaration that the school withdraws as its city returns it
    await keep_window_open()
    school = await api.token(SCHOOL)
    city = await api.token(ZHENGZHOU)
    await save(api, school, 0, rows_input(INITIAL))
    await transition(api, SUBMIT, school, 1)

    # When both act on version 2 at once
    withdrawn, returned = await asyncio.gather(
        transition(api, WITHDRAW, school, 2),
        transition(api, RETURN, city, 2, reason="请补充经费"))

    # Then one wins, and the history has one status change after the submission
    winner = assert_one_winner(withdrawn, returned)
    stored = await Declaration.get(organization__code=SCHOOL)
    assert stored.version == 3
    assert stored.status == ("draft" if winner == "a" else "returned")
    events = await DeclarationEvent.all().order_by("id").values_list("action", flat=True)
    assert list(events) == ["submit", "withdraw" if winner == "a" else "return"]
