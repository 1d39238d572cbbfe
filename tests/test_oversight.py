"""Oversight through the API: progress, sums against targets, compliance; scoped per caller."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from models import Organization, TaskEntry, Undertaking
from models.enums import OrgKind, SchoolType
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
from tests.test_declarations import SUBMIT, row, save

PROGRESS = """
query($city: String, $status: DeclarationStatus, $sort: ProgressSort, $never: Boolean) {
  declarationProgress(cityCode: $city) {
    counts { notStarted draft submitted returned accepted total neverLoggedIn }
    groups { label unit { code } counts { total submitted notStarted } }
    schools(status: $status, sort: $sort, neverLoggedIn: $never, first: 100) {
      totalCount
      edges { node { school { code name } status itemCount fundingTotal lastChangeAt
                     lastLoginAt neverLoggedIn } }
    }
  }
}"""

SUMS = """
query($city: String, $statuses: [DeclarationStatus!]) {
  undertakingSums(cityCode: $city, statuses: $statuses) {
    item { number targetQuantity }
    organizations quantity targetPercent
    funding { schoolSelf enterprise sponsor localGov provincial total }
    byGroup { label unit { code } organizations quantity funding { total } }
  }
}"""

COMPLIANCE = """
query($city: String) {
  compliance(cityCode: $city) {
    missingMandatory { school { code } missingItems { number } }
    zeroFunding { organization { code } item { number } }
  }
}"""


async def _declare(api: Api) -> None:
    """Two 郑州 schools and one 洛阳 school declare 3.2; one 郑州 school submits."""
    await save(api, ZZ_SCHOOL_2, ZZ_SCHOOL_2, 0, [row("3.2", 2, schoolSelf="1.10",
                                                      enterprise="0.20")])
    await api.data(SUBMIT, {"org": ZZ_SCHOOL_2, "v": 1}, await api.token(ZZ_SCHOOL_2))
    await save(api, ZZ_SCHOOL, ZZ_SCHOOL, 0, [row("3.2", 1, localGov="3"), row("16", 1)])
    await save(api, LY_SCHOOL, LY_SCHOOL, 0, [row("3.2", 4, provincial="10.05")])


def _nodes(progress: dict[str, Any]) -> list[dict[str, Any]]:
    return [e["node"] for e in progress["schools"]["edges"]]


async def test_city_progress_shows_exactly_its_schools(api: Api) -> None:
    await _declare(api)
    city = await api.token(ZHENGZHOU)

    progress = (await api.data(PROGRESS, {}, city))["declarationProgress"]

    schools = {n["school"]["code"]: n for n in _nodes(progress)}
    assert set(schools) == {"4199000005", ZZ_SCHOOL, ZZ_SCHOOL_2, "4199200003"}
    assert progress["counts"] == {"notStarted": 2, "draft": 1, "submitted": 1, "returned": 0,
                                  "accepted": 0, "total": 4, "neverLoggedIn": 2}
    assert schools[ZZ_SCHOOL_2]["status"] == "SUBMITTED"
    assert schools[ZZ_SCHOOL]["itemCount"] == 2
    assert schools[ZZ_SCHOOL]["fundingTotal"] == "3.00"
    assert schools["4199200003"]["neverLoggedIn"] is True
    assert schools[ZZ_SCHOOL]["neverLoggedIn"] is False
    assert [g["label"] for g in progress["groups"]] == ["郑州市"]


async def test_city_cannot_read_a_neighbours_progress_or_sums(api: Api) -> None:
    city = await api.token(ZHENGZHOU)

    neighbour = await api.post(PROGRESS, {"city": LUOYANG}, city)
    neighbour_sums = await api.post(SUMS, {"city": LUOYANG}, city)
    own = await api.data(PROGRESS, {"city": ZHENGZHOU}, city)
    by_school = await api.post(PROGRESS, {}, await api.token(ZZ_SCHOOL))

    # NOT_FOUND, as for a code that is no city (tests/test_smaller_things.py)
    assert neighbour["data"]["declarationProgress"] is None
    assert neighbour["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert neighbour_sums["data"]["undertakingSums"] is None
    assert neighbour_sums["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert own["declarationProgress"]["counts"]["total"] == 4
    assert by_school["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_filter_and_sort_put_the_laggards_first(api: Api) -> None:
    await _declare(api)
    city = await api.token(ZHENGZHOU)

    by_status = _nodes((await api.data(PROGRESS, {"sort": "STATUS"}, city))[
        "declarationProgress"])
    submitted = _nodes((await api.data(PROGRESS, {"status": "SUBMITTED"}, city))[
        "declarationProgress"])
    never = _nodes((await api.data(PROGRESS, {"never": True, "sort": "NAME"}, city))[
        "declarationProgress"])

    assert [n["status"] for n in by_status] == ["NOT_STARTED", "NOT_STARTED", "DRAFT",
                                                "SUBMITTED"]
    assert [n["school"]["code"] for n in submitted] == [ZZ_SCHOOL_2]
    assert {n["school"]["code"] for n in never} == {"4199000005", "4199200003"}


async def test_province_sees_every_city_and_the_directly_attached_schools(api: Api) -> None:
    await _declare(api)

    progress = (await api.data(PROGRESS, {}, await api.token(PROVINCE)))["declarationProgress"]

    assert progress["counts"]["total"] == 30
    groups = {g["label"]: g["counts"] for g in progress["groups"]}
    assert groups["省直属学校"]["total"] == 9
    assert groups["郑州市"] == {"total": 4, "submitted": 1, "notStarted": 2}
    assert groups["洛阳市"]["total"] == 3


async def test_sums_per_item_and_city_against_the_target(api: Api) -> None:
    await _declare(api)

    # (drafts included, as asked: by default only submitted forms count, see test_totals.py)
    every = {"statuses": ["DRAFT", "SUBMITTED"]}
    sums = {s["item"]["number"]: s for s in (await api.data(
        SUMS, every, await api.token(PROVINCE)))["undertakingSums"]}
    city_sums = {s["item"]["number"]: s for s in (await api.data(
        SUMS, every, await api.token(ZHENGZHOU)))["undertakingSums"]}

    s = sums["3.2"]
    assert (s["organizations"], s["quantity"], s["item"]["targetQuantity"]) == (3, 7, 100)
    assert s["targetPercent"] == "7.00"
    assert s["funding"] == {"schoolSelf": "1.10", "enterprise": "0.20", "sponsor": "0.00",
                            "localGov": "3.00", "provincial": "10.05", "total": "14.35"}
    assert [(g["label"], g["quantity"]) for g in s["byGroup"]] == [("郑州市", 3), ("洛阳市", 4)]
    assert sums["16"]["targetPercent"] is None  # 1+X has no count as its target
    # A city sees its own sums only.
    assert city_sums["3.2"]["quantity"] == 3 and city_sums["3.2"]["organizations"] == 2
    assert [g["label"] for g in city_sums["3.2"]["byGroup"]] == ["郑州市"]


async def test_compliance_lists_missing_items_and_zero_funding(api: Api) -> None:
    await _declare(api)

    report = (await api.data(COMPLIANCE, {"city": ZHENGZHOU},
                             await api.token(PROVINCE)))["compliance"]

    missing = {m["school"]["code"]: [i["number"] for i in m["missingItems"]]
               for m in report["missingMandatory"]}
    assert set(missing) == {"4199000005", ZZ_SCHOOL}  # the bound ones of 郑州
    assert "3.2" not in missing[ZZ_SCHOOL] and "3.1" in missing[ZZ_SCHOOL]
    assert report["zeroFunding"] == [{"organization": {"code": ZZ_SCHOOL},
                                      "item": {"number": "16"}}]


async def _add_schools(count: int) -> None:
    city = await Organization.get(code=ZHENGZHOU)
    item = await TaskEntry.get(number="3.2")
    start = await Organization.filter(kind=OrgKind.SCHOOL).count()
    for n in range(count):
        school = await Organization.create(
            code=f"41970{start + n:05d}", name=f"进度学校{n}", kind=OrgKind.SCHOOL,
            parent=city, school_type=SchoolType.SECONDARY)
        await Undertaking.create(organization=school, item=item, quantity=1,
                                 school_self=Decimal("1.25"))


async def test_progress_and_sums_cost_the_same_sql_for_10_or_100_schools(
    api: Api, count_sql: StatementCounter
) -> None:
    token = await api.token(PROVINCE)
    async def statements() -> int:
        count_sql.statements.clear()
        await api.data(PROGRESS, {}, token)
        await api.data(SUMS, {}, token)
        return len(count_sql.statements)

    await _add_schools(10)
    await statements()  # the plans made: both counts are a repeat's
    few = await statements()
    await _add_schools(90)
    many = await statements()

    assert many == few, count_sql.statements
