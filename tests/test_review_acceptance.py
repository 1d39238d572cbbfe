"""Issue #11, "How it is checked", walked end to end as new users would, through the GraphQL
endpoint and the downloads, with real logins (imported schools included, with the one-time
passwords the province hands out):

a school submits, its city approves, the province accepts; the province reopens it and the
school corrects it; a draft never shows in a default total but shows when asked for; a
catalog change that would break an accepted must-undertake-all school is refused; a city
approves 10 forms in one call; the 2024 round certifies 1 of 2 studios and the 公示 export
shows it.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from openpyxl import load_workbook

from models.importer import import_organizations
from tests import log_secrecy
from tests.conftest import (
    CHANGE_PASSWORD,
    HIGHER_SCHOOL,
    LY_SCHOOL,
    NEW_PASSWORD,
    PROVINCE,
    ZHENGZHOU,
    ZZ_SCHOOL_2,
    Api,
)
from tests.test_catalog_upkeep import keep_window_open
from tests.test_certification import open_certification
from tests.test_import import HEADER, write_csv
from tests.test_mandatory_rules import declare_everything

FORM = """query($org: String) { declaration(organizationCode: $org) {
  status version returnReason undertakings { id quantity item { number } }
  history { statusChange reason actor { organizationName } } } }"""

SAVE = """mutation($org: String!, $v: Int!, $rows: [UndertakingRowInput!]!) {
  saveUndertakings(input: {organizationCode: $org, version: $v, rows: $rows}) {
    declaration { version } errors { code message } } }"""

SUBMIT = """mutation($org: String!, $v: Int!) { submitDeclaration(organizationCode: $org,
  version: $v) { declaration { status version } errors { code message } } }"""

APPROVE = """mutation($org: String!) { approveDeclaration(organizationCode: $org,
  remark: "材料齐全") { declaration { status } errors { code message } } }"""

ACCEPT = """mutation($org: String!) { acceptDeclaration(organizationCode: $org) {
  declaration { status } errors { code message } } }"""

REOPEN = """mutation($org: String!, $reason: String!) { reopenDeclaration(
  organizationCode: $org, reason: $reason) { declaration { status editable returnReason }
  errors { code message } } }"""

SUMS = """query($statuses: [DeclarationStatus!]) { undertakingSums(statuses: $statuses) {
  item { number } organizations quantity } }"""

ADD = """mutation { addTaskEntry(number: "3.4", title: "培育劳动教育特色项目", level: SCHOOL,
  schoolTypes: [HIGHER]) { entry { number } errors { field code message } } }"""

BULK = """mutation($codes: [String!]!) { reviewDeclarations(action: APPROVE,
  organizationCodes: $codes) { declarations { organizationCode declaration { status }
  errors { code } } errors { code } } }"""

CERTIFY = """mutation($u: ID!) { certifyUndertaking(undertakingId: $u, result: CERTIFIED,
  certifiedQuantity: 1, remarks: "1个工作室通过认定") {
  certification { result certifiedQuantity } errors { code message } } }"""

LOGIN = """mutation($u: String!, $p: String!) { login(username: $u, password: $p) {
  token errors { code } } }"""


async def as_user(api: Api, user: str, query: str, **variables: Any) -> dict[str, Any]:
    return await api.data(query, variables, await api.token(user))


async def form(api: Api, school: str) -> dict[str, Any]:
    return dict((await as_user(api, school, FORM, org=school))["declaration"])


async def save_and_submit(api: Api, school: str, rows: list[dict[str, Any]]) -> None:
    version = (await form(api, school))["version"]
    saved = (await as_user(api, school, SAVE, org=school, v=version, rows=rows))[
        "saveUndertakings"]
    assert saved["errors"] == [], saved
    submitted = (await as_user(api, school, SUBMIT, org=school,
                               v=saved["declaration"]["version"]))["submitDeclaration"]
    assert submitted["errors"] == [] and submitted["declaration"]["status"] == "SUBMITTED"


def sums_of(data: dict[str, Any], number: str) -> tuple[int, int]:
    found = [(s["organizations"], s["quantity"]) for s in data["undertakingSums"]
             if s["item"]["number"] == number]
    return found[0] if found else (0, 0)


async def first_login(api: Api, username: str, one_time: str) -> None:
    """An imported school's clerk logs in with the handed-out password and replaces it."""
    login = (await api.data(LOGIN, {"u": username, "p": one_time}))["login"]
    assert login["errors"] == [], login
    changed = await api.data(CHANGE_PASSWORD, {"old": one_time, "new": NEW_PASSWORD},
                             login["token"])
    assert changed["changePassword"]["errors"] == []
    api.tokens[username] = login["token"]


async def test_how_it_is_checked(api: Api, tmp_path: Path) -> None:
    await keep_window_open()
    stud = [{"itemNumber": "3.2", "quantity": 3, "funding": {"schoolSelf": "6"}}]

    # A school submits, its city approves (审核通过), the province accepts (已确认)
    await save_and_submit(api, ZZ_SCHOOL_2, stud)
    approved = (await as_user(api, ZHENGZHOU, APPROVE, org=ZZ_SCHOOL_2))["approveDeclaration"]
    assert approved == {"declaration": {"status": "CITY_APPROVED"}, "errors": []}
    accepted = (await as_user(api, PROVINCE, ACCEPT, org=ZZ_SCHOOL_2))["acceptDeclaration"]
    assert accepted == {"declaration": {"status": "ACCEPTED"}, "errors": []}

    # The province reopens it with a reason, and the school corrects it (2 studios, not 3)
    reopened = (await as_user(api, PROVINCE, REOPEN, org=ZZ_SCHOOL_2,
                              reason="工作室数量应为2个"))["reopenDeclaration"]
    assert reopened["errors"] == []
    assert reopened["declaration"]["status"] == "RETURNED" and reopened["declaration"][
        "editable"]
    assert "工作室数量应为2个" in reopened["declaration"]["returnReason"]
    await save_and_submit(api, ZZ_SCHOOL_2, [{**stud[0], "quantity": 2}])
    assert (await as_user(api, ZHENGZHOU, APPROVE, org=ZZ_SCHOOL_2))["approveDeclaration"][
        "errors"] == []
    assert (await as_user(api, PROVINCE, ACCEPT, org=ZZ_SCHOOL_2))["acceptDeclaration"][
        "errors"] == []
    corrected = await form(api, ZZ_SCHOOL_2)
    assert (corrected["status"], corrected["returnReason"]) == ("ACCEPTED", None)
    assert [u["quantity"] for u in corrected["undertakings"]] == [2]
    assert [(h["statusChange"], h["actor"]["organizationName"]) for h in corrected["history"]
            if h["statusChange"]] == [
        ("SUBMIT", "【演示】郑州市第2中等职业学校"), ("APPROVE", "郑州市教育局"),
        ("ACCEPT", "河南省教育厅职成教处"), ("REOPEN", "河南省教育厅职成教处"),
        ("SUBMIT", "【演示】郑州市第2中等职业学校"), ("APPROVE", "郑州市教育局"),
        ("ACCEPT", "河南省教育厅职成教处")]

    # A draft never shows in a default total, but shows when asked for
    version = (await form(api, LY_SCHOOL))["version"]
    draft = await as_user(api, LY_SCHOOL, SAVE, org=LY_SCHOOL, v=version,
                          rows=[{"itemNumber": "3.2", "quantity": 5}])
    assert draft["saveUndertakings"]["errors"] == []
    default = await as_user(api, PROVINCE, SUMS)
    asked = await as_user(api, PROVINCE, SUMS, statuses=["DRAFT", "ACCEPTED"])
    assert sums_of(default, "3.2") == (1, 2)
    assert sums_of(asked, "3.2") == (2, 7)

    # A catalog change that would break an accepted must-undertake-all school is refused
    await declare_everything(api, HIGHER_SCHOOL)
    assert (await as_user(api, PROVINCE, ACCEPT, org=HIGHER_SCHOOL))["acceptDeclaration"][
        "errors"] == []
    refused = (await as_user(api, PROVINCE, ADD))["addTaskEntry"]
    assert refused["entry"] is None
    assert [e["code"] for e in refused["errors"]] == ["MANDATORY_RULE_BROKEN"]
    assert HIGHER_SCHOOL in refused["errors"][0]["message"]

    # A city approves 10 forms in one call: ten schools imported under 郑州, their one-time
    # passwords handed out by the province, each clerk logs in and submits
    codes = [f"41019{n:05d}" for n in range(1, 11)]
    report = await import_organizations(write_csv(tmp_path / "schools.csv", [
        HEADER, *[[c, f"郑州新增职业学校{n}", "中职", "郑州市", "否"]
                  for n, c in enumerate(codes, 1)]]))
    assert report.ok and report.accounts_created == 10, report.errors
    sheet = await api.client.get("/exports/initial-passwords/410100.xlsx", headers={
        "Authorization": f"Bearer {await api.token(PROVINCE)}"})
    assert sheet.status_code == 200
    passwords = {str(r[0]): str(r[2]) for r in load_workbook(io.BytesIO(sheet.content)).active
                 .iter_rows(min_row=4, values_only=True) if r and r[0]}
    assert set(passwords) == set(codes)
    for code in codes:
        log_secrecy.remember(passwords[code])
        await first_login(api, code, passwords[code])
        await save_and_submit(api, code, [{"itemNumber": "3.2", "quantity": 1,
                                           "funding": {"schoolSelf": "1"}}])
    bulk = (await as_user(api, ZHENGZHOU, BULK, codes=codes))["reviewDeclarations"]
    assert bulk["errors"] == []
    assert {r["organizationCode"]: (r["declaration"]["status"], r["errors"])
            for r in bulk["declarations"]} == {c: ("CITY_APPROVED", []) for c in codes}

    # The 2024 round certifies 1 of 2 studios, and the 公示 export shows it
    await open_certification(api)
    studio = corrected["undertakings"][0]["id"]
    certified = (await as_user(api, PROVINCE, CERTIFY, u=studio))["certifyUndertaking"]
    assert certified == {"certification": {"result": "CERTIFIED", "certifiedQuantity": 1},
                         "errors": []}
    public = await api.client.get("/exports/certification-public.xlsx?year=2024", headers={
        "Authorization": f"Bearer {await api.token(PROVINCE)}"})
    assert public.status_code == 200
    rows = list(load_workbook(io.BytesIO(public.content))["公示名单"].iter_rows(
        min_row=4, values_only=True))
    assert rows == [(1, "3.2", "培育遴选100个左右名班主任工作室", "【演示】郑州市第2中等职业学校",
                     "郑州市", 1, "个")]
