"""Notices (站内通知) as users meet them, through the GraphQL endpoint with real logins: a city
chases its schools, a school reads, the city sees who has; the attacks (a school sending, a
city addressing another city's school, a stranger fetching an attachment)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
import websockets

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
from tests.live_server import served
from tests.sample_files import HTML, PDF

ZZ_HIGHER = "4199000005"  # higher vocational, under 郑州
ZZ_SCHOOL_3 = "4199200003"

SEND = """
mutation($title: String!, $body: String!, $audience: NoticeAudienceInput!) {
  sendNotice(title: $title, body: $body, audience: $audience) {
    notice { id title audienceLabel recipientCount readCount senderName }
    errors { field code message }
  }
}"""

SEND_WITH_FILES = """
mutation($title: String!, $body: String!, $audience: NoticeAudienceInput!, $files: [Upload!]) {
  sendNotice(title: $title, body: $body, audience: $audience, attachments: $files) {
    notice { id attachments { id filename size url } }
    errors { field code message }
  }
}"""

INBOX = """
query($unread: Boolean!) {
  me { unreadNoticeCount }
  notices(unreadOnly: $unread) { totalCount edges { node { id title body readAt senderName
    sender { code } recipientCount receipts { organization { code } } } } }
}"""

READ = """
mutation($id: ID!) { markNoticeRead(id: $id) { notice { id readAt } errors { code message } } }"""

SENT = """
{ sentNotices { totalCount edges { node { id recipientCount readCount
  receipts { organization { code } readAt readBy { username } } } } } }"""

ONE = """query($id: ID!) { notice(id: $id) { id title } }"""

SUBMIT = """mutation($org: String!) { submitDeclaration(organizationCode: $org, version: 0)
  { errors { code } } }"""

CONTACT = """
mutation($org: String!, $name: String!, $phone: String!, $email: String!) {
  updateOrganizationContact(organizationCode: $org, contactName: $name, contactPhone: $phone,
                            contactEmail: $email) {
    contact { name phone email } errors { field code message } }
}"""

READ_CONTACT = """query($org: String!) { organizationContact(organizationCode: $org)
  { name phone email } }"""


def chase(**filters: Any) -> dict[str, Any]:
    return {"kind": "CHASE", "chase": filters}


def explicit(*codes: str) -> dict[str, Any]:
    return {"kind": "EXPLICIT", "organizationCodes": list(codes)}


async def send(api: Api, user: str, audience: dict[str, Any], title: str = "关于加快填报的通知",
               body: str = "请于截止日前完成填报。") -> dict[str, Any]:
    result = await api.data(SEND, {"title": title, "body": body, "audience": audience},
                            await api.token(user))
    payload: dict[str, Any] = result["sendNotice"]
    return payload


async def inbox(api: Api, user: str, unread: bool = False) -> dict[str, Any]:
    return await api.data(INBOX, {"unread": unread}, await api.token(user))


@pytest.fixture
def evidence_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "evidence"
    monkeypatch.setenv("EVIDENCE_DIR", str(folder))
    return folder


async def test_a_city_chases_its_not_submitted_schools_one_reads_and_the_city_sees_who(
        api: Api) -> None:
    # Given one of 郑州's four schools has submitted
    assert (await api.data(SUBMIT, {"org": ZZ_SCHOOL_2}, await api.token(ZZ_SCHOOL_2)))[
        "submitDeclaration"]["errors"] == []

    # When 郑州 sends a notice to its chase list "not submitted"
    sent = await send(api, ZHENGZHOU, chase(notSubmitted=True))

    # Then the three others receive it, and the one that submitted does not
    assert sent["errors"] == [], sent
    notice = sent["notice"]
    assert notice["recipientCount"] == 3 and notice["readCount"] == 0
    assert notice["audienceLabel"] == "督促名单：未提交"
    assert notice["senderName"] == "郑州市教育局"
    school = await inbox(api, ZZ_SCHOOL)
    assert school["me"]["unreadNoticeCount"] == 1
    [edge] = school["notices"]["edges"]
    assert edge["node"]["title"] == "关于加快填报的通知" and edge["node"]["readAt"] is None
    assert edge["node"]["sender"]["code"] == ZHENGZHOU
    # A recipient sees neither the list of recipients nor the counts
    assert edge["node"]["receipts"] is None and edge["node"]["recipientCount"] is None
    submitted = await inbox(api, ZZ_SCHOOL_2)
    assert submitted["me"]["unreadNoticeCount"] == 0
    assert submitted["notices"]["totalCount"] == 0
    other_city = await inbox(api, LY_SCHOOL)
    assert other_city["notices"]["totalCount"] == 0

    # When one school reads it
    read = (await api.data(READ, {"id": notice["id"]}, await api.token(ZZ_SCHOOL)))[
        "markNoticeRead"]
    assert read["errors"] == [] and read["notice"]["readAt"] is not None
    again = (await api.data(READ, {"id": notice["id"]}, await api.token(ZZ_SCHOOL)))[
        "markNoticeRead"]

    # Then its unread count drops, the first reading time stays, and the city sees who read
    assert again["notice"]["readAt"] == read["notice"]["readAt"]
    assert (await inbox(api, ZZ_SCHOOL))["me"]["unreadNoticeCount"] == 0
    assert (await inbox(api, ZZ_SCHOOL, unread=True))["notices"]["totalCount"] == 0
    [mine] = (await api.data(SENT, token=await api.token(ZHENGZHOU)))["sentNotices"]["edges"]
    receipts = mine["node"]["receipts"]
    assert mine["node"]["readCount"] == 1 and mine["node"]["recipientCount"] == 3
    assert [r["organization"]["code"] for r in receipts] == [ZZ_HIGHER, ZZ_SCHOOL_3, ZZ_SCHOOL]
    assert receipts[2]["readBy"] == {"username": ZZ_SCHOOL}
    assert receipts[2]["readAt"] == read["notice"]["readAt"]
    assert all(r["readAt"] is None and r["readBy"] is None for r in receipts[:2])


async def test_a_school_cannot_send_a_notice(api: Api) -> None:
    # Denied: a school, whatever it addresses
    body = await api.post(SEND, {"title": "t", "body": "b", "audience": explicit(ZZ_SCHOOL_2)},
                          await api.token(ZZ_SCHOOL))
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert (await inbox(api, ZZ_SCHOOL_2))["notices"]["totalCount"] == 0
    # Allowed: its city
    assert (await send(api, ZHENGZHOU, explicit(ZZ_SCHOOL_2)))["errors"] == []


async def test_a_city_cannot_address_another_citys_school(api: Api) -> None:
    # Denied: 郑州 naming a 洛阳 school, alone or among its own; a code that does not exist
    # answers the same (existence does not leak); nothing is sent
    for codes in [(LY_SCHOOL,), (ZZ_SCHOOL, LY_SCHOOL), ("4199299999",), (LUOYANG,),
                  ("9" * 30,)]:
        refused = await send(api, ZHENGZHOU, explicit(*codes))
        assert refused["notice"] is None
        assert [e["code"] for e in refused["errors"]] == ["RECIPIENT_NOT_IN_SCOPE"], codes
    assert (await inbox(api, ZZ_SCHOOL))["notices"]["totalCount"] == 0
    assert (await inbox(api, LY_SCHOOL))["notices"]["totalCount"] == 0
    # ALL from a city reaches only its own schools
    everyone = await send(api, ZHENGZHOU, {"kind": "ALL"})
    assert everyone["notice"]["recipientCount"] == 4
    # Allowed: the province, to a 洛阳 school and to the city bureau itself
    allowed = await send(api, PROVINCE, explicit(LY_SCHOOL, LUOYANG))
    assert allowed["errors"] == [] and allowed["notice"]["recipientCount"] == 2
    assert (await inbox(api, LUOYANG))["notices"]["totalCount"] == 1
    # A school type: the province's higher vocational schools (8 of them, not the university)
    higher = await send(api, PROVINCE, {"kind": "SCHOOL_TYPE", "schoolTypes": ["HIGHER"]})
    assert higher["notice"]["recipientCount"] == 8
    assert higher["notice"]["audienceLabel"] == "高职学校"


async def test_a_notice_is_read_only_by_its_sender_and_recipients(api: Api) -> None:
    notice = (await send(api, ZHENGZHOU, explicit(ZZ_SCHOOL)))["notice"]

    # The recipient and the sender find it by id; a neighbour school, another city and the
    # province (neither sender nor recipient) find nothing, and cannot mark it read
    for user, found in [(ZZ_SCHOOL, True), (ZHENGZHOU, True), (ZZ_SCHOOL_2, False),
                        (LUOYANG, False), (PROVINCE, False)]:
        got = (await api.data(ONE, {"id": notice["id"]}, await api.token(user)))["notice"]
        assert (got is not None) is found, user
    stranger = (await api.data(READ, {"id": notice["id"]}, await api.token(ZZ_SCHOOL_2)))[
        "markNoticeRead"]
    assert [e["code"] for e in stranger["errors"]] == ["NOT_FOUND"]
    # The sender reads receipts; reading does not count as a read by the sender
    sender = (await api.data(READ, {"id": notice["id"]}, await api.token(ZHENGZHOU)))[
        "markNoticeRead"]
    assert [e["code"] for e in sender["errors"]] == ["NOT_FOUND"]


async def test_bad_titles_and_bodies_answer_with_codes(api: Api) -> None:
    cases = [("", "正文", "title"), ("标" * 201, "正文", "title"), ("标题", "  ", "body"),
             ("标题\r\nBcc: all@example.cn", "正文", "title")]
    for title, body, field in cases:
        refused = await send(api, ZHENGZHOU, explicit(ZZ_SCHOOL), title=title, body=body)
        assert [(e["field"], e["code"]) for e in refused["errors"]] == [
            ([field], "INVALID_VALUE")], (title[:5], body)
    # Beyond the argument caps: refused before any resolver runs
    huge = await api.post(SEND, {"title": "标" * 501, "body": "b",
                                 "audience": explicit(ZZ_SCHOOL)}, await api.token(ZHENGZHOU))
    assert huge["errors"][0]["extensions"]["reason"] == "TOO_LONG"
    # Nobody left: the chase list of a city all of whose schools... none "never logged in"
    # after each has logged in here is empty -> NO_RECIPIENTS
    for school in (ZZ_SCHOOL, ZZ_SCHOOL_2, ZZ_SCHOOL_3, ZZ_HIGHER):
        await api.token(school)
    empty = await send(api, ZHENGZHOU, chase(neverLoggedIn=True))
    assert [e["code"] for e in empty["errors"]] == ["NO_RECIPIENTS"]
    reminder = await send(api, ZHENGZHOU, {"kind": "REMINDER"})
    assert [e["code"] for e in reminder["errors"]] == ["INVALID_VALUE"]


async def post_files(api: Api, user: str, audience: dict[str, Any],
                     files: list[tuple[str, bytes]]) -> dict[str, Any]:
    operations = {"query": SEND_WITH_FILES, "variables": {
        "title": "附件通知", "body": "见附件", "audience": audience,
        "files": [None] * len(files)}}
    response = await api.client.post(
        "/graphql", headers={"Authorization": f"Bearer {await api.token(user)}"},
        data={"operations": json.dumps(operations),
              "map": json.dumps({str(i): [f"variables.files.{i}"] for i in range(len(files))})},
        files={str(i): (name, content, "application/octet-stream")
               for i, (name, content) in enumerate(files)})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert "errors" not in body, body
    payload: dict[str, Any] = body["data"]["sendNotice"]
    return payload


async def test_attachments_are_for_the_sender_and_recipients_only(api: Api,
                                                                  evidence_dir: Path) -> None:
    sent = await post_files(api, ZHENGZHOU, explicit(ZZ_SCHOOL), [("填报说明.pdf", PDF)])
    assert sent["errors"] == [], sent
    [attachment] = sent["notice"]["attachments"]
    assert attachment["filename"] == "填报说明.pdf" and attachment["size"] == len(PDF)

    async def get(user: str | None) -> Any:
        headers = {"Authorization": f"Bearer {await api.token(user)}"} if user else {}
        return await api.client.get(attachment["url"], headers=headers)

    # Allowed: the recipient and the sender
    for user in (ZZ_SCHOOL, ZHENGZHOU):
        response = await get(user)
        assert response.status_code == 200 and response.content == PDF, user
    # Denied: a neighbour, another city, the province (not addressed), nobody logged in
    for user in (ZZ_SCHOOL_2, LUOYANG, PROVINCE):
        response = await get(user)
        assert response.status_code == 404, user
        assert response.json()["error"]["code"] == "NOT_FOUND"
    assert (await get(None)).status_code == 401
    assert (await api.client.get("/files/notices/999999", headers={
        "Authorization": f"Bearer {await api.token(ZZ_SCHOOL)}"})).status_code == 404

    # A page posing as a document is refused as evidence would be, and nothing is sent
    refused = await post_files(api, ZHENGZHOU, explicit(ZZ_SCHOOL_2),
                               [("说明.pdf", PDF), ("通知.pdf", HTML)])
    assert refused["notice"] is None
    assert [(e["field"], e["code"]) for e in refused["errors"]] == [
        (["attachments", "1"], "FILE_TYPE_NOT_ALLOWED")]
    assert (await inbox(api, ZZ_SCHOOL_2))["notices"]["totalCount"] == 0


async def test_contacts_are_edited_by_the_organisation_or_above(api: Api) -> None:
    values = {"org": ZZ_SCHOOL, "name": "张老师", "phone": "0371-12345678",
              "email": "office@school.example.cn"}
    # Allowed: the school itself, then its city
    own = (await api.data(CONTACT, values, await api.token(ZZ_SCHOOL)))[
        "updateOrganizationContact"]
    assert own["errors"] == [] and own["contact"]["email"] == "office@school.example.cn"
    by_city = (await api.data(CONTACT, {**values, "phone": "13800138000"},
                              await api.token(ZHENGZHOU)))["updateOrganizationContact"]
    assert by_city["contact"]["phone"] == "13800138000"
    # Denied: a neighbour school and another city (as if the school did not exist)
    for user in (ZZ_SCHOOL_2, LUOYANG):
        denied = (await api.data(CONTACT, {**values, "name": "x"}, await api.token(user)))[
            "updateOrganizationContact"]
        assert [e["code"] for e in denied["errors"]] == ["NOT_FOUND"], user
        assert (await api.data(READ_CONTACT, {"org": ZZ_SCHOOL}, await api.token(user)))[
            "organizationContact"] is None
    assert (await api.data(READ_CONTACT, {"org": ZZ_SCHOOL}, await api.token(PROVINCE)))[
        "organizationContact"] == {"name": "张老师", "phone": "13800138000",
                                   "email": "office@school.example.cn"}
    # The same through the tree: the city sees its schools' contacts; a school sees its own,
    # and not its city bureau's (it does not manage it)
    tree = """query($org: String!) { organization(code: $org) { contact { email }
      children { code contact { name } } parent { code contact { name } } } }"""
    city_view = (await api.data(tree, {"org": ZHENGZHOU}, await api.token(ZHENGZHOU)))[
        "organization"]
    assert {c["code"]: c["contact"] for c in city_view["children"]}[ZZ_SCHOOL] == {
        "name": "张老师"}
    school_view = (await api.data(tree, {"org": ZZ_SCHOOL}, await api.token(ZZ_SCHOOL)))[
        "organization"]
    assert school_view["contact"] == {"email": "office@school.example.cn"}
    assert school_view["parent"] == {"code": ZHENGZHOU, "contact": None}
    # Bad values answer with their field and code
    for field, value, code in [("email", "not-an-address", "INVALID_EMAIL"),
                               ("email", "a@b.c<script>", "INVALID_EMAIL"),
                               ("phone", "call me", "INVALID_VALUE"),
                               ("name", "名" * 51, "INVALID_VALUE")]:
        bad = (await api.data(CONTACT, {**values, field: value}, await api.token(ZZ_SCHOOL)))[
            "updateOrganizationContact"]
        assert [e["code"] for e in bad["errors"]] == [code], value


SUBSCRIBE = "subscription { noticeReceived { title senderName sender { code } readAt } }"


async def _first_notice(url: str, token: str, wait: float) -> Any:
    async with websockets.connect(url, subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
        await ws.send(json.dumps({"type": "connection_init",
                                  "payload": {"Authorization": f"Bearer {token}"}}))
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        await ws.send(json.dumps({"id": "1", "type": "subscribe",
                                  "payload": {"query": SUBSCRIBE}}))
        try:
            return json.loads(await asyncio.wait_for(ws.recv(), timeout=wait))
        except TimeoutError:
            return None


async def test_a_new_notice_reaches_an_open_dashboard(api: Api,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIVE_POLL_SECONDS", "0.2")
    school, neighbour = await api.token(ZZ_SCHOOL), await api.token(LY_SCHOOL)
    async with served() as base:
        url = base.replace("http", "ws") + "/graphql"
        dashboard = asyncio.create_task(_first_notice(url, school, 15))
        other = asyncio.create_task(_first_notice(url, neighbour, 3))
        await asyncio.sleep(1.0)  # both subscribed
        assert (await send(api, ZHENGZHOU, explicit(ZZ_SCHOOL), title="请尽快提交"))[
            "errors"] == []
        event, elsewhere = await dashboard, await other

    assert event["type"] == "next", event
    assert event["payload"]["data"]["noticeReceived"] == {
        "title": "请尽快提交", "senderName": "郑州市教育局", "sender": {"code": ZHENGZHOU},
        "readAt": None}
    assert elsewhere is None  # 洛阳's school is not addressed


async def test_lists_of_notices_cost_the_same_statements_for_one_or_many(
        api: Api, count_sql: StatementCounter) -> None:
    city, school = await api.token(ZHENGZHOU), await api.token(ZZ_SCHOOL)

    async def statements(query: str, token: str) -> int:
        count_sql.statements.clear()
        await api.data(query, {"unread": False}, token)
        return len(count_sql.statements)

    await send(api, ZHENGZHOU, {"kind": "ALL"})
    one = (await statements(SENT, city), await statements(INBOX, school))
    for _ in range(3):
        await send(api, ZHENGZHOU, {"kind": "ALL"})
    many = (await statements(SENT, city), await statements(INBOX, school))

    assert (await api.data(SENT, token=city))["sentNotices"]["totalCount"] == 4
    assert many == one, (one, many)
