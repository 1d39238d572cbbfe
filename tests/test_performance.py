"""The annual report story: file 2021 with evidence, returned, corrected, accepted; 2022
carries 2021's figures over; the province's views add it all up."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from tests import sample_files
from tests.chain import APPROVE_REPORT, confirm
from tests.conftest import LY_SCHOOL, PROVINCE, ZHENGZHOU, ZZ_SCHOOL_2, Api
from tests.test_declarations import SUBMIT, row, save

OPEN_ROUND = """
mutation($year: Int!, $opens: DateTime!, $closes: DateTime!) {
  openReportingRound(year: $year, opensAt: $opens, closesAt: $closes) {
    round { year open } errors { code message } } }"""

REPORT = """
query($year: Int!, $org: String) {
  performanceReport(year: $year, organizationCode: $org) {
    year status version editable lock { code }
    lines { undertaking { id quantity item { number } } saved completedQuantity progress
            narrative spent { schoolSelf total }
            previous { completedQuantity spent { total } }
            evidence { filename size sha256 downloadUrl } }
    history { statusChange reason actor { username } }
  } }"""

SAVE_REPORT = """
mutation($input: SaveReportInput!) {
  saveReport(input: $input) { report { version status } errors { field code message } } }"""

TRANSITION = """
mutation($org: String, $year: Int!, $v: Int!) {
  submitReport(organizationCode: $org, year: $year, version: $v) {
    report { status version } errors { code message } } }"""

RETURN = """
mutation($org: String!, $year: Int!, $v: Int!) {
  returnReport(organizationCode: $org, year: $year, version: $v, reason: "缺少佐证材料") {
    report { status version } errors { code } } }"""

ACCEPT_REPORT = """
mutation($org: String!, $year: Int!, $v: Int!) {
  acceptReport(organizationCode: $org, year: $year, version: $v) {
    report { status } errors { code } } }"""

UPLOAD = """
mutation($id: ID!, $year: Int!, $file: Upload!) {
  uploadEvidence(undertakingId: $id, year: $year, file: $file) {
    evidence { id filename size sha256 contentType } errors { field code message } } }"""

SUMS = """
query($year: Int!, $city: String, $reports: [DeclarationStatus!]) {
  performanceSums(year: $year, cityCode: $city, reportStatuses: $reports) {
    item { number } plannedQuantity achievedQuantity planned { total } spent { schoolSelf total }
    byGroup { label plannedQuantity achievedQuantity }
  }
  reportingProgress(year: $year, cityCode: $city) {
    counts { submitted accepted notStarted total } notReported { code }
  } }"""

PDF = sample_files.PDF


def _window() -> dict[str, str]:
    now = datetime.now(UTC)
    return {"opens": (now - timedelta(hours=1)).isoformat(),
            "closes": (now + timedelta(days=30)).isoformat()}


async def _accepted(api: Api, school: str, rows: list[dict[str, Any]]) -> None:
    await save(api, school, school, 0, rows)
    await api.data(SUBMIT, {"org": school, "v": 1}, await api.token(school))
    await confirm(api, school)


async def _upload(api: Api, token: str, undertaking: str, name: str, content: bytes
                  ) -> dict[str, Any]:
    operations = {"query": UPLOAD, "variables": {"id": undertaking, "year": 2021,
                                                 "file": None}}
    response = await api.client.post(
        "/graphql", headers={"Authorization": f"Bearer {token}"},
        data={"operations": json.dumps(operations), "map": json.dumps({"0": ["variables.file"]})},
        files={"0": (name, content, "application/octet-stream")})
    body: dict[str, Any] = response.json()
    result: dict[str, Any] = body["data"]["uploadEvidence"]
    return result


@pytest.fixture(autouse=True)
def evidence_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("EVIDENCE_DIR", str(tmp_path / "evidence"))
    return tmp_path / "evidence"


async def test_a_school_files_its_2021_report_and_it_is_reviewed(api: Api,
                                                                 evidence_dir: Path) -> None:
    await _accepted(api, ZZ_SCHOOL_2, [row("3.2", 2, schoolSelf="6", enterprise="4"),
                                       row("16", 3, localGov="1")])
    province, school = await api.token(PROVINCE), await api.token(ZZ_SCHOOL_2)
    closed = (await api.data(REPORT, {"year": 2021}, school))["performanceReport"]
    assert closed["lock"] == {"code": "NOT_OPEN_YET"}
    opened = await api.data(OPEN_ROUND, {"year": 2021, **_window()}, province)
    assert opened["openReportingRound"]["round"] == {"year": 2021, "open": True}

    report = (await api.data(REPORT, {"year": 2021}, school))["performanceReport"]
    lines = {ln["undertaking"]["item"]["number"]: ln for ln in report["lines"]}
    assert report["status"] == "NOT_STARTED" and set(lines) == {"3.2", "16"}
    assert lines["3.2"]["saved"] is False and lines["3.2"]["completedQuantity"] == 0
    incomplete = (await api.data(TRANSITION, {"year": 2021, "v": 0}, school))["submitReport"]
    assert [e["code"] for e in incomplete["errors"]] == ["REPORT_INCOMPLETE"]

    entries = [{"undertakingId": lines["3.2"]["undertaking"]["id"], "completedQuantity": 1,
                "spent": {"schoolSelf": "2.50", "enterprise": "1"}, "progress": "ON_TRACK",
                "narrative": "已建成1个名班主任工作室"},
               {"undertakingId": lines["16"]["undertaking"]["id"], "completedQuantity": 3,
                "spent": {"localGov": "0.80"}, "progress": "COMPLETED"}]
    saved = (await api.data(SAVE_REPORT, {"input": {"year": 2021, "version": 0,
                                                    "entries": entries}}, school))["saveReport"]
    assert saved["errors"] == [] and saved["report"] == {"version": 1, "status": "DRAFT"}
    uploaded = await _upload(api, school, lines["3.2"]["undertaking"]["id"], "工作室照片.pdf", PDF)
    assert uploaded["errors"] == [] and uploaded["evidence"]["size"] == len(PDF)
    assert uploaded["evidence"]["contentType"] == "application/pdf"
    sha = uploaded["evidence"]["sha256"]
    assert (evidence_dir / sha[:2] / sha).read_bytes() == PDF

    submitted = (await api.data(TRANSITION, {"year": 2021, "v": 1}, school))["submitReport"]
    assert submitted["report"]["status"] == "SUBMITTED"
    returned = (await api.data(RETURN, {"org": ZZ_SCHOOL_2, "year": 2021, "v": 2},
                               await api.token(ZHENGZHOU)))["returnReport"]
    assert returned["report"]["status"] == "RETURNED"
    entries[0]["completedQuantity"] = 2
    resaved = (await api.data(SAVE_REPORT, {"input": {"year": 2021, "version": 3,
                                                      "entries": entries[:1]}}, school))
    assert resaved["saveReport"]["errors"] == []
    await api.data(TRANSITION, {"year": 2021, "v": 4}, school)
    early = (await api.data(ACCEPT_REPORT, {"org": ZZ_SCHOOL_2, "year": 2021, "v": 5},
                            province))["acceptReport"]
    assert [e["code"] for e in early["errors"]] == ["CITY_REVIEW_PENDING"]
    approved = (await api.data(APPROVE_REPORT, {"org": ZZ_SCHOOL_2, "year": 2021, "v": 5,
                                                "remark": "数据属实"},
                               await api.token(ZHENGZHOU)))["approveReport"]
    assert approved["report"]["status"] == "CITY_APPROVED"
    accepted = (await api.data(ACCEPT_REPORT, {"org": ZZ_SCHOOL_2, "year": 2021, "v": 6},
                               province))["acceptReport"]
    assert accepted["report"]["status"] == "ACCEPTED"

    final = (await api.data(REPORT, {"year": 2021, "org": ZZ_SCHOOL_2}, province))[
        "performanceReport"]
    by_item = {ln["undertaking"]["item"]["number"]: ln for ln in final["lines"]}
    assert by_item["3.2"]["completedQuantity"] == 2
    assert by_item["3.2"]["spent"] == {"schoolSelf": "2.50", "total": "3.50"}
    assert [e["filename"] for e in by_item["3.2"]["evidence"]] == ["工作室照片.pdf"]
    # (beside the lines saved and the evidence: tests/test_object_history.py)
    assert [(h["statusChange"], h["actor"]["username"]) for h in final["history"]
            if h["statusChange"]] == [
        ("SUBMIT", ZZ_SCHOOL_2), ("RETURN", ZHENGZHOU), ("SUBMIT", ZZ_SCHOOL_2),
        ("APPROVE", ZHENGZHOU), ("ACCEPT", PROVINCE)]
    download = await api.client.get(by_item["3.2"]["evidence"][0]["downloadUrl"],
                                    headers={"Authorization": f"Bearer {province}"})
    assert download.status_code == 200 and download.content == PDF

    # 2022 opens: last year's figures are shown beside, and pre-fill this year's.
    await api.data(OPEN_ROUND, {"year": 2022, **_window()}, province)
    next_year = (await api.data(REPORT, {"year": 2022}, school))["performanceReport"]
    carried = {ln["undertaking"]["item"]["number"]: ln for ln in next_year["lines"]}
    assert carried["3.2"]["previous"] == {"completedQuantity": 2, "spent": {"total": "3.50"}}
    assert carried["3.2"]["completedQuantity"] == 2 and carried["3.2"]["saved"] is False
    assert carried["16"]["progress"] == "COMPLETED"


async def test_sums_compare_planned_and_achieved_and_show_who_has_not_reported(
    api: Api
) -> None:
    await _accepted(api, ZZ_SCHOOL_2, [row("3.2", 2, schoolSelf="6")])
    await _accepted(api, LY_SCHOOL, [row("3.2", 4, schoolSelf="10")])
    province, school = await api.token(PROVINCE), await api.token(ZZ_SCHOOL_2)
    await api.data(OPEN_ROUND, {"year": 2021, **_window()}, province)
    line = (await api.data(REPORT, {"year": 2021}, school))["performanceReport"]["lines"][0]
    await api.data(SAVE_REPORT, {"input": {"year": 2021, "version": 0, "entries": [{
        "undertakingId": line["undertaking"]["id"], "completedQuantity": 1,
        "spent": {"schoolSelf": "1.25"}, "progress": "DELAYED"}]}}, school)
    await api.data(TRANSITION, {"year": 2021, "v": 1}, school)

    # By default only accepted reports count as achieved: nothing is accepted yet
    default = await api.data(SUMS, {"year": 2021}, province)
    assert default["performanceSums"] == []
    # Asked to count submitted reports too, planned is taken over the same undertakings
    submitted = {"year": 2021, "reports": ["SUBMITTED", "CITY_APPROVED", "ACCEPTED"]}
    everything = await api.data(SUMS, submitted, province)
    city = await api.data(SUMS, submitted, await api.token(ZHENGZHOU))

    s = everything["performanceSums"][0]
    assert (s["item"]["number"], s["plannedQuantity"], s["achievedQuantity"]) == ("3.2", 2, 1)
    assert s["planned"]["total"] == "6.00" and s["spent"] == {"schoolSelf": "1.25",
                                                               "total": "1.25"}
    assert [(g["label"], g["plannedQuantity"], g["achievedQuantity"]) for g in s["byGroup"]] == [
        ("郑州市", 2, 1)]
    progress = everything["reportingProgress"]
    assert progress["counts"]["total"] == 2 and progress["counts"]["submitted"] == 1
    assert progress["notReported"] == [{"code": LY_SCHOOL}]
    assert [g["label"] for g in city["performanceSums"][0]["byGroup"]] == ["郑州市"]
    assert city["reportingProgress"]["notReported"] == []

    headers = {"Authorization": f"Bearer {province}"}
    export = await api.client.get("/exports/performance.xlsx?year=2021"
                                  "&reportStatuses=submitted,accepted", headers=headers)
    book = load_workbook(io.BytesIO(export.content))
    rows = list(book.worksheets[0].iter_rows(min_row=2, values_only=True))
    assert [(r[0], r[2], r[3], r[4]) for r in rows] == [("3.2", "郑州市", 2, 1)]
    note = dict(book["统计口径"].iter_rows(min_row=2, max_row=2, values_only=True))
    assert note == {"统计的绩效报告状态": "已提交、已确认"}
    default_export = await api.client.get("/exports/performance.xlsx?year=2021",
                                          headers=headers)
    book = load_workbook(io.BytesIO(default_export.content))
    assert list(book.worksheets[0].iter_rows(min_row=2, values_only=True)) == []
    assert book["统计口径"]["B2"].value == "已确认"


async def test_reports_outside_ones_scope_are_not_found(api: Api) -> None:
    await _accepted(api, LY_SCHOOL, [row("3.2", 4)])
    await api.data(OPEN_ROUND, {"year": 2021, **_window()}, await api.token(PROVINCE))
    ly_line = (await api.data(REPORT, {"year": 2021}, await api.token(LY_SCHOOL)))[
        "performanceReport"]["lines"][0]

    other_school = await api.data(REPORT, {"year": 2021, "org": LY_SCHOOL},
                                  await api.token(ZZ_SCHOOL_2))
    neighbour = await api.data(REPORT, {"year": 2021, "org": LY_SCHOOL},
                               await api.token(ZHENGZHOU))
    foreign_line = await api.data(SAVE_REPORT, {"input": {"year": 2021, "version": 0, "entries": [{
        "undertakingId": ly_line["undertaking"]["id"], "completedQuantity": 1, "spent": {},
        "progress": "ON_TRACK"}]}}, await api.token(ZZ_SCHOOL_2))

    assert other_school["performanceReport"] is None
    assert neighbour["performanceReport"] is None
    assert [e["code"] for e in foreign_line["saveReport"]["errors"]] == ["NOT_REPORTABLE"]
