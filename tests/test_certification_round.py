"""Certification as a round (issue #11, point 7), over HTTP with real logins.

The province opens the 2024 round with its window; within it, it records per undertaking a
result, the certified quantity (0..planned) and remarks. Every decision lands in the
undertaking's history; the sums count certified quantities against the national target; the
results workbook and the 公示 list (what is certified, per item and school) are downloads.
"""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

from openpyxl import load_workbook

from tests.conftest import LUOYANG, LY_SCHOOL, PROVINCE, ZHENGZHOU, ZZ_SCHOOL_2, Api
from tests.test_certification import OPEN_ROUND, SUMS, open_certification
from tests.test_change_requests import accepted
from tests.test_declarations import row

CERTIFY = """
mutation($u: ID!, $result: CertificationResult!, $q: Int, $remarks: String! = "") {
  certifyUndertaking(undertakingId: $u, result: $result, certifiedQuantity: $q,
                     remarks: $remarks) {
    certification { result certifiedQuantity remarks year } errors { field code message } } }"""

UNDERTAKINGS = """query($org: String) { declaration(organizationCode: $org) {
  undertakings { item { number } quantity certification { result certifiedQuantity year }
    certificationHistory { year result certifiedQuantity remarks actor { username } } }
  history { itemNumber certificationResult certifiedQuantity reason } } }"""

ROUND = "{ certificationRound { year open } }"


async def certify(api: Api, undertaking: str, result: str, quantity: int | None = None,
                  remarks: str = "") -> dict[str, Any]:
    data = await api.data(CERTIFY, {"u": undertaking, "result": result, "q": quantity,
                                    "remarks": remarks}, await api.token(PROVINCE))
    return dict(data["certifyUndertaking"])


async def download(api: Api, path: str, user: str) -> tuple[int, bytes]:
    response = await api.client.get(path, headers={
        "Authorization": f"Bearer {await api.token(user)}"})
    return response.status_code, response.content


def table(content: bytes, sheet: str, first_row: int) -> list[tuple[Any, ...]]:
    book = load_workbook(io.BytesIO(content))
    return [r for r in book[sheet].iter_rows(min_row=first_row, values_only=True)]


async def test_the_2024_round_certifies_1_of_2_studios_and_the_public_list_shows_it(
        api: Api) -> None:
    # Given two accepted undertakings of 3.2 (名班主任工作室): 2 in 郑州, 1 in 洛阳
    zz = await accepted(api, ZZ_SCHOOL_2, [row("3.2", 2, schoolSelf="10")])
    ly = await accepted(api, LY_SCHOOL, [row("3.2", 1)])
    assert (await api.data(ROUND, token=await api.token(ZZ_SCHOOL_2)))[
        "certificationRound"] is None

    # When the province opens the 2024 round, first holds 郑州's as pending, then certifies
    # one of its two studios, and does not certify 洛阳's
    opened = await open_certification(api)
    assert (opened["year"], opened["open"]) == (2024, True) and opened["id"]
    held = await certify(api, zz["3.2"], "PENDING", remarks="待补充材料")
    done = await certify(api, zz["3.2"], "CERTIFIED", 1, "1个工作室通过验收")
    refused = await certify(api, ly["3.2"], "NOT_CERTIFIED", remarks="材料不全")

    # Then the results are recorded with their quantities
    assert held["errors"] == [] and refused["errors"] == []
    assert done == {"certification": {"result": "CERTIFIED", "certifiedQuantity": 1,
                                      "remarks": "1个工作室通过验收", "year": 2024},
                    "errors": []}
    # ... the school sees its result beside the row, and both decisions in the history
    shown = (await api.data(UNDERTAKINGS, {"org": ZZ_SCHOOL_2},
                            await api.token(ZZ_SCHOOL_2)))["declaration"]
    line = shown["undertakings"][0]
    assert (line["quantity"], line["certification"]) == (
        2, {"result": "CERTIFIED", "certifiedQuantity": 1, "year": 2024})
    assert [(d["result"], d["certifiedQuantity"], d["remarks"], d["actor"]["username"])
            for d in line["certificationHistory"]] == [
        ("PENDING", None, "待补充材料", PROVINCE), ("CERTIFIED", 1, "1个工作室通过验收", PROVINCE)]
    assert [(h["itemNumber"], h["certificationResult"], h["certifiedQuantity"], h["reason"])
            for h in shown["history"] if h["certificationResult"]] == [
        ("3.2", "PENDING", None, "待补充材料"), ("3.2", "CERTIFIED", 1, "1个工作室通过验收")]
    # ... the sums count 1 certified studio against the national target of 100
    sums = (await api.data(SUMS, {"city": None}, await api.token(PROVINCE)))[
        "certificationSums"]
    assert [(s["item"]["number"], s["certified"], s["certifiedQuantity"], s["notCertified"],
             s["certifiedTargetPercent"]) for s in sums] == [("3.2", 1, 1, 1, "1.00")]

    # When the province downloads the 公示 list and the results workbook
    status, public = await download(api, "/exports/certification-public.xlsx?year=2024",
                                    PROVINCE)
    results_status, results = await download(api, "/exports/certification.xlsx", PROVINCE)

    # Then the 公示 list shows what is certified, per item and school: 郑州's 1 studio only
    assert status == 200 and results_status == 200
    book = load_workbook(io.BytesIO(public))
    assert "公示名单" in str(book["公示名单"]["A1"].value)
    assert table(public, "公示名单", 3) == [
        ("序号", "任务编号", "工作任务", "学校名称", "所属地市", "认定数量", "单位"),
        (1, "3.2", "培育遴选100个左右名班主任工作室", "【演示】郑州市第2中等职业学校", "郑州市", 1,
         "个")]
    # ... and the results workbook every result and the sum against the target
    lines = {(r[0], r[2]): r for r in table(results, "认定结果", 2)}
    assert lines[("3.2", ZZ_SCHOOL_2)][6:9] == (2, "予以认定", 1)
    assert lines[("3.2", LY_SCHOOL)][6:9] == (1, "不予认定", 0)
    assert table(results, "按任务汇总", 2) == [
        ("3.2", "培育遴选100个左右名班主任工作室", 100, "个", 1, 1, 1, 1, 0)]


async def test_a_city_downloads_its_own_schools_results_and_a_school_none(api: Api) -> None:
    zz = await accepted(api, ZZ_SCHOOL_2, [row("3.2", 2)])
    ly = await accepted(api, LY_SCHOOL, [row("3.2", 1)])
    await open_certification(api)
    assert (await certify(api, zz["3.2"], "CERTIFIED", 2))["errors"] == []
    assert (await certify(api, ly["3.2"], "CERTIFIED", 1))["errors"] == []

    status, content = await download(api, "/exports/certification-public.xlsx", ZHENGZHOU)
    neighbour, _ = await download(api, f"/exports/certification-public.xlsx?city={LUOYANG}",
                                  ZHENGZHOU)
    by_school, _ = await download(api, "/exports/certification-public.xlsx", ZZ_SCHOOL_2)
    no_round, _ = await download(api, "/exports/certification.xlsx?year=2025", PROVINCE)

    assert status == 200
    assert [r[3] for r in table(content, "公示名单", 4)] == ["【演示】郑州市第2中等职业学校"]
    assert (neighbour, by_school, no_round) == (404, 403, 404)


async def test_results_are_recorded_only_within_the_window_and_within_the_plan(
        api: Api) -> None:
    ids = await accepted(api, ZZ_SCHOOL_2, [row("3.2", 2)])

    # Before the round exists, before it opens, after it closes: refused, each saying why
    missing = await certify(api, ids["3.2"], "CERTIFIED", 1)
    await open_certification(api, opens=timedelta(days=1), closes=timedelta(days=2))
    early = await certify(api, ids["3.2"], "CERTIFIED", 1)
    await open_certification(api, opens=timedelta(days=-3), closes=timedelta(days=-1))
    late = await certify(api, ids["3.2"], "CERTIFIED", 1)
    assert [e["code"] for e in missing["errors"] + early["errors"] + late["errors"]] == [
        "ROUND_NOT_FOUND", "NOT_OPEN_YET", "DEADLINE_PASSED"]

    # Within the window, a quantity outside 0..planned, or not matching the result, is refused
    await open_certification(api)
    for result, quantity in (("CERTIFIED", 3), ("CERTIFIED", 0), ("NOT_CERTIFIED", 1),
                             ("PENDING", 1)):
        bad = await certify(api, ids["3.2"], result, quantity)
        assert [(e["field"], e["code"]) for e in bad["errors"]] == [
            (["certifiedQuantity"], "INVALID_QUANTITY")], (result, quantity)
    # While a certification without a quantity certifies all of it
    whole = await certify(api, ids["3.2"], "CERTIFIED")
    assert whole["certification"]["certifiedQuantity"] == 2

    # And only the province opens a round
    now = "2024-01-01T00:00:00+08:00"
    for user in (ZHENGZHOU, ZZ_SCHOOL_2):
        body = await api.post(OPEN_ROUND, {"opens": now, "closes": "2024-03-01T00:00:00+08:00"},
                              await api.token(user))
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
