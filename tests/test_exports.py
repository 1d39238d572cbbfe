"""Spreadsheet exports: real .xlsx/.csv files, same token, same scope as the API."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from openpyxl import load_workbook

from tests.conftest import LUOYANG, LY_SCHOOL, PROVINCE, ZHENGZHOU, ZZ_SCHOOL, ZZ_SCHOOL_2, Api
from tests.test_declarations import SUBMIT, row, save


async def _get(api: Api, path: str, user: str | None) -> tuple[int, bytes, dict[str, str]]:
    headers = {"Authorization": f"Bearer {await api.token(user)}"} if user else {}
    response = await api.client.get(path, headers=headers)
    return response.status_code, response.content, dict(response.headers)


async def test_school_declaration_is_the_notices_table(api: Api) -> None:
    await save(api, ZZ_SCHOOL_2, ZZ_SCHOOL_2, 0, [
        row("3.2", 2, schoolSelf="6", enterprise="2.5", sponsor="1.5"),
        row("7.1", 1, localGov="100", provincial="50.25")])

    status, content, headers = await _get(api, f"/exports/declarations/{ZZ_SCHOOL_2}.xlsx",
                                          ZZ_SCHOOL_2)

    assert status == 200 and headers["content-type"].startswith(
        "application/vnd.openxmlformats")
    ws = load_workbook(io.BytesIO(content)).active
    assert ws["A3"].value == "序号" and ws["D3"].value == "预计投入经费(单位:万元)"
    assert [c.value for c in ws[4]][3:] == ["学校自筹", "行业企业投入", "举办方投入",
                                             "地市县投入", "省财政投入"]
    rows = {r[0]: r for r in ws.iter_rows(min_row=5, values_only=True)}
    assert rows["3.2"][1] == "培育遴选100个左右名班主任工作室"
    assert rows["3.2"][2:] == (2, 6, 2.5, 1.5, 0, 0)  # numbers, not text
    assert rows["7.1"][2] == 1 and rows["7.1"][7] == 50.25
    assert rows["1"][2:] == ("——",) * 6  # a provincial item, as in the notice
    assert rows["3.1"][2:] == (None,) * 6  # shown, not undertaken
    assert "11.1" not in rows  # higher-vocational only: not shown to a secondary school
    assert rows["合计"][3:] == (6, 2.5, 1.5, 100, 50.25)


async def test_export_needs_a_token_and_stays_in_scope(api: Api) -> None:
    anonymous, _, _ = await _get(api, f"/exports/declarations/{ZZ_SCHOOL_2}.xlsx", None)
    other_school, _, _ = await _get(api, f"/exports/declarations/{ZZ_SCHOOL_2}.xlsx",
                                    ZZ_SCHOOL)
    neighbour, _, _ = await _get(api, f"/exports/declarations/{LY_SCHOOL}.xlsx", ZHENGZHOU)
    own_city, _, _ = await _get(api, f"/exports/declarations/{ZZ_SCHOOL_2}.xlsx", ZHENGZHOU)
    school_summary, body, _ = await _get(api, "/exports/summary.xlsx", ZZ_SCHOOL)
    neighbour_summary, _, _ = await _get(api, f"/exports/summary.xlsx?city={LUOYANG}",
                                         ZHENGZHOU)

    assert anonymous == 401
    assert other_school == 404 and neighbour == 404
    assert own_city == 200
    assert school_summary == 403 and b"FORBIDDEN" in body
    assert neighbour_summary == 404


async def test_must_change_password_first(api: Api) -> None:
    token = (await api.login(ZZ_SCHOOL))["token"]

    response = await api.client.get(f"/exports/declarations/{ZZ_SCHOOL}.xlsx",
                                    headers={"Authorization": f"Bearer {token}"})

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "PASSWORD_CHANGE_REQUIRED"


async def test_city_summary_workbook_holds_only_its_schools(api: Api) -> None:
    await save(api, ZZ_SCHOOL_2, ZZ_SCHOOL_2, 0, [row("3.2", 2, schoolSelf="1.10")])
    await api.data(SUBMIT, {"org": ZZ_SCHOOL_2, "v": 1}, await api.token(ZZ_SCHOOL_2))
    await save(api, LY_SCHOOL, LY_SCHOOL, 0, [row("3.2", 4, schoolSelf="2")])  # a draft

    status, content, _ = await _get(api, "/exports/summary.xlsx", ZHENGZHOU)
    _, province_content, _ = await _get(api, "/exports/summary.xlsx", PROVINCE)
    _, with_drafts, _ = await _get(api, "/exports/summary.xlsx?statuses=draft,submitted",
                                   PROVINCE)
    bad, body, _ = await _get(api, "/exports/summary.xlsx?statuses=nonsense", PROVINCE)

    assert status == 200
    book = load_workbook(io.BytesIO(content))
    assert book.sheetnames == ["按任务汇总", "按地市", "学校进度", "按地市和经费来源", "学校明细",
                               "统计口径"]
    sums = list(book["按任务汇总"].iter_rows(min_row=2, values_only=True))
    assert [(r[0], r[4], r[5], r[6], r[7]) for r in sums] == [("3.2", 1, 2, 2, 1.1)]
    schools = [r[0] for r in book["学校进度"].iter_rows(min_row=2, values_only=True)]
    assert sorted(schools) == ["4199000005", ZZ_SCHOOL, ZZ_SCHOOL_2, "4199200003"]
    assert book["统计口径"]["B2"].value == "已提交、地市审核通过、已确认"
    province = load_workbook(io.BytesIO(province_content))
    groups = [(r[0], r[2], r[4]) for r in province["按地市"].iter_rows(min_row=2,
                                                                      values_only=True)]
    assert groups == [("3.2", "郑州市", 2)]  # 洛阳's draft is not counted
    assert len(list(province["学校进度"].iter_rows(min_row=2))) == 30
    drafts = load_workbook(io.BytesIO(with_drafts))
    groups = [(r[0], r[2], r[4]) for r in drafts["按地市"].iter_rows(min_row=2,
                                                                    values_only=True)]
    assert groups == [("3.2", "郑州市", 2), ("3.2", "洛阳市", 4)]
    assert drafts["统计口径"]["B2"].value == "草稿、已提交"
    by_city = list(drafts["按地市和经费来源"].iter_rows(min_row=2, values_only=True))
    assert [(r[0], r[1], r[2], r[3], r[8]) for r in by_city] == [
        ("郑州市", 1, 1, 1.1, 1.1), ("洛阳市", 1, 1, 2, 2), ("合计", 2, 2, 3.1, 3.1)]
    detail = list(drafts["学校明细"].iter_rows(min_row=2, values_only=True))
    assert [(r[0], r[4], r[6], r[7]) for r in detail] == [
        (ZZ_SCHOOL_2, "3.2", 2, 1.1), (LY_SCHOOL, "3.2", 4, 2)]
    assert bad == 400 and b"BAD_USER_INPUT" in body


async def test_csv_exports_open_in_excel(api: Api) -> None:
    await save(api, ZZ_SCHOOL_2, ZZ_SCHOOL_2, 0, [row("3.2", 2, schoolSelf="1.10")])

    status, content, headers = await _get(api, "/exports/progress.csv", ZHENGZHOU)
    _, sums, _ = await _get(api, "/exports/sums.csv?statuses=draft", ZHENGZHOU)
    _, submitted_only, _ = await _get(api, "/exports/sums.csv", ZHENGZHOU)

    assert status == 200 and headers["content-type"].startswith("text/csv")
    assert content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert rows[0][:2] == ["学校代码", "学校名称"]
    by_code = {r[0]: r for r in rows[1:]}
    assert by_code[ZZ_SCHOOL_2][5] == "草稿" and Decimal(by_code[ZZ_SCHOOL_2][7]) == Decimal("1.10")
    assert by_code["4199200003"][9] == "从未登录"
    assert "郑州市" in sums.decode("utf-8-sig")
    assert "郑州市" not in submitted_only.decode("utf-8-sig")  # a draft is not counted
