"""The 2024 certification (遴选认定) over HTTP with real logins: the province records a result
with remarks per undertaking; schools see theirs; the sums compare certified undertakings
and quantity with the national target, within the caller's scope."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from models import Campaign, Certification, Organization
from models.declaration import Declaration, DeclarationStatus
from models.seeding import CAMPAIGN_CODE
from tests.conftest import (
    LUOYANG,
    LY_SCHOOL,
    PROVINCE,
    ZHENGZHOU,
    ZZ_SCHOOL,
    ZZ_SCHOOL_2,
    Api,
    StatementCounter,
)
from tests.test_change_requests import accepted
from tests.test_declarations import row, save

ZZ_SCHOOL_3 = "4199200003"  # secondary, 郑州
LY_SCHOOL_2 = "4199200006"  # secondary, 洛阳

CERTIFY = """
mutation($u: ID!, $result: CertificationResult!, $remarks: String! = "") {
  certifyUndertaking(undertakingId: $u, result: $result, remarks: $remarks) {
    certification { result remarks decidedAt } errors { field code message } } }"""

SUMS = """
query($city: String) { certificationSums(cityCode: $city) {
  item { number targetQuantity } certified certifiedQuantity notCertified pending
  certifiedTargetPercent } }"""

NAMED_SUMS = """
query($campaign: String) { certificationSums(campaignCode: $campaign) {
  item { number } certified pending } }"""

DECLARED = """
query($org: String) { declaration(organizationCode: $org) {
  undertakings { id item { number } quantity certification { result remarks decidedAt } } } }"""


OPEN_ROUND = """
mutation($opens: DateTime!, $closes: DateTime!) {
  openCertificationRound(opensAt: $opens, closesAt: $closes) {
    round { id year open } errors { field code message } } }"""


async def open_certification(api: Api, *, opens: timedelta = timedelta(days=-1),
                             closes: timedelta = timedelta(days=30)) -> dict[str, Any]:
    """The province opens the 2024 round, by default from yesterday for a month."""
    now = datetime.now(UTC)
    result = (await api.data(OPEN_ROUND, {"opens": (now + opens).isoformat(),
                                          "closes": (now + closes).isoformat()},
                             await api.token(PROVINCE)))["openCertificationRound"]
    assert result["errors"] == [], result
    return dict(result["round"])


@pytest.fixture(autouse=True)
async def round_open(api: Api) -> None:
    await open_certification(api)


def codes(payload: dict[str, Any]) -> list[str]:
    return [e["code"] for e in payload["errors"]]


async def certify(api: Api, undertaking_id: str, result: str, remarks: str = "",
                  user: str = PROVINCE) -> dict[str, Any]:
    return await api.post(CERTIFY, {"u": undertaking_id, "result": result, "remarks": remarks},
                          await api.token(user))


async def certified(api: Api, undertaking_id: str, result: str, remarks: str = ""
                    ) -> dict[str, Any]:
    body = await certify(api, undertaking_id, result, remarks)
    assert "errors" not in body, body
    payload: dict[str, Any] = body["data"]["certifyUndertaking"]
    assert payload["errors"] == [], payload
    return payload


async def sums(api: Api, user: str, city: str | None = None) -> dict[str, tuple[Any, ...]]:
    rows = (await api.data(SUMS, {"city": city}, await api.token(user)))["certificationSums"]
    return {r["item"]["number"]: (r["certified"], r["certifiedQuantity"], r["notCertified"],
                                  r["pending"], r["certifiedTargetPercent"]) for r in rows}


async def shown(api: Api, org: str, user: str | None = None) -> dict[str, Any]:
    data = await api.data(DECLARED, {"org": org}, await api.token(user or org))
    return {u["item"]["number"]: u["certification"] for u in data["declaration"]["undertakings"]}


async def test_only_the_province_certifies(api: Api) -> None:
    # Given a Zhengzhou school's accepted undertaking, not certified yet
    ids = await accepted(api, ZZ_SCHOOL_2, [row("3.2", 2)])
    assert (await shown(api, ZZ_SCHOOL_2))["3.2"] is None

    # When the school itself, its city, then the province certify it
    by_school = await certify(api, ids["3.2"], "CERTIFIED", "自评合格", user=ZZ_SCHOOL_2)
    by_city = await certify(api, ids["3.2"], "CERTIFIED", "推荐", user=ZHENGZHOU)
    by_province = await certified(api, ids["3.2"], "CERTIFIED", "  验收材料齐全，予以认定 ")

    # Then only the province's counts; the school and its city see it on the declaration
    assert by_school["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert by_city["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert by_school["data"] is None and by_city["data"] is None
    assert by_province["certification"]["result"] == "CERTIFIED"
    assert by_province["certification"]["remarks"] == "验收材料齐全，予以认定"
    for user in (ZZ_SCHOOL_2, ZHENGZHOU, PROVINCE):
        seen = (await shown(api, ZZ_SCHOOL_2, user))["3.2"]
        assert (seen["result"], seen["remarks"]) == ("CERTIFIED", "验收材料齐全，予以认定")
        assert seen["decidedAt"].endswith("+08:00")
    assert await Certification.all().count() == 1


async def test_certify_refuses_what_it_cannot_find_or_store(api: Api) -> None:
    ids = await accepted(api, ZZ_SCHOOL_2, [row("3.2", 2)])

    unknown = (await certify(api, "VW5kZXJ0YWtpbmc6OTk5OTk5", "CERTIFIED"))["data"][
        "certifyUndertaking"]  # Undertaking:999999
    not_an_undertaking = (await certify(api, "Q2hhbmdlUmVxdWVzdDox", "CERTIFIED"))["data"][
        "certifyUndertaking"]  # ChangeRequest:1
    too_long = (await certify(api, ids["3.2"], "CERTIFIED", "长" * 2001))["data"][
        "certifyUndertaking"]

    assert [(e["field"], e["code"]) for e in unknown["errors"]] == [
        (["undertakingId"], "NOT_FOUND")]
    assert codes(not_an_undertaking) == ["NOT_FOUND"]
    assert [(e["field"], e["code"]) for e in too_long["errors"]] == [
        (["remarks"], "INVALID_VALUE")]
    assert too_long["certification"] is None
    assert await Certification.all().count() == 0


async def test_sums_compare_certified_quantity_with_the_national_target(api: Api) -> None:
    # Given 3.2 (target 100) undertaken by four schools in two cities:
    # Zhengzhou 2 (certified) and 4 (not certified), Luoyang 3 (certified) and 1 (undecided);
    # 3.3 by a Luoyang school, decided PENDING; 16 (no national target) by a Zhengzhou school
    zz = await accepted(api, ZZ_SCHOOL_2, [row("3.2", 2), row("16", 1)])
    zz3 = await accepted(api, ZZ_SCHOOL_3, [row("3.2", 4)])
    ly = await accepted(api, LY_SCHOOL, [row("3.2", 3), row("3.3", 7)])
    await accepted(api, LY_SCHOOL_2, [row("3.2", 1)])
    await certified(api, zz["3.2"], "CERTIFIED")
    await certified(api, ly["3.2"], "CERTIFIED")
    await certified(api, zz3["3.2"], "NOT_CERTIFIED", "未达建设要求")
    await certified(api, ly["3.3"], "PENDING", "待补充材料")
    await certified(api, zz["16"], "CERTIFIED")  # an item without a national target

    # When the province, each city, and the province narrowed to a city ask for the sums
    province = await sums(api, PROVINCE)
    zhengzhou = await sums(api, ZHENGZHOU)
    luoyang = await sums(api, LUOYANG)
    province_luoyang = await sums(api, PROVINCE, LUOYANG)

    # Then certified counts and quantity are set against the target of 100
    assert province == {"3.2": (2, 5, 1, 1, "5.00"), "3.3": (0, 0, 0, 1, "0.00"),
                        "16": (1, 1, 0, 0, None)}
    assert list(province) == ["3.2", "3.3", "16"]  # in catalog order
    # ... and a city sees only its own schools
    assert zhengzhou == {"3.2": (1, 2, 1, 0, "2.00"), "16": (1, 1, 0, 0, None)}
    assert luoyang == {"3.2": (1, 3, 0, 1, "3.00"), "3.3": (0, 0, 0, 1, "0.00")}
    assert province_luoyang == luoyang
    neighbour = await api.post(SUMS, {"city": LUOYANG}, await api.token(ZHENGZHOU))
    assert neighbour["data"]["certificationSums"] is None
    assert [e["extensions"]["code"] for e in neighbour["errors"]] == ["NOT_FOUND"]
    by_school = await api.post(SUMS, {"city": None}, await api.token(ZZ_SCHOOL))
    assert by_school["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_certifying_again_updates_the_one_record(api: Api) -> None:
    # Given a certified undertaking
    ids = await accepted(api, LY_SCHOOL, [row("3.2", 3)])
    first = (await certified(api, ids["3.2"], "CERTIFIED", "予以认定"))["certification"]

    # When the province corrects it
    second = (await certified(api, ids["3.2"], "NOT_CERTIFIED", "复核后不予认定"))[
        "certification"]

    # Then there is still one record, with the new result, remarks and time
    assert await Certification.all().count() == 1
    assert (second["result"], second["remarks"]) == ("NOT_CERTIFIED", "复核后不予认定")
    assert second["decidedAt"] >= first["decidedAt"]
    seen = (await shown(api, LY_SCHOOL))["3.2"]
    assert (seen["result"], seen["remarks"]) == ("NOT_CERTIFIED", "复核后不予认定")
    assert await sums(api, LUOYANG) == {"3.2": (0, 0, 1, 0, "0.00")}


async def test_only_accepted_undertakings_are_certified_and_counted(api: Api) -> None:
    # Given an accepted undertaking, and a draft one of a school that never submitted
    ids = await accepted(api, LY_SCHOOL, [row("3.2", 3)])
    draft = await save(api, ZZ_SCHOOL_2, ZZ_SCHOOL_2, 0, [row("3.2", 2)])
    assert draft["declaration"]["status"] == "DRAFT"
    draft_id = (await api.data(DECLARED, {"org": ZZ_SCHOOL_2}, await api.token(ZZ_SCHOOL_2)))[
        "declaration"]["undertakings"][0]["id"]

    # When the province certifies both
    own = await certified(api, ids["3.2"], "CERTIFIED")
    of_draft = (await certify(api, draft_id, "CERTIFIED"))["data"]["certifyUndertaking"]

    # Then the draft was never undertaken: not certified, not counted, not even as pending
    assert own["certification"]["result"] == "CERTIFIED"
    assert of_draft["certification"] is None
    assert [e["field"] for e in of_draft["errors"]] == [["undertakingId"]]
    assert await Certification.all().count() == 1
    assert await sums(api, PROVINCE) == {"3.2": (1, 3, 0, 0, "3.00")}


async def _accepted_in_an_earlier_campaign(*schools: str) -> None:
    """An older campaign (2019), in which `schools`' declarations were accepted: the rows
    the sums' join used to meet once per campaign."""
    current = await Campaign.get(code=CAMPAIGN_CODE)
    older = await Campaign.create(
        code="henan-2019", name="上一轮行动计划",
        declaration_opens_at=current.declaration_opens_at.replace(year=2019),
        declaration_closes_at=current.declaration_closes_at.replace(year=2019))
    for code in schools:
        await Declaration.create(organization=await Organization.get(code=code),
                                 campaign=older, status=DeclarationStatus.ACCEPTED)


async def test_a_school_accepted_in_two_campaigns_is_counted_once(
        api: Api, count_sql: StatementCounter) -> None:
    # Given 郑州 school 2's accepted 3.2 of 2, certified, and 3.3 of 1, undecided; school 3's
    # 3.2 of 4 still a draft; both schools accepted in an earlier campaign too
    zz = await accepted(api, ZZ_SCHOOL_2, [row("3.2", 2), row("3.3", 1)])
    await certified(api, zz["3.2"], "CERTIFIED")
    draft = await save(api, ZZ_SCHOOL_3, ZZ_SCHOOL_3, 0, [row("3.2", 4)])
    assert draft["declaration"]["status"] == "DRAFT"
    await _accepted_in_an_earlier_campaign(ZZ_SCHOOL_2, ZZ_SCHOOL_3)

    # When the province and 郑州 ask for the sums (of the newest campaign, and named)
    await api.token(ZHENGZHOU)
    count_sql.statements.clear()
    province = await sums(api, PROVINCE)
    compiled = len(count_sql.statements)
    zhengzhou = await sums(api, ZHENGZHOU)
    named = (await api.data(NAMED_SUMS, {"campaign": CAMPAIGN_CODE},
                            await api.token(PROVINCE)))["certificationSums"]
    older = (await api.data(NAMED_SUMS, {"campaign": "henan-2019"},
                            await api.token(PROVINCE)))["certificationSums"]

    # Then each undertaking counts once, by its own campaign's declaration: the draft, whose
    # school was accepted only in the other campaign, not at all
    assert province == zhengzhou == {"3.2": (1, 2, 0, 0, "2.00"), "3.3": (0, 0, 0, 1, "0.00")}
    assert [(r["item"]["number"], r["certified"], r["pending"]) for r in named] == [
        ("3.2", 1, 0), ("3.3", 0, 1)]
    # ... and the earlier campaign, with no undertakings of its own items, has nothing
    assert older == []
    # ... answered by the read compiler's one statement (beside the token's lookup), the
    # differential harness comparing it with the resolver path's
    assert compiled == 2, count_sql.statements
