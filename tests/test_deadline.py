"""The declaration window: the campaign's deadline, decided by the server's clock.

Outside the window every change to a declaration (save, submit, withdraw, a city's return)
is refused with DEADLINE_PASSED (or NOT_OPEN_YET before it opens), naming the time in Beijing
time; the province moves the window, may still accept after the deadline, and may give one
organisation an extension that ends by itself. Everything goes over HTTP with real logins;
the clock is "moved" by moving the campaign's dates (or an extension's end) in the database.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from models import Campaign, Declaration, Extension, Undertaking
from tests.conftest import (
    HIGHER_SCHOOL,
    LY_SCHOOL,
    PROVINCE,
    ZHENGZHOU,
    ZZ_SCHOOL,
    ZZ_SCHOOL_2,
    Api,
)

BEIJING = ZoneInfo("Asia/Shanghai")

SAVE = """
mutation($input: SaveUndertakingsInput!) {
  saveUndertakings(input: $input) {
    declaration { status version }
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
    declaration { status version returnReason }
    errors { field code message }
  }
}"""

ACCEPT = """
mutation($org: String!, $version: Int!) {
  acceptDeclaration(organizationCode: $org, version: $version) {
    declaration { status version acceptedAt lock { code } editable }
    errors { field code message }
  }
}"""

APPROVE = """
mutation($org: String!, $version: Int) {
  approveDeclaration(organizationCode: $org, version: $version) {
    declaration { status version cityApprovedAt lock { code message } editable }
    errors { field code message }
  }
}"""

GRANT = """
mutation($org: String!, $until: DateTime!, $reason: String) {
  grantExtension(organizationCode: $org, until: $until, reason: $reason) {
    declaration { deadline extensionUntil editable lock { code } }
    errors { field code message }
  }
}"""

REVOKE = """
mutation($org: String!) {
  revokeExtension(organizationCode: $org) {
    declaration { deadline extensionUntil editable lock { code } }
    errors { field code message }
  }
}"""

SET_WINDOW = """
mutation($opens: DateTime!, $closes: DateTime!) {
  setDeclarationWindow(opensAt: $opens, closesAt: $closes) {
    campaign { declarationOpensAt declarationClosesAt declarationOpen }
    errors { field code message }
  }
}"""

DECLARATION = """
query($org: String) {
  declaration(organizationCode: $org) {
    status version deadline extensionUntil opensAt editable
    lock { code message }
    undertakings { quantity item { number } }
  }
}"""

ORGANIZATION_DECLARATION = """
query($code: String!) {
  organization(code: $code) {
    code
    declaration { status deadline extensionUntil editable lock { code message } }
  }
}"""

INPUT_FIELDS = """
query($name: String!) { __type(name: $name) { inputFields { name type { name kind } } } }"""


# --- helpers --------------------------------------------------------------------------------


def at_beijing(value: datetime) -> str:
    """How a user reads a time in a message: Beijing time, to the minute."""
    return value.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")


def parse(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def now() -> datetime:
    return datetime.now(UTC)


async def set_window_in_db(opens: datetime, closes: datetime) -> None:
    """Move the campaign's window as the clock would: the only campaign of the seed."""
    assert await Campaign.all().count() == 1
    await Campaign.all().update(declaration_opens_at=opens, declaration_closes_at=closes)


async def close_window(ago: timedelta = timedelta(seconds=1)) -> datetime:
    """The window closed `ago` (opened long before); returns the deadline as stored."""
    closes = now() - ago
    await set_window_in_db(closes - timedelta(days=30), closes)
    campaign = await Campaign.get()
    return campaign.declaration_closes_at


async def open_window() -> None:
    await set_window_in_db(now() - timedelta(days=1), now() + timedelta(days=1))


def row(number: str, quantity: int) -> dict[str, Any]:
    return {"itemNumber": number, "quantity": quantity}


async def save(api: Api, username: str, version: int, rows: list[dict[str, Any]],
               org: str | None = None) -> dict[str, Any]:
    variables = {"input": {"organizationCode": org or username, "version": version,
                           "rows": rows}}
    result: dict[str, Any] = (await api.data(SAVE, variables, await api.token(username)))[
        "saveUndertakings"]
    return result


async def call(api: Api, query: str, name: str, username: str,
               **variables: Any) -> dict[str, Any]:
    result: dict[str, Any] = (await api.data(query, variables, await api.token(username)))[name]
    return result


async def declaration(api: Api, username: str, org: str | None = None) -> dict[str, Any]:
    result: dict[str, Any] = (await api.data(DECLARATION, {"org": org},
                                             await api.token(username)))["declaration"]
    return result


def codes(payload: dict[str, Any]) -> list[str]:
    return [e["code"] for e in payload["errors"]]


def top_level_codes(body: dict[str, Any]) -> list[str | None]:
    return [e.get("extensions", {}).get("code") for e in body.get("errors", [])]


async def rows_of(org: str) -> dict[str, int]:
    rows = await Undertaking.filter(organization__code=org).prefetch_related("item")
    return {u.item.number: u.quantity for u in rows}


async def submitted_draft(api: Api, school: str = ZZ_SCHOOL_2) -> int:
    """A free-choice school's declaration with one row, submitted; returns its version."""
    saved = await save(api, school, 0, [row("3.1", 2)])
    assert saved["errors"] == [], saved
    submitted = await call(api, SUBMIT, "submitDeclaration", school, org=school,
                           version=saved["declaration"]["version"])
    assert submitted["errors"] == [], submitted
    assert submitted["declaration"]["status"] == "SUBMITTED"
    version: int = submitted["declaration"]["version"]
    return version


# --- the deadline ---------------------------------------------------------------------------


async def test_a_save_one_second_after_the_deadline_is_refused(api: Api) -> None:
    # Given a school that saved while the window was open
    await open_window()
    first = await save(api, ZZ_SCHOOL_2, 0, [row("3.1", 2)])
    assert first["errors"] == [] and first["declaration"] == {"status": "DRAFT", "version": 1}

    # When the window closed one second ago and the school saves again
    deadline = await close_window(timedelta(seconds=1))
    late = await save(api, ZZ_SCHOOL_2, 1, [row("3.1", 5), row("3.2", 1)])

    # Then DEADLINE_PASSED, naming the deadline in Beijing time, and nothing changed
    assert late["declaration"] is None
    assert codes(late) == ["DEADLINE_PASSED"]
    message = late["errors"][0]["message"]
    assert at_beijing(deadline) in message and "北京时间" in message and "截止" in message
    assert await rows_of(ZZ_SCHOOL_2) == {"3.1": 2}
    assert (await Declaration.get(organization__code=ZZ_SCHOOL_2)).version == 1
    # While with the deadline a few seconds ahead, the same save passes
    await set_window_in_db(deadline - timedelta(days=30), now() + timedelta(seconds=5))
    again = await save(api, ZZ_SCHOOL_2, 1, [row("3.1", 5), row("3.2", 1)])
    assert again["errors"] == [] and again["declaration"]["version"] == 2
    assert await rows_of(ZZ_SCHOOL_2) == {"3.1": 5, "3.2": 1}


async def test_the_notice_deadline_is_read_and_shown_in_beijing_time(api: Api) -> None:
    # Given the province sets the notice's window, written as Beijing times without an offset
    result = await call(api, SET_WINDOW, "setDeclarationWindow", PROVINCE,
                        opens="2020-11-02T00:00:00", closes="2020-11-13T23:59:59")
    assert result["errors"] == []
    assert result["campaign"] == {"declarationOpensAt": "2020-11-02T00:00:00+08:00",
                                  "declarationClosesAt": "2020-11-13T23:59:59+08:00",
                                  "declarationOpen": False}
    stored = await Campaign.get()
    assert stored.declaration_closes_at == datetime(2020, 11, 13, 15, 59, 59, tzinfo=UTC)

    # When a school saves today
    late = await save(api, ZZ_SCHOOL_2, 0, [row("3.1", 1)])

    # Then the message names the deadline as the notice does
    assert codes(late) == ["DEADLINE_PASSED"]
    assert "2020-11-13 23:59" in late["errors"][0]["message"]
    assert not await Declaration.exists()
    # And the declaration shows the same deadline and lock
    shown = await declaration(api, ZZ_SCHOOL_2)
    assert shown["deadline"] == "2020-11-13T23:59:59+08:00"
    assert shown["editable"] is False and shown["lock"]["code"] == "DEADLINE_PASSED"
    assert "2020-11-13 23:59" in shown["lock"]["message"]


# (A reviewer's return after the deadline passes, with an extension: test_reopening.py.)
@pytest.mark.parametrize("operation", ["save", "submit", "withdraw"])
async def test_every_change_fails_after_the_deadline(api: Api, operation: str) -> None:
    # Given a school's declaration, submitted when a withdrawal is to be tried
    await open_window()
    if operation == "withdraw":
        version = await submitted_draft(api)
    else:
        version = (await save(api, ZZ_SCHOOL_2, 0, [row("3.1", 2)]))["declaration"]["version"]
    before = await Declaration.get(organization__code=ZZ_SCHOOL_2)
    deadline = await close_window()

    async def attempt() -> dict[str, Any]:
        if operation == "save":
            return await save(api, ZZ_SCHOOL_2, version, [row("3.1", 7)])
        if operation == "submit":
            return await call(api, SUBMIT, "submitDeclaration", ZZ_SCHOOL_2,
                              org=ZZ_SCHOOL_2, version=version)
        return await call(api, WITHDRAW, "withdrawDeclaration", ZZ_SCHOOL_2,
                          org=ZZ_SCHOOL_2, version=version)

    # When the change is tried after the deadline
    late = await attempt()

    # Then DEADLINE_PASSED with the deadline, and the declaration is as it was
    assert late["declaration"] is None
    assert codes(late) == ["DEADLINE_PASSED"]
    assert at_beijing(deadline) in late["errors"][0]["message"]
    after = await Declaration.get(organization__code=ZZ_SCHOOL_2)
    assert (after.status, after.version) == (before.status, before.version)
    assert await rows_of(ZZ_SCHOOL_2) == {"3.1": 2}
    # While inside the window the same change passes
    await open_window()
    done = await attempt()
    assert done["errors"] == []
    assert done["declaration"]["version"] == version + 1
    assert done["declaration"]["status"] == {"save": "DRAFT", "submit": "SUBMITTED",
                                             "withdraw": "DRAFT"}[operation]


async def test_a_must_undertake_all_school_submitting_late_is_told_the_deadline(
        api: Api) -> None:
    # Given a school that must undertake every item, with items still missing, after the
    # deadline
    deadline = await close_window()

    # When it submits
    late = await call(api, SUBMIT, "submitDeclaration", ZZ_SCHOOL, org=ZZ_SCHOOL, version=0)

    # Then the deadline is what stops it (not the missing items it can no longer add)
    assert codes(late) == ["DEADLINE_PASSED"], late
    assert at_beijing(deadline) in late["errors"][0]["message"]
    assert not await Declaration.exists(organization__code=ZZ_SCHOOL)
    # While inside the window the missing items are what it is told
    await open_window()
    early = await call(api, SUBMIT, "submitDeclaration", ZZ_SCHOOL, org=ZZ_SCHOOL, version=0)
    assert codes(early) == ["MANDATORY_ITEMS_MISSING"]


@pytest.mark.parametrize("operation", ["save", "submit"])
async def test_nothing_changes_before_the_window_opens(api: Api, operation: str) -> None:
    # Given the province moved the window to open tomorrow
    opens = (now() + timedelta(days=1)).replace(microsecond=0)
    moved = await call(api, SET_WINDOW, "setDeclarationWindow", PROVINCE,
                       opens=opens.isoformat(), closes=(opens + timedelta(days=10)).isoformat())
    assert moved["errors"] == [] and moved["campaign"]["declarationOpen"] is False

    # When a school saves or submits
    if operation == "save":
        early = await save(api, ZZ_SCHOOL_2, 0, [row("3.1", 1)])
    else:
        early = await call(api, SUBMIT, "submitDeclaration", ZZ_SCHOOL_2, org=ZZ_SCHOOL_2,
                           version=0)

    # Then NOT_OPEN_YET with the opening time in Beijing time, and nothing is stored
    assert codes(early) == ["NOT_OPEN_YET"]
    assert at_beijing(opens) in early["errors"][0]["message"]
    assert not await Declaration.exists()
    shown = await declaration(api, ZZ_SCHOOL_2)
    assert shown["lock"]["code"] == "NOT_OPEN_YET" and shown["editable"] is False
    assert parse(shown["opensAt"]) == opens
    # While once it has opened the same request passes
    await open_window()
    if operation == "save":
        opened = await save(api, ZZ_SCHOOL_2, 0, [row("3.1", 1)])
    else:
        opened = await call(api, SUBMIT, "submitDeclaration", ZZ_SCHOOL_2, org=ZZ_SCHOOL_2,
                            version=0)
    assert opened["errors"] == [] and opened["declaration"]["version"] == 1


# --- who moves the window --------------------------------------------------------------------


@pytest.mark.parametrize("caller", [ZZ_SCHOOL, HIGHER_SCHOOL, ZHENGZHOU])
async def test_only_the_province_moves_the_window(api: Api, caller: str) -> None:
    # Given the seeded window, open now
    before = await Campaign.get()
    closes = now() + timedelta(days=90)
    variables = {"opens": now().isoformat(), "closes": closes.isoformat()}

    # When a school or a city bureau moves it
    denied = await api.post(SET_WINDOW, variables, await api.token(caller))

    # Then FORBIDDEN as a top-level error, and the window is unchanged
    assert top_level_codes(denied) == ["FORBIDDEN"], denied
    assert denied["data"] is None
    after = await Campaign.get()
    assert after.declaration_closes_at == before.declaration_closes_at
    # While the province office moves it
    allowed = await call(api, SET_WINDOW, "setDeclarationWindow", PROVINCE, **variables)
    assert allowed["errors"] == []
    assert parse(allowed["campaign"]["declarationClosesAt"]) == closes
    assert (await Campaign.get()).declaration_closes_at == closes


async def test_a_window_must_close_after_it_opens(api: Api) -> None:
    # Given the province office and the seeded window
    before = await Campaign.get()
    opens = now()

    # When it sets a window that closes before it opens
    refused = await call(api, SET_WINDOW, "setDeclarationWindow", PROVINCE,
                         opens=opens.isoformat(), closes=(opens - timedelta(hours=1)).isoformat())

    # Then INVALID_VALUE on closesAt, and the window is unchanged
    assert [(e["field"], e["code"]) for e in refused["errors"]] == [
        (["closesAt"], "INVALID_VALUE")]
    assert refused["campaign"] is None
    assert (await Campaign.get()).declaration_closes_at == before.declaration_closes_at
    # While a window that closes later is taken
    taken = await call(api, SET_WINDOW, "setDeclarationWindow", PROVINCE,
                       opens=opens.isoformat(), closes=(opens + timedelta(hours=1)).isoformat())
    assert taken["errors"] == [] and taken["campaign"]["declarationOpen"] is True


async def test_moving_the_deadline_reopens_and_closes_saving(api: Api) -> None:
    # Given the province closed the window a minute ago through the API
    closes = now() - timedelta(minutes=1)
    closed = await call(api, SET_WINDOW, "setDeclarationWindow", PROVINCE,
                        opens=(closes - timedelta(days=10)).isoformat(),
                        closes=closes.isoformat())
    assert closed["campaign"]["declarationOpen"] is False
    assert codes(await save(api, ZZ_SCHOOL_2, 0, [row("3.1", 1)])) == ["DEADLINE_PASSED"]

    # When it moves the deadline to tomorrow
    reopened = await call(api, SET_WINDOW, "setDeclarationWindow", PROVINCE,
                          opens=(closes - timedelta(days=10)).isoformat(),
                          closes=(now() + timedelta(days=1)).isoformat())

    # Then the same save passes
    assert reopened["campaign"]["declarationOpen"] is True
    saved = await save(api, ZZ_SCHOOL_2, 0, [row("3.1", 1)])
    assert saved["errors"] == [] and await rows_of(ZZ_SCHOOL_2) == {"3.1": 1}


# --- the province's acceptance after the deadline --------------------------------------------


async def test_the_province_accepts_after_the_deadline(api: Api) -> None:
    # Given a declaration submitted in time, and the deadline passed
    await open_window()
    version = await submitted_draft(api)
    await close_window()
    # (the school can no longer take it back)
    withdrawn = await call(api, WITHDRAW, "withdrawDeclaration", ZZ_SCHOOL_2, org=ZZ_SCHOOL_2,
                           version=version)
    assert codes(withdrawn) == ["DEADLINE_PASSED"]

    # When its city approves it and the province accepts it (review goes on after the deadline)
    approved = await call(api, APPROVE, "approveDeclaration", ZHENGZHOU, org=ZZ_SCHOOL_2,
                          version=version)
    assert approved["errors"] == [] and approved["declaration"]["cityApprovedAt"] is not None
    accepted = await call(api, ACCEPT, "acceptDeclaration", PROVINCE, org=ZZ_SCHOOL_2,
                          version=version + 1)

    # Then it is accepted and frozen, the lock saying so (not the deadline)
    assert accepted["errors"] == []
    d = accepted["declaration"]
    assert (d["status"], d["version"]) == ("ACCEPTED", version + 2)
    assert d["acceptedAt"] is not None
    assert d["lock"] == {"code": "DECLARATION_ACCEPTED"} and d["editable"] is False
    assert (await Declaration.get(organization__code=ZZ_SCHOOL_2)).status == "accepted"


async def test_a_city_cannot_accept_even_before_the_deadline(api: Api) -> None:
    # Given a submitted declaration inside the window
    await open_window()
    version = await submitted_draft(api)

    # When its city bureau accepts it
    denied = await api.post(ACCEPT, {"org": ZZ_SCHOOL_2, "version": version},
                            await api.token(ZHENGZHOU))

    # Then FORBIDDEN, still submitted
    assert top_level_codes(denied) == ["FORBIDDEN"]
    assert (await Declaration.get(organization__code=ZZ_SCHOOL_2)).status == "submitted"
    # Nor does the province before the city has approved it
    early = await call(api, ACCEPT, "acceptDeclaration", PROVINCE, org=ZZ_SCHOOL_2,
                       version=version)
    assert codes(early) == ["CITY_REVIEW_PENDING"] and "审核通过" in early["errors"][0]["message"]
    # While, once the city has approved it, the province accepts it
    await call(api, APPROVE, "approveDeclaration", ZHENGZHOU, org=ZZ_SCHOOL_2, version=version)
    accepted = await call(api, ACCEPT, "acceptDeclaration", PROVINCE, org=ZZ_SCHOOL_2,
                          version=version + 1)
    assert accepted["declaration"]["status"] == "ACCEPTED"


# --- extensions -----------------------------------------------------------------------------


async def test_an_extension_lets_one_organisation_change_after_the_deadline(api: Api) -> None:
    # Given the deadline passed for everyone
    deadline = await close_window()
    until = (now() + timedelta(hours=2)).replace(microsecond=0)

    # When the province grants one school an extension
    granted = await call(api, GRANT, "grantExtension", PROVINCE, org=ZZ_SCHOOL_2,
                         until=until.isoformat(), reason="系统故障，延期两小时")

    # Then that school's declaration shows the extension and is editable
    assert granted["errors"] == []
    assert parse(granted["declaration"]["extensionUntil"]) == until
    assert parse(granted["declaration"]["deadline"]) == until
    assert granted["declaration"]["editable"] is True and granted["declaration"]["lock"] is None
    stored = await Extension.get(organization__code=ZZ_SCHOOL_2)
    assert stored.until == until and stored.reason == "系统故障，延期两小时"
    # And it saves and submits
    saved = await save(api, ZZ_SCHOOL_2, 0, [row("3.1", 3)])
    assert saved["errors"] == [] and await rows_of(ZZ_SCHOOL_2) == {"3.1": 3}
    submitted = await call(api, SUBMIT, "submitDeclaration", ZZ_SCHOOL_2, org=ZZ_SCHOOL_2,
                           version=1)
    assert submitted["declaration"]["status"] == "SUBMITTED"
    # While another school, even of the same city, stays closed at the campaign's deadline
    other = await save(api, LY_SCHOOL, 0, [row("3.1", 3)])
    neighbour = await save(api, "4199200003", 0, [row("3.1", 3)])
    assert codes(other) == codes(neighbour) == ["DEADLINE_PASSED"]
    assert at_beijing(deadline) in other["errors"][0]["message"]
    shown = await declaration(api, LY_SCHOOL)
    assert shown["extensionUntil"] is None and parse(shown["deadline"]) == deadline
    assert shown["lock"]["code"] == "DEADLINE_PASSED"
    # And the city bureau sees its school's extension through the organisation
    seen = (await api.data(ORGANIZATION_DECLARATION, {"code": ZZ_SCHOOL_2},
                           await api.token(ZHENGZHOU)))["organization"]["declaration"]
    assert parse(seen["extensionUntil"]) == until and parse(seen["deadline"]) == until


async def test_an_extension_ends_by_itself(api: Api) -> None:
    # Given a school with an extension after the deadline, which it used
    deadline = await close_window()
    until = now() + timedelta(hours=1)
    await call(api, GRANT, "grantExtension", PROVINCE, org=ZZ_SCHOOL_2, until=until.isoformat())
    assert (await save(api, ZZ_SCHOOL_2, 0, [row("3.1", 3)]))["errors"] == []

    # When the extension's end passes (one second ago)
    await Extension.filter(organization__code=ZZ_SCHOOL_2).update(
        until=now() - timedelta(seconds=1))
    late = await save(api, ZZ_SCHOOL_2, 1, [row("3.1", 4)])

    # Then saving is refused again, naming the campaign's deadline, and nothing changed
    assert codes(late) == ["DEADLINE_PASSED"]
    assert at_beijing(deadline) in late["errors"][0]["message"]
    assert await rows_of(ZZ_SCHOOL_2) == {"3.1": 3}
    shown = await declaration(api, ZZ_SCHOOL_2)
    assert shown["extensionUntil"] is None and parse(shown["deadline"]) == deadline
    assert shown["editable"] is False and shown["lock"]["code"] == "DEADLINE_PASSED"


async def test_a_short_extension_ends_when_the_clock_passes_it(api: Api) -> None:
    # Given the window closed, and a school granted ten more minutes
    deadline = await close_window()
    until = now() + timedelta(minutes=10)
    await call(api, GRANT, "grantExtension", PROVINCE, org=ZZ_SCHOOL_2, until=until.isoformat())
    assert (await save(api, ZZ_SCHOOL_2, 0, [row("3.1", 3)]))["errors"] == []

    # When eleven minutes pass (the campaign and the extension moved back by eleven minutes)
    shift = timedelta(minutes=11)
    await set_window_in_db(deadline - timedelta(days=30) - shift, deadline - shift)
    await Extension.filter(organization__code=ZZ_SCHOOL_2).update(until=until - shift)

    # Then the extension no longer counts
    late = await save(api, ZZ_SCHOOL_2, 1, [row("3.1", 4)])
    assert codes(late) == ["DEADLINE_PASSED"]
    assert await rows_of(ZZ_SCHOOL_2) == {"3.1": 3}


async def test_revoking_an_extension_ends_it_now(api: Api) -> None:
    # Given a school with a running extension after the deadline
    deadline = await close_window()
    await call(api, GRANT, "grantExtension", PROVINCE, org=ZZ_SCHOOL_2,
               until=(now() + timedelta(days=1)).isoformat())
    assert (await save(api, ZZ_SCHOOL_2, 0, [row("3.1", 3)]))["errors"] == []

    # When the province revokes it
    revoked = await call(api, REVOKE, "revokeExtension", PROVINCE, org=ZZ_SCHOOL_2)

    # Then the school's deadline is the campaign's again and saving is refused
    assert revoked["errors"] == []
    assert revoked["declaration"]["extensionUntil"] is None
    assert parse(revoked["declaration"]["deadline"]) == deadline
    assert revoked["declaration"]["lock"] == {"code": "DEADLINE_PASSED"}
    assert not await Extension.exists()
    late = await save(api, ZZ_SCHOOL_2, 1, [row("3.1", 4)])
    assert codes(late) == ["DEADLINE_PASSED"]
    assert await rows_of(ZZ_SCHOOL_2) == {"3.1": 3}


@pytest.mark.parametrize("caller", [ZZ_SCHOOL_2, ZHENGZHOU])
async def test_only_the_province_grants_and_revokes_extensions(api: Api, caller: str) -> None:
    # Given the deadline passed
    await close_window()
    until = (now() + timedelta(days=1)).isoformat()

    # When the school itself or its city bureau grants the school an extension
    denied = await api.post(GRANT, {"org": ZZ_SCHOOL_2, "until": until},
                            await api.token(caller))

    # Then FORBIDDEN, and the school stays closed
    assert top_level_codes(denied) == ["FORBIDDEN"] and denied["data"] is None
    assert not await Extension.exists()
    assert codes(await save(api, ZZ_SCHOOL_2, 0, [row("3.1", 1)])) == ["DEADLINE_PASSED"]
    # While the province grants it, and the caller cannot revoke it either
    granted = await call(api, GRANT, "grantExtension", PROVINCE, org=ZZ_SCHOOL_2, until=until)
    assert granted["errors"] == []
    revoke = await api.post(REVOKE, {"org": ZZ_SCHOOL_2}, await api.token(caller))
    assert top_level_codes(revoke) == ["FORBIDDEN"]
    assert await Extension.exists(organization__code=ZZ_SCHOOL_2)
    assert (await save(api, ZZ_SCHOOL_2, 0, [row("3.1", 1)]))["errors"] == []


async def test_an_extension_must_end_in_the_future(api: Api) -> None:
    # Given the deadline passed
    await close_window()

    # When the province grants an extension that already ended
    refused = await call(api, GRANT, "grantExtension", PROVINCE, org=ZZ_SCHOOL_2,
                         until=(now() - timedelta(minutes=1)).isoformat())

    # Then INVALID_VALUE on until, and no extension
    assert [(e["field"], e["code"]) for e in refused["errors"]] == [(["until"], "INVALID_VALUE")]
    assert not await Extension.exists()
    # While one ending later is granted
    granted = await call(api, GRANT, "grantExtension", PROVINCE, org=ZZ_SCHOOL_2,
                         until=(now() + timedelta(minutes=1)).isoformat())
    assert granted["errors"] == [] and granted["declaration"]["editable"] is True


# --- the server's clock decides ---------------------------------------------------------------


async def test_a_client_cannot_send_a_time_for_a_save(api: Api) -> None:
    # Given the deadline passed
    deadline = await close_window()
    token = await api.token(ZZ_SCHOOL_2)

    # When a client claims an earlier time, in the input or in an HTTP Date header
    fields = (await api.data(INPUT_FIELDS, {"name": "SaveUndertakingsInput"}, token))[
        "__type"]["inputFields"]
    with_time = await api.post(SAVE, {"input": {
        "organizationCode": ZZ_SCHOOL_2, "version": 0, "rows": [row("3.1", 1)],
        "savedAt": "2020-11-13T10:00:00+08:00"}}, token)
    response = await api.client.post(
        "/graphql", json={"query": SAVE, "variables": {"input": {
            "organizationCode": ZZ_SCHOOL_2, "version": 0, "rows": [row("3.1", 1)]}}},
        headers={"Authorization": f"Bearer {token}", "Date": "Fri, 13 Nov 2020 02:00:00 GMT"})

    # Then the input has no time to send, and the server's clock refuses the save
    assert {f["name"] for f in fields} == {"organizationCode", "version", "rows",
                                           "campaignCode"}
    assert with_time["data"] is None and "savedAt" in with_time["errors"][0]["message"]
    late = response.json()["data"]["saveUndertakings"]
    assert codes(late) == ["DEADLINE_PASSED"]
    assert at_beijing(deadline) in late["errors"][0]["message"]
    assert not await Declaration.exists()


# --- the lock reason ------------------------------------------------------------------------


async def test_the_lock_tells_the_deadline_submission_and_acceptance_apart(api: Api) -> None:
    # Given a school in the open window
    await open_window()
    empty = await declaration(api, ZZ_SCHOOL_2)
    assert (empty["status"], empty["version"], empty["lock"], empty["editable"]) == (
        "NOT_STARTED", 0, None, True)

    # When it saves a draft: editable
    await save(api, ZZ_SCHOOL_2, 0, [row("3.1", 2)])
    draft = await declaration(api, ZZ_SCHOOL_2)
    assert (draft["status"], draft["lock"], draft["editable"]) == ("DRAFT", None, True)

    # When it submits: locked by the submission, and a save says the same
    await call(api, SUBMIT, "submitDeclaration", ZZ_SCHOOL_2, org=ZZ_SCHOOL_2, version=1)
    submitted = await declaration(api, ZZ_SCHOOL_2)
    assert submitted["lock"]["code"] == "DECLARATION_SUBMITTED"
    assert submitted["editable"] is False
    assert codes(await save(api, ZZ_SCHOOL_2, 2, [row("3.1", 9)])) == ["DECLARATION_SUBMITTED"]

    # When it withdraws and the deadline then passes: locked by the deadline
    await call(api, WITHDRAW, "withdrawDeclaration", ZZ_SCHOOL_2, org=ZZ_SCHOOL_2, version=2)
    deadline = await close_window()
    late = await declaration(api, ZZ_SCHOOL_2)
    assert (late["status"], late["editable"]) == ("DRAFT", False)
    assert late["lock"]["code"] == "DEADLINE_PASSED"
    assert at_beijing(deadline) in late["lock"]["message"]
    assert parse(late["deadline"]) == deadline and late["extensionUntil"] is None

    # When it is reopened by an extension, submitted and accepted: locked by the acceptance
    await call(api, GRANT, "grantExtension", PROVINCE, org=ZZ_SCHOOL_2,
               until=(now() + timedelta(hours=1)).isoformat())
    extended = await declaration(api, ZZ_SCHOOL_2)
    assert (extended["lock"], extended["editable"]) == (None, True)
    await call(api, SUBMIT, "submitDeclaration", ZZ_SCHOOL_2, org=ZZ_SCHOOL_2, version=3)
    await call(api, APPROVE, "approveDeclaration", ZHENGZHOU, org=ZZ_SCHOOL_2, version=4)
    approved = await declaration(api, ZZ_SCHOOL_2)
    assert approved["lock"]["code"] == "DECLARATION_CITY_APPROVED"
    assert approved["editable"] is False
    await call(api, ACCEPT, "acceptDeclaration", PROVINCE, org=ZZ_SCHOOL_2, version=5)
    accepted = await declaration(api, ZZ_SCHOOL_2)
    assert accepted["status"] == "ACCEPTED"
    assert accepted["lock"]["code"] == "DECLARATION_ACCEPTED" and accepted["editable"] is False
    assert codes(await save(api, ZZ_SCHOOL_2, 6, [row("3.1", 9)])) == ["DECLARATION_ACCEPTED"]
    assert await rows_of(ZZ_SCHOOL_2) == {"3.1": 2}


async def test_a_transaction_reads_the_window_once_until_an_extension_changes(
        api: Api) -> None:
    from models import Organization, User
    from models.declarations import grant_extension, window_for
    from models.transaction import write_transaction

    school = await Organization.get(code=ZZ_SCHOOL)
    campaign = await Campaign.all().order_by("-id").first()
    assert campaign is not None
    province = await User.get(username=PROVINCE)
    until = datetime.now(UTC).replace(microsecond=0) + timedelta(days=30)

    async with write_transaction():
        # Asked twice in one transaction (a save's early check, then within_window's): one read
        first = await window_for(school.id, campaign)
        assert await window_for(school.id, campaign) is first
        # An extension granted in the same transaction is seen at once
        await grant_extension(province.id, school, campaign, until, "测试延期")
        extended = await window_for(school.id, campaign)
        assert extended is not first and extended.extension_until == until
    # Another transaction reads again
    async with write_transaction():
        assert await window_for(school.id, campaign) is not extended


async def test_a_save_and_a_submit_read_the_form_and_its_extension_in_one_statement(
        api: Api, count_sql: Any) -> None:
    """The form and its window's extension come from one statement (models/declarations.py,
    form_and_window), before the form exists and after, with an extension and without; the
    window they give is the one the deadline is checked against. The school's parent comes
    with the school (whether its city reviews it)."""
    await close_window()
    until = (now() + timedelta(hours=2)).replace(microsecond=0)
    refused = await save(api, ZZ_SCHOOL_2, 0, [row("3.1", 3)])
    assert codes(refused) == ["DEADLINE_PASSED"]  # no form, no extension: closed
    await call(api, GRANT, "grantExtension", PROVINCE, org=ZZ_SCHOOL_2,
               until=until.isoformat(), reason="延期")
    await api.token(ZZ_SCHOOL_2)

    count_sql.statements.clear()
    saved = await save(api, ZZ_SCHOOL_2, 0, [row("3.1", 3)])  # no form yet, an extension
    submitted = await call(api, SUBMIT, "submitDeclaration", ZZ_SCHOOL_2, org=ZZ_SCHOOL_2,
                           version=1)  # a form and an extension

    assert saved["errors"] == [] and submitted["declaration"]["status"] == "SUBMITTED"
    reads = [s for s in count_sql.statements if "declaration_extension" in s
             and s.lstrip().upper().startswith("SELECT")]
    # one each inside the mutation, both of the form too; the answers' own reads aside
    inside = [s for s in reads if '"declaration" a' in s]
    assert len(inside) == 2, reads
    # and whether its city reviews it, from the school's parent, read with the school
    assert not any(s.startswith('SELECT 1 FROM "organization"') for s in count_sql.statements)
