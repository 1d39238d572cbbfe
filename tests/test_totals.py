"""Totals count what has been vouched for: by default declarations submitted or beyond, and
they say which statuses they counted; per city x funding source for reporting upward."""

from __future__ import annotations

from typing import Any

from tests.chain import APPROVE
from tests.conftest import LUOYANG, LY_SCHOOL, PROVINCE, ZHENGZHOU, ZZ_SCHOOL, ZZ_SCHOOL_2, Api
from tests.test_declarations import SUBMIT, row, save

TOTALS = """
query($city: String, $statuses: [DeclarationStatus!]) {
  undertakingTotals(cityCode: $city, statuses: $statuses) {
    countedStatuses
    items { item { number } organizations quantity funding { total } }
    byCity { label unit { code } organizations undertakings
             funding { schoolSelf enterprise sponsor localGov provincial total } }
    funding { total }
  }
}"""

SUMS = """
query($statuses: [DeclarationStatus!]) {
  undertakingSums(statuses: $statuses) { item { number } quantity funding { total } }
}"""

PROGRESS = """
query($notSubmitted: Boolean, $statuses: [DeclarationStatus!]) {
  declarationProgress {
    groups { label counts { total } }
    schools(notSubmitted: $notSubmitted, statuses: $statuses, first: 100) {
      edges { node { school { code } status } } }
  }
}"""


async def _declare(api: Api) -> None:
    """郑州: one school submitted and city-approved (7.1, 150.50 planned), one draft (7.1,
    150.50: the figure the issue found counted); 洛阳: one submitted school."""
    await save(api, ZZ_SCHOOL_2, ZZ_SCHOOL_2, 0, [row("3.2", 2, schoolSelf="1.10",
                                                      enterprise="0.25")])
    await api.data(SUBMIT, {"org": ZZ_SCHOOL_2, "v": 1}, await api.token(ZZ_SCHOOL_2))
    await api.data(APPROVE, {"org": ZZ_SCHOOL_2}, await api.token(ZHENGZHOU))
    await save(api, ZZ_SCHOOL, ZZ_SCHOOL, 0, [row("7.1", 1, localGov="100.25",
                                                  provincial="50.25")])
    await save(api, LY_SCHOOL, LY_SCHOOL, 0, [row("3.2", 4, provincial="10.05")])
    await api.data(SUBMIT, {"org": LY_SCHOOL, "v": 1}, await api.token(LY_SCHOOL))


def _items(totals: dict[str, Any]) -> dict[str, tuple[int, int, str]]:
    return {i["item"]["number"]: (i["organizations"], i["quantity"], i["funding"]["total"])
            for i in totals["items"]}


async def test_a_draft_never_shows_in_a_default_total_but_shows_when_asked(api: Api) -> None:
    await _declare(api)
    province = await api.token(PROVINCE)

    default = (await api.data(TOTALS, {}, province))["undertakingTotals"]
    with_drafts = (await api.data(TOTALS, {"statuses": ["DRAFT", "SUBMITTED", "CITY_APPROVED"]},
                                  province))["undertakingTotals"]
    drafts_only = (await api.data(TOTALS, {"statuses": ["DRAFT"]}, province))[
        "undertakingTotals"]
    sums = (await api.data(SUMS, {}, province))["undertakingSums"]

    assert default["countedStatuses"] == ["SUBMITTED", "CITY_APPROVED", "ACCEPTED"]
    assert _items(default) == {"3.2": (2, 6, "11.40")}
    assert default["funding"]["total"] == "11.40"
    assert [(s["item"]["number"], s["quantity"]) for s in sums] == [("3.2", 6)]
    assert with_drafts["countedStatuses"] == ["DRAFT", "SUBMITTED", "CITY_APPROVED"]
    assert _items(with_drafts) == {"3.2": (2, 6, "11.40"), "7.1": (1, 1, "150.50")}
    assert with_drafts["funding"]["total"] == "161.90"
    assert _items(drafts_only) == {"7.1": (1, 1, "150.50")}


async def test_totals_per_city_and_funding_source_are_exact(api: Api) -> None:
    await _declare(api)

    every = {"statuses": ["DRAFT", "SUBMITTED", "CITY_APPROVED", "ACCEPTED"]}
    totals = (await api.data(TOTALS, every, await api.token(PROVINCE)))["undertakingTotals"]
    city = (await api.data(TOTALS, every, await api.token(ZHENGZHOU)))["undertakingTotals"]
    neighbour = await api.post(TOTALS, {"city": LUOYANG}, await api.token(ZHENGZHOU))

    assert [(c["label"], c["unit"]["code"], c["organizations"], c["undertakings"])
            for c in totals["byCity"]] == [("郑州市", ZHENGZHOU, 2, 2), ("洛阳市", LUOYANG, 1, 1)]
    assert totals["byCity"][0]["funding"] == {
        "schoolSelf": "1.10", "enterprise": "0.25", "sponsor": "0.00", "localGov": "100.25",
        "provincial": "50.25", "total": "151.85"}
    assert totals["byCity"][1]["funding"]["provincial"] == "10.05"
    assert [c["label"] for c in city["byCity"]] == ["郑州市"]
    assert neighbour["data"]["undertakingTotals"] is None
    assert [e["extensions"]["code"] for e in neighbour["errors"]] == ["NOT_FOUND"]


async def test_an_empty_status_list_is_refused(api: Api) -> None:
    body = await api.post(TOTALS, {"statuses": []}, await api.token(PROVINCE))

    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "状态" in body["errors"][0]["message"]


async def test_totals_are_for_the_province_and_cities_only(api: Api) -> None:
    by_school = await api.post(TOTALS, {}, await api.token(ZZ_SCHOOL))
    by_city = await api.post(TOTALS, {}, await api.token(ZHENGZHOU))

    assert by_school["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert "errors" not in by_city


async def test_progress_shows_every_city_and_filters_the_not_yet_submitted(api: Api) -> None:
    await _declare(api)
    province, city = await api.token(PROVINCE), await api.token(ZHENGZHOU)

    everywhere = (await api.data(PROGRESS, {}, province))["declarationProgress"]
    pending = (await api.data(PROGRESS, {"notSubmitted": True}, city))["declarationProgress"]
    sent = (await api.data(PROGRESS, {"statuses": ["SUBMITTED", "CITY_APPROVED"]}, province))[
        "declarationProgress"]

    groups = {g["label"]: g["counts"]["total"] for g in everywhere["groups"]}
    assert len(groups) == 29  # 28 city-level units and the schools directly under the province
    assert groups["安阳市"] == 0 and groups["郑州市"] == 4
    codes = {e["node"]["school"]["code"]: e["node"]["status"] for e in pending["schools"]["edges"]}
    assert codes == {"4199000005": "NOT_STARTED", ZZ_SCHOOL: "DRAFT",
                     "4199200003": "NOT_STARTED"}
    assert {e["node"]["school"]["code"] for e in sent["schools"]["edges"]} == {
        ZZ_SCHOOL_2, LY_SCHOOL}
