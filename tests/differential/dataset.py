"""A rich dataset for the differential tests, built through the API as users would: every
declaration status, undertakings with funding in several cities and directly under the
province, provincial items, history, an extension, change requests pending, approved and
rejected, two years of reports with lines and evidence, certification results."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.conftest import (
    HIGHER_SCHOOL,
    LUOYANG,
    LY_SCHOOL,
    PROVINCE,
    ZHENGZHOU,
    ZZ_SCHOOL,
    ZZ_SCHOOL_2,
    Api,
)
from tests.test_certification import open_certification
from tests.test_change_requests import DECIDE, REQUEST, SET_WINDOW
from tests.test_declarations import RETURN, SUBMIT, row, save
from tests.test_evidence import OPEN_ROUND, PDF, PNG, SAVE_REPORT, SUBMIT_REPORT, UPLOAD, iso

ZZ_SCHOOL_3 = "4199200003"  # secondary, 郑州: submitted, waiting for review
KF_SCHOOL = "4199200008"  # secondary, 焦作: accepted, a change approved
LY_SCHOOL_2 = "4199200006"  # secondary, 洛阳: never replaced its initial password
HIGHER_ZZ = "4199000005"  # higher vocational, 郑州: accepted, withdrawal rejected
NX_SCHOOL = "4199200009"  # secondary, 许昌: submitted, then took it back (draft)

APPROVE = """
mutation($org: String!) { approveDeclaration(organizationCode: $org) { errors { code } } }"""

ACCEPT_AS_IS = """
mutation($org: String!) { acceptDeclaration(organizationCode: $org) { errors { code } } }"""

WITHDRAW = """
mutation($org: String!, $v: Int!) {
  withdrawDeclaration(organizationCode: $org, version: $v) { errors { code } } }"""

GRANT = """
mutation($org: String!, $until: DateTime!, $reason: String) {
  grantExtension(organizationCode: $org, until: $until, reason: $reason) { errors { code } } }"""

DECLARED = """
query($org: String) { declaration(organizationCode: $org) {
  version undertakings { id item { number } } } }"""

ITEMS = """
query($t: SchoolType) { taskCatalog(schoolType: $t) {
  number level children { number level } } }"""

RETURN_REPORT = """
mutation($org: String!, $year: Int!, $v: Int!, $reason: String!) {
  returnReport(organizationCode: $org, year: $year, version: $v, reason: $reason) {
    errors { code } } }"""

APPROVE_REPORT = """
mutation($org: String!, $year: Int!) {
  approveReport(organizationCode: $org, year: $year) { errors { code } } }"""

ACCEPT_REPORT = """
mutation($org: String!, $year: Int!) {
  acceptReport(organizationCode: $org, year: $year) { errors { code } } }"""

ADD_ENTRY = """
mutation($title: String!) {
  addTaskEntry(number: "57", title: $title, level: SCHOOL, schoolTypes: [SECONDARY, HIGHER],
               targetQuantity: 7, targetUnit: "个") { errors { code message } } }"""

CREATE_USER = """
mutation($org: String!, $name: String!) {
  createUser(organizationCode: $org, username: "zz2-teacher", displayName: $name) {
    user { id } errors { code message } } }"""

RESET_PASSWORD = """
mutation($id: ID!) { resetPassword(userId: $id) { errors { code } } }"""

CHANGE_ENTRY = """
mutation($title: String!) {
  updateTaskEntry(number: "57", changes: {title: $title}) { errors { code message } } }"""

# Text the JSON writers of the database and of Python must escape alike: quotes, backslash,
# slash, newline, tab, a character outside the BMP, the JavaScript line separator, markup.
TRICKY = '"引号" \\ 反斜杠 / 斜杠\n换行\t制表 😀 \u2028 <b>&amp;</b> \u00e9'

CERTIFY = """
mutation($u: ID!, $result: CertificationResult!, $remarks: String!) {
  certifyUndertaking(undertakingId: $u, result: $result, remarks: $remarks) {
    errors { code } } }"""


NOTIFY = """
mutation($title: String!, $body: String!, $audience: NoticeAudienceInput!) {
  sendNotice(title: $title, body: $body, audience: $audience) { notice { id } errors { code } } }"""

SCHEDULE = """
mutation($days: [Int!]!, $year: Int) {
  scheduleReminders(daysBefore: $days, year: $year) { errors { code } } }"""

READ_NOTICE = """
mutation($id: ID!) { markNoticeRead(id: $id) { errors { code } } }"""


@dataclass
class Dataset:
    """What the generated and hand-written documents refer to."""

    tokens: dict[str, str | None] = field(default_factory=dict)  # role -> token
    undertakings: dict[tuple[str, str], str] = field(default_factory=dict)  # (org, item) -> id
    change_requests: list[str] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    campaign: str = ""


def _ok(payload: dict[str, Any], name: str) -> dict[str, Any]:
    result: dict[str, Any] = payload[name]
    assert result["errors"] == [], result
    return result


async def _flow(api: Api, school: str, rows: list[dict[str, Any]], *, to: str,
                city: str | None = None) -> None:
    """Save a school's rows, then take its declaration to `to`."""
    assert (await save(api, school, school, 0, rows))["errors"] == []
    if to == "DRAFT":
        return
    token = await api.token(school)
    _ok(await api.data(SUBMIT, {"org": school, "v": 1}, token), "submitDeclaration")
    province = await api.token(PROVINCE)
    if to == "WITHDRAWN":
        _ok(await api.data(WITHDRAW, {"org": school, "v": 2}, token), "withdrawDeclaration")
    elif to == "RETURNED":
        # Returned by its own city bureau (Luoyang: the only school sent back here).
        _ok(await api.data(RETURN, {"org": school, "v": 2, "reason": "经费来源填写不完整"},
                           await api.token(LUOYANG)), "returnDeclaration")
    elif to == "ACCEPTED":
        if city is not None:  # a city's school is approved by its bureau first
            _ok(await api.data(APPROVE, {"org": school}, await api.token(city)),
                "approveDeclaration")
        _ok(await api.data(ACCEPT_AS_IS, {"org": school}, province), "acceptDeclaration")


async def _undertakings(api: Api, data: Dataset, org: str) -> dict[str, str]:
    declared = (await api.data(DECLARED, {"org": org}, await api.token(PROVINCE)))["declaration"]
    ids = {u["item"]["number"]: u["id"] for u in declared["undertakings"]}
    data.undertakings.update({(org, number): i for number, i in ids.items()})
    return ids


async def _school_items(api: Api, school_type: str) -> list[str]:
    entries = (await api.data(ITEMS, {"t": school_type}, await api.token(PROVINCE)))[
        "taskCatalog"]
    numbers = []
    for entry in entries:
        for e in [entry, *entry["children"]]:
            if e["level"] == "SCHOOL" and (e is not entry or not entry["children"]):
                numbers.append(e["number"])
    return numbers


async def _upload(api: Api, school: str, undertaking: str, name: str, content: bytes) -> str:
    operations = {"query": UPLOAD, "variables": {"u": undertaking, "year": 2021, "file": None}}
    response = await api.client.post(
        "/graphql", headers={"Authorization": f"Bearer {await api.token(school)}"},
        data={"operations": json.dumps(operations), "map": json.dumps({"0": ["variables.file"]})},
        files={"0": (name, content, "application/octet-stream")})
    result = _ok(response.json()["data"], "uploadEvidence")
    return str(result["evidence"]["id"])


async def _report(api: Api, school: str, year: int, lines: list[tuple[str, int, str]]) -> None:
    entries = [{"undertakingId": u, "completedQuantity": q, "spent": {"schoolSelf": spent,
                "enterprise": "0.5"}, "progress": "ON_TRACK", "narrative": f"{year}年度进展"}
               for u, q, spent in lines]
    _ok(await api.data(SAVE_REPORT, {"input": {"year": year, "version": 0, "entries": entries}},
                       await api.token(school)), "saveReport")


async def build(api: Api) -> Dataset:
    data = Dataset()
    province = await api.token(PROVINCE)
    _ok(await api.data(ADD_ENTRY, {"title": f"新增任务 {TRICKY}"}, province), "addTaskEntry")
    teacher = _ok(await api.data(CREATE_USER, {"org": ZZ_SCHOOL_2, "name": f"张老师 {TRICKY}"},
                                 province), "createUser")
    # histories of their own: the entry changed, the teacher's password reset by its city
    _ok(await api.data(CHANGE_ENTRY, {"title": f"改名 {TRICKY}"}, province), "updateTaskEntry")
    _ok(await api.data(RESET_PASSWORD, {"id": teacher["user"]["id"]},
                       await api.token(ZHENGZHOU)), "resetPassword")

    # Declarations in every status, in several cities and under the province.
    await _flow(api, ZZ_SCHOOL, [row("3.2", 1, schoolSelf="1.5")], to="DRAFT")
    await _flow(api, ZZ_SCHOOL_2, [row("3.2", 2, schoolSelf="5", enterprise="1.25"),
                                   row("7.1", 1, localGov="100", provincial="50.25"),
                                   row("16", 3)], to="ACCEPTED", city=ZHENGZHOU)
    await _flow(api, ZZ_SCHOOL_3, [row("3.1", 1, sponsor="0.5")], to="SUBMITTED")
    await _flow(api, KF_SCHOOL, [row("3.3", 4, schoolSelf="12.34"),
                                 row("4.2", 1, enterprise="0.1", sponsor="0.2"),
                                 row("57", 1, schoolSelf="99999.99")],
                to="ACCEPTED", city="410800")
    await _flow(api, LY_SCHOOL, [row("3.2", 1, enterprise="3")], to="RETURNED")
    await _flow(api, NX_SCHOOL, [row("7.2", 2, schoolSelf="0.01")], to="WITHDRAWN")
    await _flow(api, HIGHER_SCHOOL, [row(n, 1, schoolSelf="2") for n in
                                     await _school_items(api, "HIGHER")], to="ACCEPTED")
    await _flow(api, HIGHER_ZZ, [row(n, 2, provincial="10") for n in
                                 await _school_items(api, "HIGHER")], to="ACCEPTED",
                city=ZHENGZHOU)
    assert (await save(api, PROVINCE, PROVINCE, 0, [row("1", 1, provincial="500"),
                                                     row("34", 6000)]))["errors"] == []
    for org in (ZZ_SCHOOL, ZZ_SCHOOL_2, ZZ_SCHOOL_3, KF_SCHOOL, LY_SCHOOL, NX_SCHOOL,
                HIGHER_SCHOOL, HIGHER_ZZ, PROVINCE):
        await _undertakings(api, data, org)

    # The deadline passes; one returned school gets an extension.
    now = datetime.now(UTC)
    _ok(await api.data(SET_WINDOW, {"opens": iso(now - timedelta(days=30)),
                                    "closes": iso(now - timedelta(hours=1))}, province),
        "setDeclarationWindow")
    _ok(await api.data(GRANT, {"org": LY_SCHOOL, "until": iso(now + timedelta(days=3)),
                               "reason": "补充材料"}, province), "grantExtension")

    # Change requests: one approved, one rejected, one pending.
    async def ask(school: str, item: str, **variables: Any) -> str:
        result = _ok(await api.data(REQUEST, {"u": data.undertakings[(school, item)],
                                              **variables}, await api.token(school)),
                     "requestUndertakingChange")
        request_id = str(result["changeRequest"]["id"])
        data.change_requests.append(request_id)
        return request_id

    approved = await ask(KF_SCHOOL, "3.3", kind="CHANGE", reason="新增一个工作室", q=5,
                         f={"schoolSelf": "20", "enterprise": "2.5"})
    _ok(await api.data(DECIDE, {"id": approved, "approve": True, "reason": None}, province),
        "decideChangeRequest")
    rejected = await ask(HIGHER_ZZ, "11.1", kind="WITHDRAW", reason="条件不具备")
    _ok(await api.data(DECIDE, {"id": rejected, "approve": False, "reason": "须按计划实施"},
                       province), "decideChangeRequest")
    await ask(ZZ_SCHOOL_2, "3.2", kind="CHANGE", reason=f"调整经费 {TRICKY}", q=3,
              f={"schoolSelf": "8"})

    # Reports: 2021 accepted (with evidence), returned, draft; 2022 carried over.
    for year in (2021, 2022):
        _ok(await api.data(OPEN_ROUND, {"year": year, "opens": iso(now - timedelta(days=1)),
                                        "closes": iso(now + timedelta(days=30))}, province),
            "openReportingRound")
    zz = [(data.undertakings[(ZZ_SCHOOL_2, n)], q, s) for n, q, s in
          [("3.2", 1, "2.5"), ("7.1", 1, "60"), ("16", 2, "0")]]
    await _report(api, ZZ_SCHOOL_2, 2021, zz)
    data.evidence.append(await _upload(api, ZZ_SCHOOL_2, zz[0][0], "验收报告.pdf", PDF))
    data.evidence.append(await _upload(api, ZZ_SCHOOL_2, zz[1][0], "照片.png", PNG))
    school = await api.token(ZZ_SCHOOL_2)
    _ok(await api.data(SUBMIT_REPORT, {"year": 2021, "v": 1}, school), "submitReport")
    # A city's school: its bureau approves (审核通过) before the province confirms.
    _ok(await api.data(APPROVE_REPORT, {"org": ZZ_SCHOOL_2, "year": 2021},
                       await api.token(ZHENGZHOU)), "approveReport")
    _ok(await api.data(ACCEPT_REPORT, {"org": ZZ_SCHOOL_2, "year": 2021}, province),
        "acceptReport")
    await _report(api, ZZ_SCHOOL_2, 2022, zz[:1])
    await _report(api, KF_SCHOOL, 2021, [(data.undertakings[(KF_SCHOOL, "3.3")], 2, "4"),
                                         (data.undertakings[(KF_SCHOOL, "4.2")], 0, "0"),
                                         (data.undertakings[(KF_SCHOOL, "57")], 1, "0.3")])
    _ok(await api.data(SUBMIT_REPORT, {"year": 2021, "v": 1}, await api.token(KF_SCHOOL)),
        "submitReport")
    _ok(await api.data(RETURN_REPORT, {"org": KF_SCHOOL, "year": 2021, "v": 2,
                                       "reason": "缺少佐证材料"}, province), "returnReport")
    await _report(api, HIGHER_SCHOOL, 2021, [(data.undertakings[(HIGHER_SCHOOL, "11.1")], 0,
                                              "0.75")])

    # Certification (in the 2024 round): certified, not certified, pending.
    await open_certification(api)
    for key, result in (((ZZ_SCHOOL_2, "3.2"), "CERTIFIED"), ((KF_SCHOOL, "3.3"),
                        "NOT_CERTIFIED"), ((HIGHER_SCHOOL, "11.1"), "PENDING")):
        _ok(await api.data(CERTIFY, {"u": data.undertakings[key], "result": result,
                                     "remarks": "评审意见"}, province), "certifyUndertaking")

    # Notices: the province's to everyone (one school reads it), a city's chase list.
    for sender, title, audience in (
            (province, f"通知 {TRICKY}".replace("\n", " ").replace("\t", " ").replace(
                "\u2028", " "), {"kind": "ALL"}),
            (await api.token(ZHENGZHOU), "请尽快提交", {"kind": "CHASE", "chase": {
                "notSubmitted": True}}),
            (province, "高职学校", {"kind": "SCHOOL_TYPE", "schoolTypes": ["HIGHER"]})):
        sent = _ok(await api.data(NOTIFY, {"title": title, "body": f"正文 {TRICKY}",
                                           "audience": audience}, sender), "sendNotice")
        data.notices.append(sent["notice"]["id"])
    _ok(await api.data(READ_NOTICE, {"id": data.notices[0]}, await api.token(ZZ_SCHOOL_2)),
        "markNoticeRead")
    # Reminders: the province's for the window and a round, a city's for the window.
    for sender, days, year in ((province, [7, 3], None), (province, [5], 2021),
                               (await api.token(ZHENGZHOU), [2], None)):
        _ok(await api.data(SCHEDULE, {"days": days, "year": year}, sender), "scheduleReminders")

    # The roles the documents are sent as.
    initial = await api.login(LY_SCHOOL_2)
    assert initial["user"]["mustChangePassword"] is True, initial
    data.tokens = {"province": province, "city": await api.token(ZHENGZHOU),
                   "school": await api.token(ZZ_SCHOOL_2), "initial": initial["token"],
                   "anonymous": None}
    return data
