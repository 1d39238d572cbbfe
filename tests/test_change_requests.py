"""Change requests over HTTP with real logins: after the declaration deadline an accepted
undertaking changes (or is withdrawn) only through a request the province approves; the
approval applies it and the declaration's history keeps before and after."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from models import ChangeRequest, Undertaking
from tests.chain import confirm
from tests.conftest import (
    LUOYANG,
    LY_SCHOOL,
    PROVINCE,
    ZHENGZHOU,
    ZZ_SCHOOL,
    ZZ_SCHOOL_2,
    Api,
)
from tests.test_declarations import SUBMIT, row, save
from tests.test_evidence import iso, open_round

CR = """
fragment C on ChangeRequest {
  id kind proposedQuantity proposedFunding { schoolSelf enterprise total } reason status
  decidedAt decisionReason requestedBy { username } decidedBy { username }
  undertaking { id quantity funding { schoolSelf enterprise total } item { number } }
}"""

REQUEST = """
mutation($u: ID!, $kind: ChangeKind!, $reason: String!, $q: Int, $f: FundingInput) {
  requestUndertakingChange(undertakingId: $u, kind: $kind, reason: $reason, quantity: $q,
                           funding: $f) {
    changeRequest { ...C } errors { field code message } } }""" + CR

DECIDE = """
mutation($id: ID!, $approve: Boolean!, $reason: String) {
  decideChangeRequest(id: $id, approve: $approve, reason: $reason) {
    changeRequest { ...C } errors { field code message } } }""" + CR

LIST = """
query($status: RequestStatus) { changeRequests(status: $status) {
  id status kind undertaking { organization { code } item { number } } } }"""

NODE = """query($id: ID!) { node(id: $id) { id ... on ChangeRequest { status } } }"""

SET_WINDOW = """
mutation($opens: DateTime!, $closes: DateTime!) {
  setDeclarationWindow(opensAt: $opens, closesAt: $closes) {
    campaign { declarationOpen } errors { field code message } } }"""

DECLARATION = """
query($org: String) { declaration(organizationCode: $org) {
  status version
  undertakings { id quantity item { number } funding { schoolSelf enterprise total }
                 changeRequests { id status } }
  history { statusChange rowChange itemNumber actor { username }
            before { quantity schoolSelf enterprise } after { quantity schoolSelf enterprise } }
} }"""

SUMS = """query { undertakingSums { item { number } organizations quantity } }"""

REPORT_LINES = """
query($org: String) { performanceReport(year: 2021, organizationCode: $org) {
  lines { undertaking { item { number } } } } }"""

CHANGE = {"kind": "CHANGE", "reason": "学校新建两个工作室", "q": 3,
          "f": {"schoolSelf": "8", "enterprise": "2"}}


def codes(payload: dict[str, Any]) -> list[str]:
    return [e["code"] for e in payload["errors"]]


def fields(payload: dict[str, Any]) -> list[tuple[list[str], str]]:
    return [(e["field"], e["code"]) for e in payload["errors"]]


async def accepted(api: Api, school: str, rows: list[dict[str, Any]]) -> dict[str, str]:
    """A school's declaration saved, submitted and accepted: item number -> undertaking id."""
    token = await api.token(school)
    assert (await save(api, school, school, 0, rows))["errors"] == []
    assert (await api.data(SUBMIT, {"org": school, "v": 1}, token))["submitDeclaration"][
        "errors"] == []
    await confirm(api, school)
    declared = (await api.data(DECLARATION, {"org": school}, token))["declaration"]
    return {u["item"]["number"]: u["id"] for u in declared["undertakings"]}


async def close_declarations(api: Api) -> None:
    """The province moves the declaration window into the past: the deadline has passed."""
    now = datetime.now(UTC)
    moved = (await api.data(SET_WINDOW, {"opens": iso(now - timedelta(days=30)),
                                         "closes": iso(now - timedelta(hours=1))},
                            await api.token(PROVINCE)))["setDeclarationWindow"]
    assert moved["errors"] == [] and moved["campaign"]["declarationOpen"] is False


async def ask(api: Api, user: str, undertaking_id: str, **variables: Any) -> dict[str, Any]:
    result = await api.data(REQUEST, {"u": undertaking_id, **variables}, await api.token(user))
    return dict(result["requestUndertakingChange"])


async def decide(api: Api, request_id: str, approve: bool, reason: str | None = None,
                 user: str = PROVINCE) -> dict[str, Any]:
    result = await api.data(DECIDE, {"id": request_id, "approve": approve, "reason": reason},
                            await api.token(user))
    return dict(result["decideChangeRequest"])


async def declaration(api: Api, org: str, user: str | None = None) -> dict[str, Any]:
    data = await api.data(DECLARATION, {"org": org}, await api.token(user or org))
    return dict(data["declaration"])


async def test_before_the_deadline_the_form_itself_is_changed(api: Api) -> None:
    # Given an accepted undertaking, the window still open
    ids = await accepted(api, ZZ_SCHOOL_2, [row("3.2", 2, schoolSelf="5")])

    # When the school asks to change it
    early = await ask(api, ZZ_SCHOOL_2, ids["3.2"], **CHANGE)

    # Then it is told to wait for the deadline; once passed, the same request goes through
    assert codes(early) == ["NOT_AFTER_DEADLINE"] and early["changeRequest"] is None
    assert await ChangeRequest.all().count() == 0
    await close_declarations(api)
    late = await ask(api, ZZ_SCHOOL_2, ids["3.2"], **CHANGE)
    assert late["errors"] == [] and late["changeRequest"]["status"] == "PENDING"


async def test_a_school_asks_to_change_quantity_and_funding(api: Api) -> None:
    # Given an accepted undertaking after the deadline
    ids = await accepted(api, ZZ_SCHOOL_2, [row("3.2", 2, schoolSelf="5")])
    await close_declarations(api)

    # When the school sends bad values, then no reason, then a proper request, then another
    bad = await ask(api, ZZ_SCHOOL_2, ids["3.2"], kind="CHANGE", reason="调整", q=0,
                    f={"schoolSelf": "-1", "enterprise": "1.234"})
    no_reason = await ask(api, ZZ_SCHOOL_2, ids["3.2"], **{**CHANGE, "reason": "  "})
    first = await ask(api, ZZ_SCHOOL_2, ids["3.2"], **CHANGE)
    second = await ask(api, ZZ_SCHOOL_2, ids["3.2"], **{**CHANGE, "q": 4})
    withdraw_too = await ask(api, ZZ_SCHOOL_2, ids["3.2"], kind="WITHDRAW", reason="放弃")

    # Then the bad values are named by field, and only one request waits
    assert fields(bad) == [(["quantity"], "INVALID_QUANTITY"),
                           (["funding", "schoolSelf"], "INVALID_AMOUNT"),
                           (["funding", "enterprise"], "INVALID_AMOUNT")]
    assert all(e["message"] for e in bad["errors"]) and bad["changeRequest"] is None
    assert fields(no_reason) == [(["reason"], "REASON_REQUIRED")]
    request = first["changeRequest"]
    assert first["errors"] == []
    assert (request["kind"], request["status"], request["proposedQuantity"]) == (
        "CHANGE", "PENDING", 3)
    assert request["proposedFunding"] == {"schoolSelf": "8.00", "enterprise": "2.00",
                                          "total": "10.00"}
    assert request["requestedBy"] == {"username": ZZ_SCHOOL_2}
    assert request["decidedBy"] is None and request["decidedAt"] is None
    assert request["undertaking"]["quantity"] == 2  # nothing applied yet
    assert fields(second) == [(["undertakingId"], "REQUEST_PENDING")]
    assert codes(withdraw_too) == ["REQUEST_PENDING"]
    shown = (await declaration(api, ZZ_SCHOOL_2))["undertakings"][0]
    assert shown["quantity"] == 2
    assert shown["changeRequests"] == [{"id": request["id"], "status": "PENDING"}]


async def test_requests_sent_at_once_leave_one_pending(api: Api) -> None:
    # Given an accepted undertaking after the deadline
    ids = await accepted(api, ZZ_SCHOOL_2, [row("3.2", 2)])
    await close_declarations(api)
    await api.token(ZZ_SCHOOL_2)

    # When the school sends three requests at once (a double click, two tabs ...)
    results = await asyncio.gather(
        ask(api, ZZ_SCHOOL_2, ids["3.2"], **CHANGE),
        ask(api, ZZ_SCHOOL_2, ids["3.2"], **{**CHANGE, "q": 5}),
        ask(api, ZZ_SCHOOL_2, ids["3.2"], kind="WITHDRAW", reason="放弃"))

    # Then one waits for the province and the others are told so
    assert sorted(codes(r)[0] if r["errors"] else "" for r in results) == [
        "", "REQUEST_PENDING", "REQUEST_PENDING"]
    assert await ChangeRequest.filter(status="pending").count() == 1


async def test_nobody_asks_for_someone_elses_undertaking(api: Api) -> None:
    # Given a Zhengzhou school's accepted undertaking after the deadline
    ids = await accepted(api, ZZ_SCHOOL_2, [row("3.2", 2)])
    await close_declarations(api)

    # When another school, the school's city and the province ask to change it
    other = await ask(api, LY_SCHOOL, ids["3.2"], **CHANGE)
    city = await ask(api, ZHENGZHOU, ids["3.2"], **CHANGE)
    province = await ask(api, PROVINCE, ids["3.2"], **CHANGE)
    own = await ask(api, ZZ_SCHOOL_2, ids["3.2"], **CHANGE)

    # Then another school does not even see it, the others may not, the owner may
    assert fields(other) == [(["undertakingId"], "NOT_FOUND")]
    assert codes(city) == ["FORBIDDEN"] and codes(province) == ["FORBIDDEN"]
    assert own["errors"] == []
    assert await ChangeRequest.all().count() == 1


async def test_only_the_province_decides(api: Api) -> None:
    ids = await accepted(api, ZZ_SCHOOL_2, [row("3.2", 2)])
    await close_declarations(api)
    request = (await ask(api, ZZ_SCHOOL_2, ids["3.2"], **CHANGE))["changeRequest"]

    by_city = await api.post(DECIDE, {"id": request["id"], "approve": True},
                             await api.token(ZHENGZHOU))
    by_school = await api.post(DECIDE, {"id": request["id"], "approve": True},
                               await api.token(ZZ_SCHOOL_2))
    by_province = await decide(api, request["id"], True)

    assert by_city["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert by_school["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert by_city["data"] is None and by_school["data"] is None
    assert by_province["errors"] == []
    assert by_province["changeRequest"]["decidedBy"] == {"username": PROVINCE}


async def test_a_rejection_needs_a_reason_and_changes_nothing(api: Api) -> None:
    # Given a pending change request
    ids = await accepted(api, ZZ_SCHOOL_2, [row("3.2", 2, schoolSelf="5")])
    await close_declarations(api)
    request = (await ask(api, ZZ_SCHOOL_2, ids["3.2"], **CHANGE))["changeRequest"]
    history_before = (await declaration(api, ZZ_SCHOOL_2))["history"]

    # When the province rejects it without a reason, then with one
    bare = await decide(api, request["id"], False)
    blank = await decide(api, request["id"], False, "   ")
    rejected = await decide(api, request["id"], False, "数量调整依据不足")

    # Then
    assert fields(bare) == [(["reason"], "REASON_REQUIRED")]
    assert codes(blank) == ["REASON_REQUIRED"]
    decided = rejected["changeRequest"]
    assert rejected["errors"] == []
    assert (decided["status"], decided["decisionReason"]) == ("REJECTED", "数量调整依据不足")
    assert decided["decidedBy"] == {"username": PROVINCE} and decided["decidedAt"]
    assert decided["undertaking"]["quantity"] == 2
    after = await declaration(api, ZZ_SCHOOL_2)
    assert after["undertakings"][0]["quantity"] == 2
    assert after["undertakings"][0]["funding"]["schoolSelf"] == "5.00"
    assert after["history"] == history_before
    # ... it cannot be decided again, and the school may ask anew
    assert fields(await decide(api, request["id"], True)) == [(["id"], "REQUEST_DECIDED")]
    assert (await ask(api, ZZ_SCHOOL_2, ids["3.2"], **CHANGE))["errors"] == []


async def test_an_approved_change_applies_and_the_history_tells_it(api: Api) -> None:
    # Given a pending change request from 2 to 3, funding 5+0 to 8+2
    ids = await accepted(api, ZZ_SCHOOL_2, [row("3.2", 2, schoolSelf="5")])
    await close_declarations(api)
    request = (await ask(api, ZZ_SCHOOL_2, ids["3.2"], **CHANGE))["changeRequest"]

    # When the province approves it
    approved = await decide(api, request["id"], True)

    # Then the undertaking carries the new figures everywhere
    assert approved["errors"] == []
    assert approved["changeRequest"]["status"] == "APPROVED"
    assert approved["changeRequest"]["undertaking"]["quantity"] == 3
    shown = await declaration(api, ZZ_SCHOOL_2, ZHENGZHOU)
    assert shown["status"] == "ACCEPTED"
    assert [(u["quantity"], u["funding"]) for u in shown["undertakings"]] == [
        (3, {"schoolSelf": "8.00", "enterprise": "2.00", "total": "10.00"})]
    stored = await Undertaking.get(organization__code=ZZ_SCHOOL_2)
    assert (stored.quantity, stored.school_self, stored.enterprise) == (3, 8, 2)
    sums = (await api.data(SUMS, None, await api.token(PROVINCE)))["undertakingSums"]
    assert [(s["organizations"], s["quantity"]) for s in sums
            if s["item"]["number"] == "3.2"] == [(1, 3)]
    # ... and the declaration's history shows the update by the province, before and after
    last = shown["history"][-1]
    assert (last["rowChange"], last["itemNumber"], last["actor"]["username"]) == (
        "UPDATE", "3.2", PROVINCE)
    assert last["before"] == {"quantity": 2, "schoolSelf": "5.00", "enterprise": "0.00"}
    assert last["after"] == {"quantity": 3, "schoolSelf": "8.00", "enterprise": "2.00"}
    # ... and deciding again is refused, either way, changing nothing
    assert codes(await decide(api, request["id"], True)) == ["REQUEST_DECIDED"]
    assert codes(await decide(api, request["id"], False, "撤销")) == ["REQUEST_DECIDED"]
    again = await declaration(api, ZZ_SCHOOL_2)
    assert [h["rowChange"] for h in again["history"]].count("UPDATE") == 1


async def test_an_approved_withdrawal_removes_the_undertaking_but_not_its_history(
        api: Api) -> None:
    # Given two accepted undertakings, the 2021 round open, the deadline passed
    ids = await accepted(api, ZZ_SCHOOL_2, [row("3.2", 2, schoolSelf="5"), row("3.3", 1)])
    await open_round(api)
    await close_declarations(api)
    lines_before = (await api.data(REPORT_LINES, {"org": ZZ_SCHOOL_2},
                                   await api.token(ZZ_SCHOOL_2)))["performanceReport"]["lines"]
    assert [x["undertaking"]["item"]["number"] for x in lines_before] == ["3.2", "3.3"]

    # When the school asks to withdraw 3.2 and the province approves
    request = (await ask(api, ZZ_SCHOOL_2, ids["3.2"], kind="WITHDRAW",
                         reason="场地未落实，申请放弃"))["changeRequest"]
    approved = await decide(api, request["id"], True)

    # Then the request still shows what it was about
    assert approved["errors"] == []
    assert (request["kind"], request["proposedQuantity"], request["proposedFunding"]) == (
        "WITHDRAW", None, None)
    assert approved["changeRequest"]["status"] == "APPROVED"
    assert approved["changeRequest"]["undertaking"]["item"]["number"] == "3.2"
    # ... the undertaking is gone from the form, the sums and the report
    shown = await declaration(api, ZZ_SCHOOL_2)
    assert [u["item"]["number"] for u in shown["undertakings"]] == ["3.3"]
    sums = (await api.data(SUMS, None, await api.token(PROVINCE)))["undertakingSums"]
    assert [s for s in sums if s["item"]["number"] == "3.2" and s["organizations"]] == []
    assert [(s["organizations"], s["quantity"]) for s in sums
            if s["item"]["number"] == "3.3"] == [(1, 1)]
    lines = (await api.data(REPORT_LINES, {"org": ZZ_SCHOOL_2},
                            await api.token(ZZ_SCHOOL_2)))["performanceReport"]["lines"]
    assert [x["undertaking"]["item"]["number"] for x in lines] == ["3.3"]
    # ... while the history keeps it, deleted by the province
    last = shown["history"][-1]
    assert (last["rowChange"], last["itemNumber"], last["actor"]["username"]) == (
        "DELETE", "3.2", PROVINCE)
    assert last["before"] == {"quantity": 2, "schoolSelf": "5.00", "enterprise": "0.00"}
    assert last["after"] is None
    # ... and a withdrawn undertaking takes no more requests
    assert codes(await ask(api, ZZ_SCHOOL_2, ids["3.2"], **CHANGE)) == ["NOT_FOUND"]


async def test_change_requests_are_seen_within_ones_scope(api: Api) -> None:
    # Given a request of a Zhengzhou school (approved) and of a Luoyang school (pending)
    zz = await accepted(api, ZZ_SCHOOL_2, [row("3.2", 2)])
    ly = await accepted(api, LY_SCHOOL, [row("3.2", 1)])
    await close_declarations(api)
    zz_request = (await ask(api, ZZ_SCHOOL_2, zz["3.2"], **CHANGE))["changeRequest"]
    ly_request = (await ask(api, LY_SCHOOL, ly["3.2"], kind="WITHDRAW", reason="放弃"))[
        "changeRequest"]
    await decide(api, zz_request["id"], True)

    # When each lists the change requests
    async def listed(user: str, status: str | None = None) -> list[tuple[str, str]]:
        rows = (await api.data(LIST, {"status": status}, await api.token(user)))[
            "changeRequests"]
        return [(r["id"], r["undertaking"]["organization"]["code"]) for r in rows]

    # Then a school sees its own, a city its schools', the province all, newest first
    assert await listed(ZZ_SCHOOL_2) == [(zz_request["id"], ZZ_SCHOOL_2)]
    assert await listed(LY_SCHOOL) == [(ly_request["id"], LY_SCHOOL)]
    assert await listed(ZHENGZHOU) == [(zz_request["id"], ZZ_SCHOOL_2)]
    assert await listed(LUOYANG) == [(ly_request["id"], LY_SCHOOL)]
    assert await listed(ZZ_SCHOOL) == []  # another Zhengzhou school
    assert await listed(PROVINCE) == [(ly_request["id"], LY_SCHOOL),
                                      (zz_request["id"], ZZ_SCHOOL_2)]
    assert await listed(PROVINCE, "PENDING") == [(ly_request["id"], LY_SCHOOL)]
    assert await listed(PROVINCE, "APPROVED") == [(zz_request["id"], ZZ_SCHOOL_2)]
    assert await listed(LUOYANG, "APPROVED") == []
    # ... and a request outside one's scope is no node either
    neighbour = await api.data(NODE, {"id": zz_request["id"]}, await api.token(LUOYANG))
    own_city = await api.data(NODE, {"id": zz_request["id"]}, await api.token(ZHENGZHOU))
    assert neighbour["node"] is None
    assert own_city["node"] == {"id": zz_request["id"], "status": "APPROVED"}
    # ... nor may the province decide one that does not exist
    missing = await decide(api, "Q2hhbmdlUmVxdWVzdDo5OTk5OTk=", True)  # ChangeRequest:999999
    assert fields(missing) == [(["id"], "NOT_FOUND")]
