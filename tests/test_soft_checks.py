"""Soft checks and row comments (issue #11, point 6), over HTTP with real logins.

Warnings, never refusals: a row undertaken with no funding, a quantity or funding more than
the campaign's medianFactor (default 5) times the province's median for the item (over at
least three other undertakers), a report line with more completed than undertaken or more
spent than planned. They answer on save (the row's `warnings`) and in the reviewer's list
`softChecks` (its own schools only). A reviewer comments on one row; the school sees the
comment beside the row, and the form's history lists it.
"""

from __future__ import annotations

from typing import Any

from models import Organization, TaskEntry, Undertaking
from models.enums import OrgKind, SchoolType, TaskLevel
from tests.chain import APPROVE_REPORT, confirm_report
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
from tests.test_evidence import accepted_undertaking, open_round
from tests.test_performance import RETURN, SAVE_REPORT, TRANSITION

ZZ_SCHOOL_3 = "4199200003"
LY_SCHOOL_2 = "4199200006"  # secondary, 洛阳

SAVE = """
mutation($input: SaveUndertakingsInput!) { saveUndertakings(input: $input) {
  declaration { undertakings { id item { number } warnings { code field message } } }
  errors { code } } }"""

DECLARATION = """query($org: String) { declaration(organizationCode: $org) {
  undertakings { id item { number } warnings { code } comments { text author { username
    organizationName } } }
  history { itemNumber comment actor { organizationName } } } }"""

CHECKS = """query($city: String, $year: Int) { softChecks(cityCode: $city, year: $year) {
  school { code } item { number } year warning { code field } } }"""

COMMENT = """mutation($u: ID!, $text: String!, $year: Int) {
  commentOnRow(undertakingId: $u, text: $text, year: $year) {
    comment { text year author { username } } errors { field code message }
    undertaking { comments { text } } } }"""

REPORT = """query($org: String) { performanceReport(year: 2021, organizationCode: $org) {
  lines { undertaking { item { number } } completedQuantity warnings { code field message }
          comments { text year } }
  history { itemNumber comment } } }"""

SETTINGS = """mutation($f: Int) { setReviewSettings(medianFactor: $f) {
  campaign { medianFactor } errors { field code } } }"""


async def save(api: Api, school: str, rows: list[dict[str, Any]]) -> dict[str, Any]:
    token = await api.token(school)
    version = (await api.data("{ declaration { version } }", token=token))["declaration"][
        "version"]
    data = await api.data(SAVE, {"input": {"organizationCode": school, "version": version,
                                           "rows": rows}}, token)
    result: dict[str, Any] = data["saveUndertakings"]
    assert result["errors"] == [], result
    return result


def warnings_of(saved: dict[str, Any], number: str) -> list[str]:
    return [w["code"] for u in saved["declaration"]["undertakings"]
            if u["item"]["number"] == number for w in u["warnings"]]


async def test_a_row_far_above_the_median_or_without_funding_is_flagged_not_refused(
        api: Api) -> None:
    # Given three schools that undertake 3.2 once with 2 万元 each
    for school in (ZZ_SCHOOL, LY_SCHOOL, ZZ_SCHOOL_3):
        await save(api, school, [{"itemNumber": "3.2", "quantity": 1,
                                  "funding": {"schoolSelf": "2"}}])

    # When a fourth saves 3.2 with 10 of them and 50 万元, and 3.3 with no funding
    saved = await save(api, ZZ_SCHOOL_2, [
        {"itemNumber": "3.2", "quantity": 10, "funding": {"schoolSelf": "50"}},
        {"itemNumber": "3.3", "quantity": 1}])

    # Then both rows are saved, with warnings beside them
    assert warnings_of(saved, "3.2") == ["QUANTITY_FAR_ABOVE_MEDIAN", "FUNDING_FAR_ABOVE_MEDIAN"]
    assert warnings_of(saved, "3.3") == ["ZERO_FUNDING"]
    messages = [w["message"] for u in saved["declaration"]["undertakings"] for w in u["warnings"]]
    assert "中位数1的10.0倍" in messages[0] and "请核实" in messages[0]
    # While figures within five times the median pass quietly
    calm = await save(api, ZZ_SCHOOL_2, [
        {"itemNumber": "3.2", "quantity": 5, "funding": {"schoolSelf": "10"}}])
    assert warnings_of(calm, "3.2") == []

    # When the province makes "far" mean more than twice the median
    factor = (await api.data(SETTINGS, {"f": 2}, await api.token(PROVINCE)))["setReviewSettings"]
    assert factor["campaign"]["medianFactor"] == 2
    shown = (await api.data(DECLARATION, {"org": ZZ_SCHOOL_2}, await api.token(ZZ_SCHOOL_2)))
    # Then the same row is flagged
    assert [w["code"] for u in shown["declaration"]["undertakings"]
            if u["item"]["number"] == "3.2" for w in u["warnings"]] == [
        "QUANTITY_FAR_ABOVE_MEDIAN", "FUNDING_FAR_ABOVE_MEDIAN"]
    # And a factor out of bounds is refused
    refused = (await api.data(SETTINGS, {"f": 1}, await api.token(PROVINCE)))
    assert refused["setReviewSettings"]["errors"] == [
        {"field": ["medianFactor"], "code": "INVALID_VALUE"}]


async def test_the_reviewers_list_shows_its_own_schools_flagged_rows(api: Api) -> None:
    # Given a 郑州 school's submitted form with a row without funding, and a draft elsewhere
    await save(api, ZZ_SCHOOL_2, [{"itemNumber": "3.3", "quantity": 1}])
    token = await api.token(ZZ_SCHOOL_2)
    submitted = await api.data("""mutation { submitDeclaration(organizationCode: "4199200002",
      version: 1) { errors { code } } }""", token=token)
    assert submitted["submitDeclaration"]["errors"] == []
    await save(api, LY_SCHOOL, [{"itemNumber": "3.3", "quantity": 1}])  # a draft

    # When 郑州, 洛阳 and the province read their lists
    zhengzhou = (await api.data(CHECKS, {}, await api.token(ZHENGZHOU)))["softChecks"]
    luoyang = (await api.data(CHECKS, {}, await api.token(LUOYANG)))["softChecks"]
    province = (await api.data(CHECKS, {}, await api.token(PROVINCE)))["softChecks"]
    by_school = await api.post(CHECKS, {}, token)

    # Then each sees the submitted row of its own schools; drafts are not reviewed yet
    flagged = [{"school": {"code": ZZ_SCHOOL_2}, "item": {"number": "3.3"}, "year": None,
                "warning": {"code": "ZERO_FUNDING", "field": "funding"}}]
    assert zhengzhou == flagged and province == flagged
    assert luoyang == []
    assert by_school["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_report_lines_above_plan_are_flagged_on_save_and_listed(api: Api) -> None:
    # Given an accepted undertaking of 2 with 5 万元 planned, and the 2021 round open
    undertaking = await accepted_undertaking(api, ZZ_SCHOOL_2, "3.2", 2)
    await open_round(api)
    token = await api.token(ZZ_SCHOOL_2)

    # When the school reports 5 completed and 100 万元 spent
    saved = (await api.data(SAVE_REPORT, {"input": {"year": 2021, "version": 0, "entries": [{
        "undertakingId": undertaking, "completedQuantity": 5,
        "spent": {"schoolSelf": "100"}, "progress": "ON_TRACK"}]}}, token))["saveReport"]

    # Then it is saved, and the line carries both warnings
    assert saved["errors"] == []
    lines = (await api.data(REPORT, {"org": ZZ_SCHOOL_2}, token))["performanceReport"]["lines"]
    assert [(w["code"], w["field"]) for w in lines[0]["warnings"]] == [
        ("ACHIEVED_ABOVE_PLAN", "completedQuantity"), ("SPENT_ABOVE_PLAN", "spent")]
    assert "完成数量5超过承接数量2" in lines[0]["warnings"][0]["message"]
    # And once submitted, the reviewer's list of the year shows them
    submitted = (await api.data(TRANSITION, {"org": ZZ_SCHOOL_2, "year": 2021, "v": 1},
                                token))["submitReport"]
    assert submitted["errors"] == []
    listed = (await api.data(CHECKS, {"year": 2021}, await api.token(ZHENGZHOU)))["softChecks"]
    assert [(r["item"]["number"], r["year"], r["warning"]["code"]) for r in listed] == [
        ("3.2", 2021, "ACHIEVED_ABOVE_PLAN"), ("3.2", 2021, "SPENT_ABOVE_PLAN")]
    missing = await api.post(CHECKS, {"year": 2030}, await api.token(ZHENGZHOU))
    assert missing["errors"][0]["extensions"]["code"] == "NOT_FOUND"


async def _report_above_plan(api: Api, school: str) -> None:
    """The school's accepted 3.2 of 2 (5 万元 planned), its 2021 line saved as 5 done and
    100 万元 spent: both above plan. The round is open."""
    undertaking = await accepted_undertaking(api, school, "3.2", 2)
    saved = (await api.data(SAVE_REPORT, {"input": {"year": 2021, "version": 0, "entries": [{
        "undertakingId": undertaking, "completedQuantity": 5,
        "spent": {"schoolSelf": "100"}, "progress": "ON_TRACK"}]}},
        await api.token(school)))["saveReport"]
    assert saved["errors"] == [], saved


async def test_the_years_list_covers_reports_under_review_and_accepted(api: Api) -> None:
    # Given four schools' 2021 lines above plan: 郑州 school 2's report approved by its city
    # (awaiting the province), school 3's returned; 洛阳's accepted, school 6's a draft
    await open_round(api)
    schools = (ZZ_SCHOOL_2, ZZ_SCHOOL_3, LY_SCHOOL, LY_SCHOOL_2)
    for school in schools:
        await _report_above_plan(api, school)
    for school in schools[:3]:
        sent = (await api.data(TRANSITION, {"org": school, "year": 2021, "v": 1},
                               await api.token(school)))["submitReport"]
        assert sent["errors"] == [], sent
    zhengzhou = await api.token(ZHENGZHOU)
    approved = (await api.data(APPROVE_REPORT, {"org": ZZ_SCHOOL_2, "year": 2021},
                               zhengzhou))["approveReport"]
    assert approved["report"]["status"] == "CITY_APPROVED", approved
    returned = (await api.data(RETURN, {"org": ZZ_SCHOOL_3, "year": 2021, "v": 2},
                               zhengzhou))["returnReport"]
    assert returned["report"]["status"] == "RETURNED", returned
    await confirm_report(api, LY_SCHOOL, 2021)

    # When the province reads the year's list
    listed = (await api.data(CHECKS, {"year": 2021}, await api.token(PROVINCE)))["softChecks"]

    # Then it shows the reports sent up for review and beyond, the one awaiting the
    # province's decision included (the totals' default, accepted reports only, would hide
    # it), and neither the returned report nor the draft
    assert [(r["school"]["code"], r["warning"]["code"]) for r in listed] == [
        (ZZ_SCHOOL_2, "ACHIEVED_ABOVE_PLAN"), (ZZ_SCHOOL_2, "SPENT_ABOVE_PLAN"),
        (LY_SCHOOL, "ACHIEVED_ABOVE_PLAN"), (LY_SCHOOL, "SPENT_ABOVE_PLAN")]


async def test_a_reviewer_comments_on_a_row_and_the_school_sees_it_beside_the_row(
        api: Api) -> None:
    # Given a 郑州 school's saved row 3.2
    saved = await save(api, ZZ_SCHOOL_2, [{"itemNumber": "3.2", "quantity": 2,
                                           "funding": {"schoolSelf": "4"}}])
    row = saved["declaration"]["undertakings"][0]["id"]

    # When its city bureau comments on the row
    said = (await api.data(COMMENT, {"u": row, "text": "  请补充经费来源说明  "},
                           await api.token(ZHENGZHOU)))["commentOnRow"]

    # Then the comment is kept, trimmed, and the school sees it beside the row and in history
    assert said["errors"] == []
    assert said["comment"] == {"text": "请补充经费来源说明", "year": None,
                               "author": {"username": ZHENGZHOU}}
    assert said["undertaking"]["comments"] == [{"text": "请补充经费来源说明"}]
    shown = (await api.data(DECLARATION, {"org": ZZ_SCHOOL_2}, await api.token(ZZ_SCHOOL_2)))[
        "declaration"]
    assert shown["undertakings"][0]["comments"] == [{
        "text": "请补充经费来源说明",
        "author": {"username": ZHENGZHOU, "organizationName": "郑州市教育局"}}]
    assert [(h["itemNumber"], h["comment"], h["actor"]["organizationName"])
            for h in shown["history"] if h["comment"]] == [
        ("3.2", "请补充经费来源说明", "郑州市教育局")]
    # While another city sees no such row, a school cannot comment, and an empty text is refused
    neighbour = (await api.data(COMMENT, {"u": row, "text": "看看"}, await api.token(LUOYANG)))
    assert [e["code"] for e in neighbour["commentOnRow"]["errors"]] == ["NOT_FOUND"]
    by_school = await api.post(COMMENT, {"u": row, "text": "自评"},
                               await api.token(ZZ_SCHOOL_2))
    assert by_school["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    empty = (await api.data(COMMENT, {"u": row, "text": "   "}, await api.token(PROVINCE)))
    assert [(e["field"], e["code"]) for e in empty["commentOnRow"]["errors"]] == [
        (["text"], "INVALID_VALUE")]


async def test_a_comment_on_a_report_line_stays_with_that_year(api: Api) -> None:
    # Given an accepted undertaking with its 2021 line saved
    undertaking = await accepted_undertaking(api, ZZ_SCHOOL_2, "3.2", 2)
    await open_round(api)
    token = await api.token(ZZ_SCHOOL_2)
    before = await api.data(COMMENT, {"u": undertaking, "text": "请上传佐证", "year": 2021},
                            await api.token(PROVINCE))
    assert [e["code"] for e in before["commentOnRow"]["errors"]] == ["ENTRY_NOT_SAVED"]
    saved = (await api.data(SAVE_REPORT, {"input": {"year": 2021, "version": 0, "entries": [{
        "undertakingId": undertaking, "completedQuantity": 1, "spent": {},
        "progress": "ON_TRACK"}]}}, token))["saveReport"]
    assert saved["errors"] == []

    # When the province comments on the 2021 line
    said = await api.data(COMMENT, {"u": undertaking, "text": "请上传佐证", "year": 2021},
                          await api.token(PROVINCE))

    # Then the line shows it, the report's history lists it, the declaration row does not
    assert said["commentOnRow"]["errors"] == []
    report = (await api.data(REPORT, {"org": ZZ_SCHOOL_2}, token))["performanceReport"]
    assert report["lines"][0]["comments"] == [{"text": "请上传佐证", "year": 2021}]
    assert [(h["itemNumber"], h["comment"]) for h in report["history"] if h["comment"]] == [
        ("3.2", "请上传佐证")]
    declared = (await api.data(DECLARATION, {"org": ZZ_SCHOOL_2}, token))["declaration"]
    assert declared["undertakings"][0]["comments"] == []


ROW_DETAIL = """{ organization(code: "410100") { children {
  undertakings { warnings { code } comments { text } certificationHistory { result } } } } }"""


async def _add_schools(count: int) -> None:
    city = await Organization.get(code=ZHENGZHOU)
    items = await TaskEntry.filter(level=TaskLevel.SCHOOL, for_secondary=True).order_by(
        "sort_key").limit(3)
    start = await Organization.filter(kind=OrgKind.SCHOOL).count()
    for n in range(count):
        school = await Organization.create(
            code=f"41981{start + n:05d}", name=f"批量学校{n}", kind=OrgKind.SCHOOL,
            parent=city, school_type=SchoolType.SECONDARY)
        for item in items:
            await Undertaking.create(organization=school, item=item, quantity=1)


async def test_row_warnings_comments_and_decisions_are_batched(
        api: Api, count_sql: StatementCounter) -> None:
    # Given 10, then 40 more schools of 郑州 with three rows each (no funding: all flagged)
    token = await api.token(PROVINCE)

    async def statements() -> tuple[int, int]:
        count_sql.statements.clear()
        data = await api.data(ROW_DETAIL, token=token)
        rows = [u for c in data["organization"]["children"] for u in c["undertakings"]]
        assert all(u["warnings"] == [{"code": "ZERO_FUNDING"}] for u in rows)
        return len(count_sql.statements), len(rows)

    await _add_schools(10)
    few, rows_few = await statements()
    await _add_schools(40)
    many, rows_many = await statements()

    # Then the SQL count does not grow with the rows
    assert rows_many - rows_few == 120
    assert many == few, count_sql.statements
