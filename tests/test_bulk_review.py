"""Bulk review through the API: a city approves ten forms in one call, the province confirms
them; each form answers its own result and lands in its own history."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from models import (
    Campaign,
    Declaration,
    DeclarationEvent,
    Organization,
    TaskEntry,
    Undertaking,
    User,
)
from models.declaration import DeclarationStatus
from models.enums import OrgKind, SchoolType
from tests.conftest import LY_SCHOOL, PROVINCE, ZHENGZHOU, ZZ_SCHOOL, Api
from tests.test_declarations import row, save

BULK = """
mutation($action: ReviewAction!, $codes: [String!]!, $reason: String) {
  reviewDeclarations(action: $action, organizationCodes: $codes, reason: $reason) {
    declarations { organizationCode declaration { status } errors { code message } }
    errors { code message }
  }
}"""

BULK_REPORTS = """
mutation($codes: [String!]!) {
  reviewReports(action: APPROVE, year: 2021, organizationCodes: $codes) {
    reports { organizationCode report { status } errors { code } } errors { code } }
}"""


async def _submitted_schools(count: int) -> list[str]:
    """`count` schools under 郑州, each with a submitted declaration of one row (set up in the
    database: the submission itself is tested elsewhere)."""
    city = await Organization.get(code=ZHENGZHOU)
    item = await TaskEntry.get(number="3.2")
    campaign = await Campaign.get()
    clerk = await User.get(username=ZZ_SCHOOL)
    codes = []
    for n in range(count):
        school = await Organization.create(
            code=f"419800{n:04d}", name=f"批量学校{n}", kind=OrgKind.SCHOOL, parent=city,
            school_type=SchoolType.SECONDARY)
        await Undertaking.create(organization=school, item=item, quantity=1,
                                 school_self=Decimal("2.50"))
        declaration = await Declaration.create(organization=school, campaign=campaign,
                                               status=DeclarationStatus.SUBMITTED, version=2)
        await DeclarationEvent.create(declaration=declaration, action="submit",
                                      from_status="draft", to_status="submitted",
                                      actor=clerk)
        codes.append(school.code)
    return codes


def _results(body: dict[str, Any]) -> dict[str, tuple[str | None, list[str]]]:
    return {r["organizationCode"]: (r["declaration"]["status"] if r["declaration"] else None,
                                    [e["code"] for e in r["errors"]])
            for r in body["reviewDeclarations"]["declarations"]}


async def test_a_city_approves_ten_forms_in_one_call_and_the_province_confirms_them(
        api: Api) -> None:
    # Given ten submitted forms of 郑州, a draft of 郑州 and a form of 洛阳
    ten = await _submitted_schools(10)
    await save(api, ZZ_SCHOOL, ZZ_SCHOOL, 0, [row("3.2")])
    await save(api, LY_SCHOOL, LY_SCHOOL, 0, [row("3.2")])
    city, province = await api.token(ZHENGZHOU), await api.token(PROVINCE)

    # When 郑州 approves all twelve in one call, without versions
    approved = await api.data(BULK, {"action": "APPROVE", "codes": [*ten, ZZ_SCHOOL, LY_SCHOOL],
                                     "reason": "材料齐全"}, city)

    # Then each answers its own result: ten approved, the draft and the neighbour refused
    results = _results(approved)
    assert all(results[c] == ("CITY_APPROVED", []) for c in ten)
    assert results[ZZ_SCHOOL] == (None, ["INVALID_TRANSITION"])
    assert results[LY_SCHOOL] == (None, ["NOT_FOUND"])
    # And every approval is in its form's history, by 郑州, with the remark
    events = await DeclarationEvent.filter(action="approve").select_related(
        "actor", "declaration__organization")
    assert sorted(e.declaration.organization.code for e in events) == sorted(ten)
    assert {(e.actor.username, e.reason) for e in events} == {(ZHENGZHOU, "材料齐全")}

    # When the province confirms them in one call
    confirmed = _results(await api.data(BULK, {"action": "ACCEPT", "codes": ten}, province))
    assert all(confirmed[c] == ("ACCEPTED", []) for c in ten)


async def test_each_action_keeps_its_own_rule_in_bulk(api: Api) -> None:
    two = await _submitted_schools(2)
    city, province = await api.token(ZHENGZHOU), await api.token(PROVINCE)

    city_accepts = _results(await api.data(BULK, {"action": "ACCEPT", "codes": two}, city))
    province_approves = _results(await api.data(BULK, {"action": "APPROVE", "codes": two},
                                                province))
    no_reason = _results(await api.data(BULK, {"action": "RETURN", "codes": two}, city))
    returned = _results(await api.data(BULK, {"action": "RETURN", "codes": two,
                                              "reason": "请补充"}, city))
    by_school = await api.post(BULK, {"action": "APPROVE", "codes": two},
                               await api.token(ZZ_SCHOOL))
    too_many = await api.data(BULK, {"action": "APPROVE", "codes": ["x"] * 201}, city)

    assert list(city_accepts.values()) == [(None, ["FORBIDDEN"])] * 2
    assert list(province_approves.values()) == [(None, ["FORBIDDEN"])] * 2
    assert list(no_reason.values()) == [(None, ["REASON_REQUIRED"])] * 2
    assert list(returned.values()) == [("RETURNED", [])] * 2
    assert by_school["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert [e["code"] for e in too_many["reviewDeclarations"]["errors"]] == ["INVALID_VALUE"]


async def test_reports_are_reviewed_in_bulk_too(api: Api) -> None:
    body = await api.data(BULK_REPORTS, {"codes": [ZZ_SCHOOL, LY_SCHOOL]},
                          await api.token(ZHENGZHOU))

    results = {r["organizationCode"]: [e["code"] for e in r["errors"]]
               for r in body["reviewReports"]["reports"]}
    assert results == {ZZ_SCHOOL: ["INVALID_TRANSITION"], LY_SCHOOL: ["NOT_FOUND"]}
