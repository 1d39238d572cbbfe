"""Reopening and late returns through the API: the province reopens a confirmed form with a
reason, before or after the deadline; a reviewer returns a form after the deadline, and the
school gets an extension (the campaign's lateReturnDays) that ends by itself."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from models import Extension, ReportingRound
from tests.chain import confirm, confirm_report
from tests.conftest import PROVINCE, ZHENGZHOU, ZZ_SCHOOL_2, Api
from tests.test_deadline import (
    SUBMIT,
    call,
    close_window,
    codes,
    now,
    open_window,
    parse,
    row,
    save,
    submitted_draft,
    top_level_codes,
)
from tests.test_performance import OPEN_ROUND, REPORT, SAVE_REPORT, TRANSITION, _window

FORM = """
query($org: String) { declaration(organizationCode: $org) {
  status version editable extensionUntil returnReason nextStep lock { code message }
  history { statusChange reason actor { username } }
} }"""

RETURN = """
mutation($org: String!, $reason: String!) {
  returnDeclaration(organizationCode: $org, reason: $reason) {
    declaration { status editable extensionUntil nextStep } errors { field code message } }
}"""

REOPEN = """
mutation($org: String!, $reason: String!) {
  reopenDeclaration(organizationCode: $org, reason: $reason) {
    declaration { status editable extensionUntil returnReason nextStep }
    errors { field code message } }
}"""

SETTINGS = """
mutation($days: Int) { setReviewSettings(lateReturnDays: $days) {
  campaign { lateReturnDays } errors { code } } }"""

CHANGE = """
mutation($id: ID!) { requestUndertakingChange(undertakingId: $id, kind: WITHDRAW, reason: "x") {
  errors { code message } } }"""

UNDERTAKINGS = """
query { declaration { undertakings { id } } }"""


async def form(api: Api, who: str = ZZ_SCHOOL_2) -> dict[str, Any]:
    result: dict[str, Any] = (await api.data(FORM, {"org": ZZ_SCHOOL_2},
                                             await api.token(who)))["declaration"]
    return result


async def test_a_return_after_the_deadline_comes_with_an_extension_that_ends(
        api: Api) -> None:
    # Given a submitted declaration, the deadline passed, and a late-return length of 3 days
    await open_window()
    await submitted_draft(api)
    await close_window()
    assert (await api.data(SETTINGS, {"days": 3}, await api.token(PROVINCE)))[
        "setReviewSettings"]["campaign"] == {"lateReturnDays": 3}

    # When its city returns it
    returned = await call(api, RETURN, "returnDeclaration", ZHENGZHOU, org=ZZ_SCHOOL_2,
                          reason="请补充企业投入")

    # Then it is back with the school, open for 3 days, and the school is told what to do
    assert returned["errors"] == []
    d = returned["declaration"]
    assert d["status"] == "RETURNED" and d["editable"] is True
    until = parse(d["extensionUntil"])
    assert until is not None
    assert timedelta(days=3) - timedelta(minutes=5) < until - now() <= timedelta(days=3)
    assert "重新提交" in d["nextStep"]
    # And the school corrects and resubmits inside the extension
    version = (await form(api))["version"]
    saved = await save(api, ZZ_SCHOOL_2, version, [row("3.1", 3)])
    assert saved["errors"] == []
    resubmitted = await call(api, SUBMIT, "submitDeclaration", ZZ_SCHOOL_2, org=ZZ_SCHOOL_2,
                             version=version + 1)
    assert resubmitted["declaration"]["status"] == "SUBMITTED"
    # When the extension's time has passed, it has ended by itself
    await Extension.filter(organization__code=ZZ_SCHOOL_2).update(
        until=now() - timedelta(seconds=1))
    late = await form(api)
    assert late["extensionUntil"] is None and late["lock"]["code"] == "DEADLINE_PASSED"
    withdrawn = await call(api, """mutation($org: String!, $v: Int!) { withdrawDeclaration(
        organizationCode: $org, version: $v) { errors { code } } }""", "withdrawDeclaration",
        ZZ_SCHOOL_2, org=ZZ_SCHOOL_2, v=late["version"])
    assert codes(withdrawn) == ["DEADLINE_PASSED"]


async def test_a_return_inside_the_window_grants_nothing(api: Api) -> None:
    await open_window()
    await submitted_draft(api)

    returned = await call(api, RETURN, "returnDeclaration", ZHENGZHOU, org=ZZ_SCHOOL_2,
                          reason="请补充")

    assert returned["declaration"]["extensionUntil"] is None
    assert not await Extension.exists(organization__code=ZZ_SCHOOL_2)


async def test_the_province_reopens_a_confirmed_form_and_the_school_corrects_it(
        api: Api) -> None:
    # Given a confirmed declaration, inside the window
    await open_window()
    await submitted_draft(api)
    await confirm(api, ZZ_SCHOOL_2)
    assert "重新打开" in (await form(api))["nextStep"]

    # When the province reopens it with a reason
    no_reason = await call(api, REOPEN, "reopenDeclaration", PROVINCE, org=ZZ_SCHOOL_2,
                           reason=" ")
    reopened = await call(api, REOPEN, "reopenDeclaration", PROVINCE, org=ZZ_SCHOOL_2,
                          reason="承接数量与地市报送不符")

    # Then it is back with the school, editable, with the reason and no extension
    assert codes(no_reason) == ["REASON_REQUIRED"]
    d = reopened["declaration"]
    assert (d["status"], d["editable"], d["returnReason"], d["extensionUntil"]) == (
        "RETURNED", True, "承接数量与地市报送不符", None)
    # And the school corrects it and it goes up the chain again
    version = (await form(api))["version"]
    await save(api, ZZ_SCHOOL_2, version, [row("3.1", 5)])
    await call(api, SUBMIT, "submitDeclaration", ZZ_SCHOOL_2, org=ZZ_SCHOOL_2,
               version=version + 1)
    await confirm(api, ZZ_SCHOOL_2)
    history = (await form(api, PROVINCE))["history"]
    assert [(h["statusChange"], h["actor"]["username"]) for h in history
            if h["statusChange"]] == [
        ("SUBMIT", ZZ_SCHOOL_2), ("APPROVE", ZHENGZHOU), ("ACCEPT", PROVINCE),
        ("REOPEN", PROVINCE), ("SUBMIT", ZZ_SCHOOL_2), ("APPROVE", ZHENGZHOU),
        ("ACCEPT", PROVINCE)]
    assert [h["reason"] for h in history if h["statusChange"] == "REOPEN"] == [
        "承接数量与地市报送不符"]


async def test_a_reopening_after_the_deadline_comes_with_an_extension(api: Api) -> None:
    await open_window()
    await submitted_draft(api)
    await close_window()
    await confirm(api, ZZ_SCHOOL_2)

    reopened = await call(api, REOPEN, "reopenDeclaration", PROVINCE, org=ZZ_SCHOOL_2,
                          reason="请核减经费")

    d = reopened["declaration"]
    assert d["status"] == "RETURNED" and d["editable"] is True
    until = parse(d["extensionUntil"])
    assert until is not None and timedelta(days=6) < until - now() <= timedelta(days=7)


async def test_only_the_province_reopens_and_only_a_confirmed_form(api: Api) -> None:
    await open_window()
    await submitted_draft(api)

    by_city = await api.post(REOPEN, {"org": ZZ_SCHOOL_2, "reason": "x"},
                             await api.token(ZHENGZHOU))
    not_confirmed = await call(api, REOPEN, "reopenDeclaration", PROVINCE, org=ZZ_SCHOOL_2,
                               reason="x")
    await confirm(api, ZZ_SCHOOL_2)
    by_province = await call(api, REOPEN, "reopenDeclaration", PROVINCE, org=ZZ_SCHOOL_2,
                             reason="x")

    assert top_level_codes(by_city) == ["FORBIDDEN"]
    assert codes(not_confirmed) == ["INVALID_TRANSITION"]
    assert by_province["errors"] == []


async def test_a_change_request_before_the_deadline_says_to_ask_for_a_reopening(
        api: Api) -> None:
    await open_window()
    await submitted_draft(api)
    await confirm(api, ZZ_SCHOOL_2)
    ids = (await api.data(UNDERTAKINGS, {}, await api.token(ZZ_SCHOOL_2)))["declaration"][
        "undertakings"]

    early = (await api.data(CHANGE, {"id": ids[0]["id"]}, await api.token(ZZ_SCHOOL_2)))[
        "requestUndertakingChange"]

    assert codes(early) == ["NOT_AFTER_DEADLINE"]
    assert "重新打开" in early["errors"][0]["message"]


REOPEN_REPORT = """
mutation($org: String!, $year: Int!, $reason: String!) {
  reopenReport(organizationCode: $org, year: $year, reason: $reason) {
    report { status editable extensionUntil returnReason } errors { code } } }"""


async def test_the_province_reopens_a_confirmed_report_after_its_round_closed(
        api: Api) -> None:
    # Given 郑州's school's 2021 report, submitted, approved by the city and confirmed
    await open_window()
    await submitted_draft(api)
    await confirm(api, ZZ_SCHOOL_2)
    province, school = await api.token(PROVINCE), await api.token(ZZ_SCHOOL_2)
    await api.data(OPEN_ROUND, {"year": 2021, **_window()}, province)
    line = (await api.data(REPORT, {"year": 2021}, school))["performanceReport"]["lines"][0]
    await api.data(SAVE_REPORT, {"input": {"year": 2021, "version": 0, "entries": [{
        "undertakingId": line["undertaking"]["id"], "completedQuantity": 1, "spent": {},
        "progress": "ON_TRACK"}]}}, school)
    await api.data(TRANSITION, {"year": 2021, "v": 1}, school)
    await confirm_report(api, ZZ_SCHOOL_2, 2021)
    # and the round closed
    await ReportingRound.filter(year=2021).update(closes_at=now() - timedelta(seconds=1))

    # When the province reopens it
    by_city = await api.post(REOPEN_REPORT, {"org": ZZ_SCHOOL_2, "year": 2021, "reason": "x"},
                             await api.token(ZHENGZHOU))
    reopened = (await api.data(REOPEN_REPORT, {"org": ZZ_SCHOOL_2, "year": 2021,
                                               "reason": "完成数量有误"}, province))["reopenReport"]

    # Then it is back with the school, with an extension to correct it
    assert top_level_codes(by_city) == ["FORBIDDEN"]
    r = reopened["report"]
    assert (r["status"], r["editable"], r["returnReason"]) == ("RETURNED", True, "完成数量有误")
    assert r["extensionUntil"] is not None
