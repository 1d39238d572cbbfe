"""The operation log (issue 12, point 1): every mutation, accepted or refused, every login
attempt, every export and download leaves one record, with who, from where, what, on which
objects and with which outcome; no password ever."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from models.audit import AuditRecord
from models.seeding import INITIAL_PASSWORD
from tests.auditing import AUDITOR, auditor_token, read_log
from tests.conftest import (
    LOGIN,
    NEW_PASSWORD,
    PROVINCE,
    ZHENGZHOU,
    ZZ_SCHOOL_2,
    Api,
)
from tests.test_declarations import RETURN, SAVE, SUBMIT, row

CLIENT = "203.0.113.7"  # the test client's address (tests/conftest.py)

GRANT = """
mutation($org: String!, $until: DateTime!) {
  grantExtension(organizationCode: $org, until: $until, reason: "材料补交") {
    errors { code } } }"""
UPDATE_ENTRY = """
mutation($number: String!, $title: String!) {
  updateTaskEntry(number: $number, changes: {title: $title}) { errors { code } } }"""
CREATE_USER = """
mutation { createUser(organizationCode: "4199200002", username: "zz2-clerk") {
  user { id } oneTimePassword errors { code } } }"""
RESET = """mutation($id: ID!) { resetPassword(userId: $id) { oneTimePassword errors { code } } }"""
DISABLE = """mutation($id: ID!) { setUserActive(userId: $id, active: false) { errors { code } } }"""
ACCEPT = """mutation($org: String!) { acceptDeclaration(organizationCode: $org) {
  errors { code } } }"""
LOGOUT = "mutation { logout { ok } }"


async def _save(api: Api, token: str, version: int) -> dict[str, Any]:
    data = await api.data(SAVE, {"input": {"organizationCode": ZZ_SCHOOL_2, "version": version,
                                           "rows": [row("3.2", 2, schoolSelf="6")]}}, token)
    result: dict[str, Any] = data["saveUndertakings"]
    return result


async def twenty_actions(api: Api) -> list[tuple[str, str, str]]:
    """Twenty different actions by four users and one stranger; what each should leave:
    (operation, outcome, username)."""
    school = await api.token(ZZ_SCHOOL_2)                                   # 1, 2
    assert (await _save(api, school, 0))["errors"] == []                    # 3
    assert (await _save(api, school, 0))["errors"][0]["code"] == "CONFLICT"  # 4 refused
    submitted = await api.data(SUBMIT, {"org": ZZ_SCHOOL_2, "v": 1}, school)  # 5
    version = submitted["submitDeclaration"]["declaration"]["version"]
    city = await api.token(ZHENGZHOU)                                       # 6, 7
    returned = await api.data(RETURN, {"org": ZZ_SCHOOL_2, "v": version, "reason": "请补充"},
                              city)                                         # 8
    assert returned["returnDeclaration"]["errors"] == []
    wrong = await api.data(LOGIN, {"u": PROVINCE, "p": "Not-the-pass-9"})  # 9 refused
    assert wrong["login"]["errors"][0]["code"] == "INVALID_CREDENTIALS"
    province = await api.token(PROVINCE)                                    # 10, 11
    granted = await api.data(GRANT, {"org": ZZ_SCHOOL_2, "until": "2030-01-01T00:00:00+08:00"},
                             province)                                      # 12
    assert granted["grantExtension"]["errors"] == []
    updated = await api.data(UPDATE_ENTRY, {"number": "3.2", "title": "改名后的任务"},
                             province)                                      # 13
    assert updated["updateTaskEntry"]["errors"] == []
    created = (await api.data(CREATE_USER, None, province))["createUser"]   # 14
    user_id = created["user"]["id"]
    reset = (await api.data(RESET, {"id": user_id}, city))["resetPassword"]  # 15
    assert reset["errors"] == []
    assert (await api.data(DISABLE, {"id": user_id}, province))["setUserActive"]["errors"] == []
    forbidden = await api.post(ACCEPT, {"org": ZZ_SCHOOL_2}, school)        # 17 refused
    assert forbidden["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    csv = await api.client.get("/exports/progress.csv",
                               headers={"Authorization": f"Bearer {city}"})  # 18
    assert csv.status_code == 200
    refused = await api.client.get("/exports/summary.xlsx",
                                   headers={"Authorization": f"Bearer {school}"})  # 19
    assert refused.status_code == 403
    await api.data(LOGOUT, None, school)                                    # 20
    return [
        ("login", "OK", ZZ_SCHOOL_2), ("changePassword", "OK", ZZ_SCHOOL_2),
        ("saveUndertakings", "OK", ZZ_SCHOOL_2), ("saveUndertakings", "CONFLICT", ZZ_SCHOOL_2),
        ("submitDeclaration", "OK", ZZ_SCHOOL_2),
        ("login", "OK", ZHENGZHOU), ("changePassword", "OK", ZHENGZHOU),
        ("returnDeclaration", "OK", ZHENGZHOU),
        ("login", "INVALID_CREDENTIALS", PROVINCE),
        ("login", "OK", PROVINCE), ("changePassword", "OK", PROVINCE),
        ("grantExtension", "OK", PROVINCE), ("updateTaskEntry", "OK", PROVINCE),
        ("createUser", "OK", PROVINCE), ("resetPassword", "OK", ZHENGZHOU),
        ("setUserActive", "OK", PROVINCE), ("acceptDeclaration", "FORBIDDEN", ZZ_SCHOOL_2),
        ("exportProgress", "OK", ZHENGZHOU), ("exportSummary", "FORBIDDEN", ZZ_SCHOOL_2),
        ("logout", "OK", ZZ_SCHOOL_2),
    ]


async def test_twenty_actions_leave_twenty_records_read_by_the_auditor_alone(api: Api) -> None:
    expected = await twenty_actions(api)
    auditor = await auditor_token(api)

    records = await read_log(api, auditor)

    # The auditor's own login and password change come after the twenty.
    assert [(r["operation"], r["outcome"], r["username"]) for r in records] == [
        *expected, ("login", "OK", AUDITOR), ("changePassword", "OK", AUDITOR)]
    assert [r["seq"] for r in records] == list(range(1, 23))
    assert {r["clientAddress"] for r in records} == {CLIENT}
    for other in (PROVINCE, ZHENGZHOU):
        body = await api.post("{ operationLog { totalCount } }", token=await api.token(other))
        assert body["data"] is None
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_a_record_names_who_where_what_and_the_change(api: Api) -> None:
    school = await api.token(ZZ_SCHOOL_2)
    assert (await _save(api, school, 0))["errors"] == []
    auditor = await auditor_token(api)

    [saved] = await read_log(api, auditor, operation="saveUndertakings")

    assert (saved["kind"], saved["role"], saved["organizationCode"]) == (
        "mutation", "SCHOOL".lower(), ZZ_SCHOOL_2)
    assert json.loads(saved["targets"]) == {"organizationCode": ZZ_SCHOOL_2}
    detail = json.loads(saved["detail"])
    assert detail["arguments"]["input"]["rows"][0]["itemNumber"] == "3.2"
    [change] = detail["changes"]
    assert change["before"] is None and change["after"]["quantity"] == 2
    assert saved["at"].endswith("+08:00")


async def test_a_refused_change_is_recorded_and_changes_nothing(api: Api) -> None:
    school = await api.token(ZZ_SCHOOL_2)
    bad = await api.data(SAVE, {"input": {"organizationCode": ZZ_SCHOOL_2, "version": 0,
                                          "rows": [row("3.2", -1)]}}, school)
    assert bad["saveUndertakings"]["errors"]

    [record] = await AuditRecord.filter(operation="saveUndertakings")

    assert record.outcome == bad["saveUndertakings"]["errors"][0]["code"]
    assert "changes" not in json.loads(record.detail)


async def test_no_password_or_token_reaches_the_log(api: Api) -> None:
    secret = "Never-In-The-Log-42"
    await api.post(LOGIN, {"u": ZZ_SCHOOL_2, "p": secret})
    school = await api.token(ZZ_SCHOOL_2)
    province = await api.token(PROVINCE)
    created = (await api.data(CREATE_USER, None, province))["createUser"]
    reset = (await api.data(RESET, {"id": created["user"]["id"]}, province))["resetPassword"]

    stored = "\n".join(f"{r.username} {r.targets} {r.detail}" for r in await AuditRecord.all())

    for value in (secret, NEW_PASSWORD, school, province, created["oneTimePassword"],
                  reset["oneTimePassword"]):
        assert value not in stored
    assert "<redacted>" in stored


async def test_the_api_offers_no_way_to_change_or_delete_a_record(api: Api) -> None:
    body = await api.data("{ __schema { mutationType { fields { name } } } }")
    names = [f["name"].lower() for f in body["__schema"]["mutationType"]["fields"]]
    assert names and not [n for n in names if "log" in n.replace("login", "").replace(
        "logout", "") or "audit" in n or "record" in n]
    province = await api.token(PROVINCE)
    kept = [r.hash for r in await AuditRecord.all().order_by("seq")]

    attempt = await api.post("mutation { deleteOperationRecord(seq: 1) { ok } }",
                             token=province)

    assert attempt["data"] is None and "deleteOperationRecord" in attempt["errors"][0]["message"]
    assert [r.hash for r in await AuditRecord.all().order_by("seq")] == kept


async def test_status_changes_extensions_and_accounts_keep_before_and_after(api: Api) -> None:
    await twenty_actions(api)

    def changes(operation: str) -> list[dict[str, Any]]:
        return [c for r in records if r.operation == operation
                for c in json.loads(r.detail).get("changes", [])]

    records = await AuditRecord.all().order_by("seq")

    [submitted] = changes("submitDeclaration")
    assert (submitted["before"]["status"], submitted["after"]["status"]) == (
        "draft", "submitted")
    [returned] = changes("returnDeclaration")
    assert returned["after"]["status"] == "returned"
    [granted] = changes("grantExtension")
    assert granted["before"] is None and granted["after"]["reason"] == "材料补交"
    [disabled] = changes("setUserActive")
    assert (disabled["before"], disabled["after"]) == ({"is_active": True}, {"is_active": False})
    [entry] = changes("updateTaskEntry")
    assert entry["after"]["title"] == "改名后的任务" and entry["before"]["title"] != "改名后的任务"


async def test_an_import_is_recorded_and_a_refused_one_is_not(db: None, tmp_path: Path) -> None:
    from models.importer import import_organizations
    from tests.test_import import SCHOOLS, write_csv

    report = await import_organizations(write_csv(tmp_path / "schools.csv", SCHOOLS))
    bad = await import_organizations(write_csv(tmp_path / "bad.csv", [
        SCHOOLS[0], ["x", "", "", "", ""]]))

    assert report.ok and not bad.ok
    [record] = await AuditRecord.filter(operation="importOrgs")
    assert (record.kind, record.username) == ("system", "taskplatform")
    assert json.loads(record.detail)["created"] == report.created > 0


async def test_downloads_of_initial_passwords_are_recorded_with_their_answer(
        api: Api, tmp_path: Path) -> None:
    from models.importer import import_organizations
    from tests.test_import import SCHOOLS, write_csv

    await import_organizations(write_csv(tmp_path / "schools.csv", SCHOOLS))
    province = await api.token(PROVINCE)
    headers = {"Authorization": f"Bearer {province}"}
    first = await api.client.get("/exports/initial-passwords/410000.xlsx", headers=headers)
    second = await api.client.get("/exports/initial-passwords/410000.xlsx", headers=headers)
    stranger = await api.client.get("/exports/initial-passwords/410000.xlsx")

    assert (first.status_code, second.status_code, stranger.status_code) == (200, 404, 401)
    records = await AuditRecord.filter(operation="downloadInitialPasswords").order_by("seq")
    assert [(r.outcome, r.username, r.kind) for r in records] == [
        ("OK", PROVINCE, "download"), ("NOTHING_PENDING", PROVINCE, "download"),
        ("UNAUTHENTICATED", "", "download")]
    assert json.loads(records[0].targets) == {"organizationCode": "410000"}


async def test_a_logins_record_is_written_in_the_logins_own_transaction(
        api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    """One commit for a successful login: its record goes in with its token (and is the
    new user's); a refused login is recorded all the same, in a transaction of its own."""
    from models import audit, fixed_statements
    from models.account import AccessToken
    from models.transaction import open_transaction

    seen: dict[str, list[object]] = {"token": [], "record": []}
    insert, append = fixed_statements.insert, audit.append

    async def inserting(instance: Any) -> Any:
        if isinstance(instance, AccessToken):
            seen["token"].append(open_transaction())
        return await insert(instance)

    async def appending(entry: audit.Entry) -> AuditRecord:
        seen["record"].append(open_transaction())
        return await append(entry)

    monkeypatch.setattr(fixed_statements, "insert", inserting)
    monkeypatch.setattr(audit, "append", appending)
    ok = await api.data(LOGIN, {"u": PROVINCE, "p": INITIAL_PASSWORD})
    assert ok["login"]["errors"] == []
    [token_in], [record_in] = seen["token"], seen["record"]
    assert token_in is not None and record_in is token_in

    wrong = await api.data(LOGIN, {"u": PROVINCE, "p": "Not-the-pass-9"})
    assert wrong["login"]["errors"][0]["code"] == "INVALID_CREDENTIALS"
    assert len(seen["record"]) == 2 and seen["record"][1] is None  # a transaction of its own
    monkeypatch.undo()
    records = await read_log(api, await auditor_token(api), operation="login")
    assert [(r["outcome"], r["username"], r["role"]) for r in records[:2]] == [
        ("OK", PROVINCE, "province_office"), ("INVALID_CREDENTIALS", PROVINCE, None)]
