"""The auditor (审计管理员, issue 12, point 4): made at set-up by `taskplatform create-auditor`,
it reads and exports the operation log (filters by time, user, organisation, operation,
outcome; xlsx and CSV) and nothing else; the province office cannot read the log."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import re
from datetime import datetime

import openpyxl
import pytest

from tests.auditing import LOG, auditor_token, read_log
from tests.conftest import LOGIN, PROVINCE, ZHENGZHOU, ZZ_SCHOOL, ZZ_SCHOOL_2, Api
from tests.test_audit_chain import cli
from tests.test_audit_log import twenty_actions

DOMAIN_READS = [
    '{ organization(code: "410000") { name children { code } } }',
    "{ organizations(first: 5) { totalCount } }",
    "{ taskCatalog { number } }",
    '{ declaration(organizationCode: "4199200001") { status } }',
    "{ declarationProgress { counts { __typename } } }",
    '{ node(id: "T3JnYW5pemF0aW9uOjE=") { id } }',
]
DOMAIN_DOWNLOADS = ["/exports/summary.xlsx", "/exports/progress.csv",
                    f"/exports/declarations/{ZZ_SCHOOL}.xlsx", "/files/evidence/1",
                    "/exports/initial-passwords/410100.xlsx"]


def _code(body: dict[str, object]) -> str:
    errors = body["errors"]
    assert isinstance(errors, list)
    return str(errors[0]["extensions"]["code"])


@pytest.mark.parametrize("query", DOMAIN_READS)
async def test_the_auditor_reads_nothing_of_the_platforms_data(api: Api, query: str) -> None:
    auditor = await auditor_token(api)
    province = await api.token(PROVINCE)

    denied = await api.post(query, token=auditor)
    allowed = await api.post(query, token=province)

    assert _code(denied) == "FORBIDDEN", denied
    assert "errors" not in allowed or _code(allowed) != "FORBIDDEN", allowed


async def test_the_auditor_changes_nothing_and_downloads_nothing_else(api: Api) -> None:
    auditor = await auditor_token(api)
    save = await api.post('mutation { saveUndertakings(input: {organizationCode: "410000",'
                          ' version: 0, rows: []}) { errors { code } } }', token=auditor)
    reset = await api.post('mutation { createUser(organizationCode: "410100", username:'
                           ' "x-clerk") { errors { code } } }', token=auditor)
    assert _code(save) == _code(reset) == "FORBIDDEN"
    for path in DOMAIN_DOWNLOADS:
        answer = await api.client.get(path, headers={"Authorization": f"Bearer {auditor}"})
        assert answer.status_code == 403, path
    me = await api.data("{ me { username role organization { code } } }", token=auditor)
    assert me["me"]["role"] == "AUDITOR" and me["me"]["organization"]["code"] == PROVINCE


async def test_nobody_but_the_auditor_reads_or_exports_the_log(api: Api) -> None:
    await auditor_token(api)
    for user in (PROVINCE, ZHENGZHOU, ZZ_SCHOOL):
        token = await api.token(user)
        assert _code(await api.post(LOG, {}, token)) == "FORBIDDEN"
        for path in ("/exports/operation-log.csv", "/exports/operation-log.xlsx"):
            answer = await api.client.get(path, headers={"Authorization": f"Bearer {token}"})
            assert answer.status_code == 403
    assert _code(await api.post(LOG, {})) == "UNAUTHENTICATED"


async def test_an_auditor_must_change_the_one_time_password_first(api: Api) -> None:
    from models.accounts import create_auditor
    from tests import log_secrecy

    _, password = await create_auditor("auditor2")
    log_secrecy.remember(password)
    login = await api.login("auditor2", password)
    assert login["user"]["mustChangePassword"] is True

    body = await api.post(LOG, {}, login["token"])

    assert _code(body) == "PASSWORD_CHANGE_REQUIRED"


async def test_the_log_is_filtered_by_time_user_organisation_operation_outcome(api: Api
                                                                             ) -> None:
    await twenty_actions(api)
    auditor = await auditor_token(api)
    everything = await read_log(api, auditor)
    middle = everything[9]["at"]

    by_user = await read_log(api, auditor, username=ZHENGZHOU)
    by_org = await read_log(api, auditor, organizationCode=ZZ_SCHOOL_2)
    by_operation = await read_log(api, auditor, operation="login")
    by_outcome = await read_log(api, auditor, outcome="FORBIDDEN")
    since = await read_log(api, auditor, since=middle)
    until = await read_log(api, auditor, until=middle)
    both = await read_log(api, auditor, operation="login", outcome="OK", since=middle)
    about_school = await read_log(api, auditor, target=ZZ_SCHOOL_2)
    about_prefix = await read_log(api, auditor, target=ZZ_SCHOOL_2[:-1])

    assert {r["username"] for r in by_user} == {ZHENGZHOU} and len(by_user) == 5
    assert {r["organizationCode"] for r in by_org} == {ZZ_SCHOOL_2} and len(by_org) == 8
    assert {r["operation"] for r in by_operation} == {"login"} and len(by_operation) == 5
    assert [r["operation"] for r in by_outcome] == ["acceptDeclaration", "exportSummary"]
    assert len(since) + len(until) == len(everything)
    at = datetime.fromisoformat
    assert all(at(r["at"]) >= at(middle) for r in since)
    assert all(at(r["at"]) < at(middle) for r in until) and until
    assert all(r["operation"] == "login" and r["outcome"] == "OK" for r in both)
    # Whoever touched the school: its own saves, the city's return, the province's extension
    assert {r["operation"] for r in about_school} >= {
        "saveUndertakings", "submitDeclaration", "returnDeclaration", "grantExtension"}
    assert {r["operation"] for r in about_school} & {"updateTaskEntry", "exportProgress"} == set()
    assert about_prefix == []  # a whole code, not a part of one


async def test_the_log_pages_by_keyset(api: Api) -> None:
    await twenty_actions(api)
    auditor = await auditor_token(api)
    seen: list[int] = []
    after = None
    while True:
        data = await api.data(LOG, {"first": 7, "after": after}, auditor)
        page = data["operationLog"]
        seen += [e["node"]["seq"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    newest = await api.data(LOG, {"last": 1}, auditor)

    assert seen == list(range(1, len(seen) + 1)) and len(seen) >= 22
    assert newest["operationLog"]["edges"][0]["node"]["seq"] == seen[-1]
    assert data["operationLog"]["totalCount"] == len(seen)


async def test_the_auditor_exports_the_log_as_csv_and_xlsx(api: Api) -> None:
    # A user name typed as a spreadsheet formula is shown as text, never run.
    await api.post(LOGIN, {"u": "=HYPERLINK(\"http://x\")", "p": "Whatever-123"})
    await twenty_actions(api)
    auditor = await auditor_token(api)
    headers = {"Authorization": f"Bearer {auditor}"}

    csv_answer = await api.client.get("/exports/operation-log.csv",
                                      params={"operation": "login"}, headers=headers)
    xlsx_answer = await api.client.get("/exports/operation-log.xlsx", headers=headers)

    assert csv_answer.status_code == 200, csv_answer.text
    rows = list(csv.reader(io.StringIO(csv_answer.content.decode("utf-8-sig"))))
    assert rows[0][:5] == ["序号", "时间", "类别", "操作", "结果"]
    assert {r[3] for r in rows[1:]} == {"login"} and len(rows) - 1 == 6
    assert rows[1][5] == "'=HYPERLINK(\"http://x\")"
    book = openpyxl.load_workbook(io.BytesIO(xlsx_answer.content))
    sheet = book["操作日志"]
    operations = [row[3] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert operations[:3] == ["login", "login", "changePassword"]
    assert all(not str(c).startswith("=") for row in sheet.iter_rows(values_only=True)
               for c in row if c is not None)
    # The exports themselves are in the log.
    exports = await read_log(api, auditor, operation="exportOperationLog")
    assert [(e["outcome"], e["kind"]) for e in exports] == [("OK", "export")] * 2
    assert json.loads(exports[0]["detail"])["arguments"] == {"operation": "login"}


async def test_a_bad_filter_is_refused_with_a_code(api: Api) -> None:
    auditor = await auditor_token(api)
    too_long = await api.post(LOG, {"filter": {"operation": "x" * 65}}, auditor)
    bad_time = await api.client.get("/exports/operation-log.csv", params={"since": "soon"},
                                    headers={"Authorization": f"Bearer {auditor}"})

    assert _code(too_long) == "BAD_USER_INPUT"
    assert bad_time.status_code == 400 and bad_time.json()["error"]["code"] == "BAD_USER_INPUT"


async def test_create_auditor_prints_a_one_time_password_once(api: Api, orm: str) -> None:
    made = await asyncio.to_thread(cli, orm, "create-auditor", "auditor9")
    again = await asyncio.to_thread(cli, orm, "create-auditor", "auditor9")

    assert made.returncode == 0, made.stderr
    found = re.search(r"一次性密码.*：(\S+)", made.stdout)
    assert found
    password = found.group(1)
    from tests import log_secrecy
    log_secrecy.remember(password)
    assert again.returncode == 1 and "已存在" in again.stderr and password not in again.stdout
    login = await api.login("auditor9", password)
    assert login["errors"] == [] and login["user"]["role"] == "AUDITOR"
    assert login["user"]["mustChangePassword"] is True


async def test_the_province_cannot_take_over_or_disable_an_auditor(api: Api) -> None:
    auditor = await auditor_token(api)
    province = await api.token(PROVINCE)
    users = (await api.data('{ organization(code: "410000") { users { id username role } } }',
                            token=province))["organization"]["users"]
    [account] = [u for u in users if u["role"] == "AUDITOR"]

    reset = await api.data("mutation($id: ID!) { resetPassword(userId: $id) {"
                           " oneTimePassword errors { code } } }", {"id": account["id"]},
                           province)
    disabled = await api.data("mutation($id: ID!) { setUserActive(userId: $id, active: false)"
                              " { errors { code message } } }", {"id": account["id"]}, province)

    assert reset["resetPassword"]["oneTimePassword"] is None
    assert reset["resetPassword"]["errors"][0]["code"] == "FORBIDDEN"
    assert disabled["setUserActive"]["errors"][0]["code"] == "FORBIDDEN"
    assert "taskplatform" in disabled["setUserActive"]["errors"][0]["message"]
    assert len(await read_log(api, auditor)) > 0  # the auditor's session still stands
    refused = await read_log(api, auditor, outcome="FORBIDDEN")
    assert [r["operation"] for r in refused] == ["resetPassword", "setUserActive"]
