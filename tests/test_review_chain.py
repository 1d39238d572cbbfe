"""Two review levels through the API: the school submits, its city bureau approves (审核通过)
or returns (退回修改), the province confirms (已确认); schools directly under the province skip
the city step, and so does everyone when the campaign turns it off."""

from __future__ import annotations

from typing import Any

from tests.chain import APPROVE, APPROVE_REPORT, CONFIRM
from tests.conftest import LUOYANG, PROVINCE, ZHENGZHOU, ZZ_SCHOOL_2, Api
from tests.test_declarations import SUBMIT, codes, row, save

PROVINCIAL_SCHOOL = "4199100002"  # 省属 secondary school, directly under the province

HISTORY = """
query($org: String) { declaration(organizationCode: $org) {
  status version cityApprovedAt acceptedAt editable lock { code message }
  history { statusChange fromStatus toStatus reason actor { username } }
} }"""

RETURN = """
mutation($org: String!, $reason: String!) {
  returnDeclaration(organizationCode: $org, reason: $reason) {
    declaration { status returnReason editable } errors { field code message } }
}"""

WITHDRAW = """
mutation($org: String!, $v: Int!) {
  withdrawDeclaration(organizationCode: $org, version: $v) {
    declaration { status } errors { field code message } }
}"""

SETTINGS = """
mutation($city: Boolean, $days: Int) {
  setReviewSettings(cityReview: $city, lateReturnDays: $days) {
    campaign { cityReview lateReturnDays } errors { field code message } }
}"""

PROGRESS = """
query { declarationProgress { counts { submitted cityApproved accepted }
  schools(status: CITY_APPROVED) { edges { node { school { code } status } } } } }"""


async def submitted(api: Api, school: str) -> None:
    assert (await save(api, school, school, 0, [row("3.2", 2, schoolSelf="4")]))["errors"] == []
    done = (await api.data(SUBMIT, {"org": school, "v": 1}, await api.token(school)))[
        "submitDeclaration"]
    assert done["errors"] == [], done


async def approve(api: Api, who: str, school: str, **extra: Any) -> dict[str, Any]:
    body = await api.data(APPROVE, {"org": school, **extra}, await api.token(who))
    result: dict[str, Any] = body["approveDeclaration"]
    return result


async def confirm(api: Api, school: str, **extra: Any) -> dict[str, Any]:
    body = await api.data(CONFIRM, {"org": school, **extra}, await api.token(PROVINCE))
    result: dict[str, Any] = body["acceptDeclaration"]
    return result


async def test_school_city_province_each_in_turn_and_the_history_tells_it(api: Api) -> None:
    # Given a school under 郑州 that has submitted
    await submitted(api, ZZ_SCHOOL_2)

    # When the province tries to confirm first: refused, the city comes first
    early = await confirm(api, ZZ_SCHOOL_2)
    assert codes(early) == ["CITY_REVIEW_PENDING"]

    # When 郑州 approves, with a remark and without reading the version first
    approved = await approve(api, ZHENGZHOU, ZZ_SCHOOL_2, remark="  材料齐全  ")
    assert approved["errors"] == [] and approved["declaration"]["status"] == "CITY_APPROVED"
    assert approved["declaration"]["cityApprovedAt"] is not None
    shown = (await api.data(HISTORY, {"org": ZZ_SCHOOL_2}, await api.token(ZZ_SCHOOL_2)))[
        "declaration"]
    # Then the school can neither edit nor take it back, and is told why
    assert shown["editable"] is False
    assert shown["lock"]["code"] == "DECLARATION_CITY_APPROVED"
    assert "省教育厅确认" in shown["lock"]["message"]
    assert codes(await save(api, ZZ_SCHOOL_2, ZZ_SCHOOL_2, 3, [row("3.3")])) == [
        "DECLARATION_CITY_APPROVED"]
    withdrawn = (await api.data(WITHDRAW, {"org": ZZ_SCHOOL_2, "v": 3},
                                await api.token(ZZ_SCHOOL_2)))["withdrawDeclaration"]
    assert codes(withdrawn) == ["INVALID_TRANSITION"]
    assert "地市审核通过" in withdrawn["errors"][0]["message"]
    # And approving twice is refused
    assert codes(await approve(api, ZHENGZHOU, ZZ_SCHOOL_2)) == ["INVALID_TRANSITION"]

    # When the province confirms it
    confirmed = await confirm(api, ZZ_SCHOOL_2)
    assert confirmed["errors"] == [] and confirmed["declaration"]["status"] == "ACCEPTED"

    # Then the history holds every step, with who and the remark
    history = (await api.data(HISTORY, {"org": ZZ_SCHOOL_2}, await api.token(ZHENGZHOU)))[
        "declaration"]["history"]
    assert [(h["statusChange"], h["fromStatus"], h["toStatus"], h["actor"]["username"])
            for h in history if h["statusChange"]] == [
        ("SUBMIT", "DRAFT", "SUBMITTED", ZZ_SCHOOL_2),
        ("APPROVE", "SUBMITTED", "CITY_APPROVED", ZHENGZHOU),
        ("ACCEPT", "CITY_APPROVED", "ACCEPTED", PROVINCE)]
    assert [h["reason"] for h in history if h["statusChange"] == "APPROVE"] == ["材料齐全"]


async def test_only_the_schools_own_city_bureau_approves(api: Api) -> None:
    await submitted(api, ZZ_SCHOOL_2)

    by_school = await api.post(APPROVE, {"org": ZZ_SCHOOL_2}, await api.token(ZZ_SCHOOL_2))
    by_province = await api.post(APPROVE, {"org": ZZ_SCHOOL_2}, await api.token(PROVINCE))
    by_neighbour = await approve(api, LUOYANG, ZZ_SCHOOL_2)
    by_own_city = await approve(api, ZHENGZHOU, ZZ_SCHOOL_2)

    assert by_school["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert by_province["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert codes(by_neighbour) == ["NOT_FOUND"]
    assert by_own_city["errors"] == [] and by_own_city["declaration"]["status"] == "CITY_APPROVED"


async def test_a_stale_version_on_approval_conflicts(api: Api) -> None:
    await submitted(api, ZZ_SCHOOL_2)

    stale = await approve(api, ZHENGZHOU, ZZ_SCHOOL_2, v=1)
    fresh = await approve(api, ZHENGZHOU, ZZ_SCHOOL_2, v=2)

    assert codes(stale) == ["CONFLICT"]
    assert fresh["errors"] == [] and fresh["declaration"]["version"] == 3


async def test_the_city_returns_what_it_approved_and_the_school_corrects_it(api: Api) -> None:
    await submitted(api, ZZ_SCHOOL_2)
    await approve(api, ZHENGZHOU, ZZ_SCHOOL_2)

    returned = (await api.data(RETURN, {"org": ZZ_SCHOOL_2, "reason": "经费测算偏高"},
                               await api.token(ZHENGZHOU)))["returnDeclaration"]

    assert returned["errors"] == []
    assert returned["declaration"]["status"] == "RETURNED"
    assert returned["declaration"]["editable"] is True
    assert returned["declaration"]["returnReason"] == "经费测算偏高"


async def test_a_school_directly_under_the_province_skips_the_city_step(api: Api) -> None:
    await submitted(api, PROVINCIAL_SCHOOL)

    no_city = await approve(api, ZHENGZHOU, PROVINCIAL_SCHOOL)
    confirmed = await confirm(api, PROVINCIAL_SCHOOL)

    assert codes(no_city) == ["NOT_FOUND"]  # no city bureau manages it
    assert confirmed["errors"] == [] and confirmed["declaration"]["status"] == "ACCEPTED"


async def test_with_the_city_step_off_the_province_confirms_directly(api: Api) -> None:
    # A city may not change the setting; the province may
    denied = await api.post(SETTINGS, {"city": False}, await api.token(ZHENGZHOU))
    assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    bad = (await api.data(SETTINGS, {"days": 0}, await api.token(PROVINCE)))["setReviewSettings"]
    assert codes(bad) == ["INVALID_VALUE"]
    off = (await api.data(SETTINGS, {"city": False}, await api.token(PROVINCE)))[
        "setReviewSettings"]
    assert off["campaign"] == {"cityReview": False, "lateReturnDays": 7}
    await submitted(api, ZZ_SCHOOL_2)

    city = await approve(api, ZHENGZHOU, ZZ_SCHOOL_2)
    confirmed = await confirm(api, ZZ_SCHOOL_2)

    assert codes(city) == ["CITY_REVIEW_NOT_APPLICABLE"]
    assert confirmed["declaration"]["status"] == "ACCEPTED"


async def test_progress_counts_the_city_approved(api: Api) -> None:
    await submitted(api, ZZ_SCHOOL_2)
    await approve(api, ZHENGZHOU, ZZ_SCHOOL_2)

    for who in (PROVINCE, ZHENGZHOU):
        progress = (await api.data(PROGRESS, {}, await api.token(who)))["declarationProgress"]
        assert progress["counts"] == {"submitted": 0, "cityApproved": 1, "accepted": 0}
        assert [e["node"] for e in progress["schools"]["edges"]] == [
            {"school": {"code": ZZ_SCHOOL_2}, "status": "CITY_APPROVED"}]


async def test_only_a_schools_own_city_approves_its_report(api: Api) -> None:
    # Approving a report is for city bureaus, of their own schools
    denied = await api.post(APPROVE_REPORT, {"org": ZZ_SCHOOL_2, "year": 2021},
                            await api.token(PROVINCE))
    neighbour = (await api.data(APPROVE_REPORT, {"org": ZZ_SCHOOL_2, "year": 2021},
                                await api.token(LUOYANG)))["approveReport"]

    assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert codes(neighbour) == ["NOT_FOUND"]
