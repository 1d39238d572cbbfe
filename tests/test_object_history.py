"""The gaps in the history (issue 12, point 5): extensions (who, reason, until), catalog
changes, report lines, evidence events and password resets appear in the history of the
object they touch, for whoever sees the object, as declaration rows do."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import PROVINCE, ZHENGZHOU, ZZ_SCHOOL_2, Api
from tests.test_audit_log import CREATE_USER, GRANT, RESET
from tests.test_evidence import DELETE, PDF, YEAR, evidence_of, reporting_school, upload

ENTRY = """
fragment H on HistoryEntry {
  at event actor { username organizationName } reason until itemNumber fileName
  changes { field before after } statusChange rowChange }"""
DECLARATION_HISTORY = """
query($org: String) { declaration(organizationCode: $org) { history { ...H } } }""" + ENTRY
REPORT_HISTORY = """
query($year: Int!, $org: String) { performanceReport(year: $year, organizationCode: $org) {
  history { ...H } } }""" + ENTRY
ENTRY_HISTORY = """
query($n: String!) { taskEntry(number: $n) { number history { ...H } } }""" + ENTRY
USER_HISTORY = """
query($id: ID!) { node(id: $id) { ... on User { username history { ...H } } } }""" + ENTRY
REVOKE = """mutation($org: String!) { revokeExtension(organizationCode: $org) {
  errors { code } } }"""
UPDATE = """
mutation($n: String!, $changes: TaskEntryChangesInput!) {
  updateTaskEntry(number: $n, changes: $changes) { errors { code } } }"""
RETIRE = """mutation($n: String!) { retireTaskEntry(number: $n) { errors { code } } }"""
RESTORE = """mutation($n: String!) { restoreTaskEntry(number: $n) { errors { code } } }"""


def events(history: list[dict[str, Any]]) -> list[str | None]:
    return [h["event"] for h in history if h["event"]]


@pytest.fixture(autouse=True)
def evidence_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "evidence"
    monkeypatch.setenv("EVIDENCE_DIR", str(folder))
    return folder


async def test_an_extension_and_its_end_in_the_declarations_history(api: Api) -> None:
    province = await api.token(PROVINCE)
    until = "2030-01-01T00:00:00+08:00"
    assert (await api.data(GRANT, {"org": ZZ_SCHOOL_2, "until": until},
                           province))["grantExtension"]["errors"] == []
    assert (await api.data(REVOKE, {"org": ZZ_SCHOOL_2}, province))["revokeExtension"][
        "errors"] == []

    seen = {}
    for user in (ZZ_SCHOOL_2, ZHENGZHOU, PROVINCE):
        seen[user] = (await api.data(DECLARATION_HISTORY, {"org": ZZ_SCHOOL_2},
                                     await api.token(user)))["declaration"]["history"]

    history = seen[ZZ_SCHOOL_2]
    assert events(history) == ["EXTENSION_GRANTED", "EXTENSION_REVOKED"]
    granted = history[0]
    assert granted["actor"]["username"] == PROVINCE and granted["reason"] == "材料补交"
    assert granted["until"] == until and granted["statusChange"] is None
    assert seen[ZHENGZHOU] == seen[PROVINCE] == history
    other = await api.post(DECLARATION_HISTORY, {"org": ZZ_SCHOOL_2},
                           await api.token("4199200005"))  # a school of another city
    assert other.get("data", {}).get("declaration") is None


async def test_catalog_changes_in_the_entrys_history(api: Api) -> None:
    province = await api.token(PROVINCE)
    for query, variables in [
            (UPDATE, {"n": "3.3", "changes": {"title": "新的任务名称", "targetQuantity": 7}}),
            (RETIRE, {"n": "3.3"}), (RESTORE, {"n": "3.3"})]:
        answer = await api.data(query, variables, province)
        assert next(iter(answer.values()))["errors"] == [], answer

    school = await api.token(ZZ_SCHOOL_2)
    history = (await api.data(ENTRY_HISTORY, {"n": "3.3"}, school))["taskEntry"]["history"]

    assert events(history) == ["ENTRY_CHANGED", "ENTRY_RETIRED", "ENTRY_RESTORED"]
    changed = {c["field"]: (c["before"], c["after"]) for c in history[0]["changes"]}
    assert changed["title"][1] == "新的任务名称" and changed["target_quantity"][1] == "7"
    assert "level" not in changed  # only what changed
    assert {h["actor"]["username"] for h in history} == {PROVINCE}


async def test_report_lines_and_evidence_in_the_reports_history(api: Api) -> None:
    undertaking = await reporting_school(api)  # the line saved once: completed 1, 2.5 spent
    uploaded = await upload(api, ZZ_SCHOOL_2, undertaking, "成果.pdf", PDF)
    assert uploaded["errors"] == [], uploaded
    [stored] = await evidence_of(api, ZZ_SCHOOL_2)
    deleted = (await api.data(DELETE, {"id": stored["id"]}, await api.token(ZZ_SCHOOL_2)))
    assert deleted["deleteEvidence"]["errors"] == []

    history = (await api.data(REPORT_HISTORY, {"year": YEAR, "org": ZZ_SCHOOL_2},
                              await api.token(ZHENGZHOU)))["performanceReport"]["history"]

    assert events(history) == ["LINE_SAVED", "EVIDENCE_UPLOADED", "EVIDENCE_DELETED"]
    line, up, down = [h for h in history if h["event"]]
    changed = {c["field"]: (c["before"], c["after"]) for c in line["changes"]}
    assert changed["completed_quantity"] == (None, "1") and line["itemNumber"] == "3.2"
    assert changed["narrative"] == (None, "已建成工作室")
    assert up["fileName"] == down["fileName"] == "成果.pdf"
    assert up["actor"]["username"] == down["actor"]["username"] == ZZ_SCHOOL_2


async def test_a_password_reset_in_the_accounts_history(api: Api) -> None:
    province = await api.token(PROVINCE)
    created = (await api.data(CREATE_USER, None, province))["createUser"]
    user_id = created["user"]["id"]
    city = await api.token(ZHENGZHOU)
    assert (await api.data(RESET, {"id": user_id}, city))["resetPassword"]["errors"] == []

    for reader in (province, city):
        node = (await api.data(USER_HISTORY, {"id": user_id}, reader))["node"]
        [reset] = node["history"]
        assert reset["event"] == "PASSWORD_RESET"
        assert reset["actor"]["username"] == ZHENGZHOU
    stranger = (await api.data(USER_HISTORY, {"id": user_id},
                               await api.token("410300")))["node"]  # another city
    assert stranger is None
