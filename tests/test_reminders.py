"""Scheduled reminders and the e-mail outbox: a reminder goes out once however many server
processes run the background loop; by e-mail through a local SMTP server (aiosmtpd) started
here, with retries when the server is down; a request never waits for SMTP."""

from __future__ import annotations

import asyncio
import os
import socket
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.header import decode_header, make_header
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from gql import background
from gql.settings import Smtp
from models import Campaign, Notice, NoticeReceipt, OutboxEmail, Reminder, notices, outbox
from models.clock import now_utc
from models.notice import Audience
from tests.conftest import LUOYANG, LY_SCHOOL, PROVINCE, ZHENGZHOU, ZZ_SCHOOL, ZZ_SCHOOL_2, Api
from tests.test_live import _post, _ready_token
from tests.test_notices import READ, SENT
from tests.test_server import running_server

SCHEDULE = """
mutation($days: [Int!]!, $year: Int) {
  scheduleReminders(daysBefore: $days, year: $year) {
    reminders { id daysBefore year dueAt sentAt outcome noticeId }
    errors { field code message } }
}"""

LIST = """query($year: Int) { reminders(year: $year) { id daysBefore sentAt outcome noticeId } }"""

CANCEL = """mutation($id: ID!) { cancelReminder(id: $id) { reminders { daysBefore }
  errors { code message } } }"""

INBOX = """{ me { unreadNoticeCount } notices { totalCount edges { node { title audience
  senderName body } } } }"""

CONTACT = """mutation($org: String!, $email: String!) { updateOrganizationContact(
  organizationCode: $org, contactName: "联系人", contactPhone: "0371-1234567",
  contactEmail: $email) { errors { code } } }"""

SEND = """mutation($codes: [String!]) { sendNotice(title: "会议通知", body: "请准时参加。",
  audience: {kind: EXPLICIT, organizationCodes: $codes}) { notice { id } errors { code } } }"""

SUBMIT = """mutation($org: String!) { submitDeclaration(organizationCode: $org, version: 0)
  { errors { code } } }"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Inbox:
    """What the local SMTP server received."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], bytes]] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.messages.append((list(envelope.rcpt_tos), bytes(envelope.content or b"")))
        return "250 OK"

    def subjects(self) -> list[str]:
        return [str(make_header(decode_header(message_from_bytes(raw)["Subject"])))
                for _, raw in self.messages]


@pytest.fixture
def smtp_server() -> Iterator[tuple[Inbox, Smtp]]:
    inbox = Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, Smtp(host="127.0.0.1", port=port, sender="platform@edu.example.cn",
                          timeout=5)
    finally:
        controller.stop()


def _check_login(server: SMTP, session: Session, envelope: Envelope, mechanism: str,
                 data: Any) -> AuthResult:
    ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
        b"platform", b"smtp-secret")
    return AuthResult(success=ok)


# A loopback test server: plain-text AUTH is what it is here for.
@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
async def test_the_worker_logs_in_when_the_mail_server_asks(db: None) -> None:
    inbox = Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port, auth_required=True,
                            auth_require_tls=False, authenticator=_check_login)
    controller.start()
    try:
        start = now_utc()
        await OutboxEmail.create(to_address="x@school.example.cn", subject="提醒", body="请提交",
                                 created_at=start, next_attempt_at=start)
        # Refused without the password: recorded, retried later
        anonymous = Smtp(host="127.0.0.1", port=port, timeout=5)
        assert await outbox.deliver_due("w", start, background.smtp_sender(anonymous)) == 0
        refused = await OutboxEmail.get()
        assert refused.attempts == 1 and refused.last_error
        # Accepted with it
        login = Smtp(host="127.0.0.1", port=port, username="platform", password="smtp-secret",
                     timeout=5)
        assert "smtp-secret" not in repr(login)  # settings never print the password
        later = start + outbox.FIRST_RETRY
        assert await outbox.deliver_due("w", later, background.smtp_sender(login)) == 1
    finally:
        controller.stop()
    assert [to for to, _ in inbox.messages] == [["x@school.example.cn"]]
    assert inbox.subjects() == ["提醒"]
    with pytest.raises(ValueError, match="SMTP_SECURITY"):
        Smtp(host="mail.example.cn", security="ssl")


async def _close_campaign_in(days: float) -> None:
    """Move the demo window's close (the province's setDeclarationWindow does the same)."""
    campaign = await Campaign.get()
    campaign.declaration_closes_at = now_utc() + timedelta(days=days)
    await campaign.save()


async def test_a_city_reminds_its_not_submitted_schools_once_by_notice_and_email(
        api: Api, smtp_server: tuple[Inbox, Smtp]) -> None:
    inbox, smtp = smtp_server
    city = await api.token(ZHENGZHOU)
    # Given 郑州 has one school submitted, one with a contact e-mail, and the window closes
    # in two days; 郑州 schedules reminders 7, 3 and 1 days before the close
    assert (await api.data(SUBMIT, {"org": ZZ_SCHOOL_2}, await api.token(ZZ_SCHOOL_2)))[
        "submitDeclaration"]["errors"] == []
    assert (await api.data(CONTACT, {"org": ZZ_SCHOOL, "email": "zz1@school.example.cn"},
                           city))["updateOrganizationContact"]["errors"] == []
    await _close_campaign_in(2)
    scheduled = (await api.data(SCHEDULE, {"days": [7, 3, 1, 3]}, city))["scheduleReminders"]
    assert scheduled["errors"] == []
    assert [r["daysBefore"] for r in scheduled["reminders"]] == [7, 3, 1]
    assert all(r["sentAt"] is None for r in scheduled["reminders"])

    # When two workers run their rounds at the same time, twice
    for _ in range(2):
        await asyncio.gather(background.run_once("worker-a", smtp),
                             background.run_once("worker-b", smtp))

    # Then only the reminder for 3 days before goes out (7 is superseded, 1 is not due yet)
    state = {r["daysBefore"]: r for r in (await api.data(LIST, token=city))["reminders"]}
    assert state[7]["sentAt"] is not None and state[7]["noticeId"] is None
    assert state[7]["outcome"] == "已被更近的提醒取代"
    assert state[3]["sentAt"] is not None and state[3]["noticeId"] is not None
    assert state[3]["outcome"] == "已提醒3个单位"
    assert state[1]["sentAt"] is None
    # ... as one notice to each of the three schools not submitted
    school = await api.data(INBOX, token=await api.token(ZZ_SCHOOL))
    assert school["me"]["unreadNoticeCount"] == 1
    [notice] = [e["node"] for e in school["notices"]["edges"]]
    assert notice["audience"] == "REMINDER" and notice["senderName"] == "郑州市教育局"
    assert notice["title"].startswith("提醒：") and "截止" in notice["title"]
    assert (await api.data(INBOX, token=await api.token(ZZ_SCHOOL_2)))["notices"][
        "totalCount"] == 0
    assert await Notice.filter(audience=Audience.REMINDER).count() == 1
    # ... and one e-mail, to the school with an address
    assert [to for to, _ in inbox.messages] == [["zz1@school.example.cn"]]
    assert inbox.subjects() == [f"【通知】{notice['title']}"]
    sent = await OutboxEmail.get()
    assert sent.sent_at is not None and sent.attempts == 1 and sent.last_error is None

    # When the school reads the reminder, the city sees who has
    read = (await api.data(READ, {"id": state[3]["noticeId"]}, await api.token(ZZ_SCHOOL)))[
        "markNoticeRead"]
    assert read["errors"] == []
    [mine] = (await api.data(SENT, token=city))["sentNotices"]["edges"]
    assert mine["node"]["readCount"] == 1 and mine["node"]["recipientCount"] == 3
    assert [(r["organization"]["code"], r["readBy"]) for r in mine["node"]["receipts"]
            if r["readAt"]] == [(ZZ_SCHOOL, {"username": ZZ_SCHOOL})]


async def test_reminders_race_between_many_workers_and_go_out_once(api: Api) -> None:
    # Given three senders with reminders due now (a round of rounds of four racing workers)
    await _close_campaign_in(0.5)
    for user in (PROVINCE, ZHENGZHOU, LUOYANG):
        result = await api.data(SCHEDULE, {"days": [1]}, await api.token(user))
        assert result["scheduleReminders"]["errors"] == []

    # When four workers run at once, three times over
    for _ in range(3):
        await asyncio.gather(*(background.run_once(f"w{i}", Smtp(host="")) for i in range(4)))

    # Then each reminder was claimed once and became one notice
    rows = await Reminder.all()
    assert len(rows) == 3 and all(r.claimed_by and r.notice_id for r in rows)
    assert await Notice.filter(audience=Audience.REMINDER).count() == 3
    # The province's reaches every school (none has submitted), each city its own schools
    per_notice = {r.sender_org_id: await NoticeReceipt.filter(notice_id=r.notice_id).count()
                  for r in rows}
    assert sorted(per_notice.values()) == [3, 4, 30]
    assert (await api.data(INBOX, token=await api.token(LY_SCHOOL)))["notices"][
        "totalCount"] == 2  # from 洛阳 and from the province


async def test_no_reminder_before_the_window_opens(api: Api) -> None:
    # Given a window that opens tomorrow and closes the day after, and a reminder 7 days
    # before its close (due already)
    campaign = await Campaign.get()
    campaign.declaration_opens_at = now_utc() + timedelta(days=1)
    campaign.declaration_closes_at = now_utc() + timedelta(days=2)
    await campaign.save()
    await api.data(SCHEDULE, {"days": [7]}, await api.token(ZHENGZHOU))

    # Then nothing goes out while the window is not open, and it goes once it opens
    await background.run_once("w", Smtp(host=""))
    assert (await Reminder.get()).claimed_at is None
    campaign.declaration_opens_at = now_utc() - timedelta(minutes=1)
    await campaign.save()
    await background.run_once("w", Smtp(host=""))
    assert (await Reminder.get()).notice_id is not None


async def test_who_may_schedule_and_cancel(api: Api) -> None:
    # Denied: a school
    denied = await api.post(SCHEDULE, {"days": [3]}, await api.token(ZZ_SCHOOL))
    assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    # Bad days answer with codes
    city = await api.token(ZHENGZHOU)
    for days, field in [([], ["daysBefore"]), ([0], ["daysBefore", "0"]),
                        ([400], ["daysBefore", "0"]), (list(range(1, 12)), ["daysBefore"])]:
        bad = (await api.data(SCHEDULE, {"days": days}, city))["scheduleReminders"]
        assert [(e["field"], e["code"]) for e in bad["errors"]] == [(field, "INVALID_VALUE")]
    missing_round = (await api.data(SCHEDULE, {"days": [3], "year": 2031}, city))[
        "scheduleReminders"]
    assert [e["code"] for e in missing_round["errors"]] == ["ROUND_NOT_FOUND"]
    # Allowed: the city; another city can neither see nor cancel its reminder
    [mine] = (await api.data(SCHEDULE, {"days": [3]}, city))["scheduleReminders"]["reminders"]
    assert (await api.data(LIST, token=await api.token(LUOYANG)))["reminders"] == []
    other = (await api.data(CANCEL, {"id": mine["id"]}, await api.token(LUOYANG)))[
        "cancelReminder"]
    assert [e["code"] for e in other["errors"]] == ["NOT_FOUND"]
    # A sent reminder cannot be cancelled; an unsent one can
    await _close_campaign_in(1)
    await background.run_once("w", Smtp(host=""))
    sent = (await api.data(CANCEL, {"id": mine["id"]}, city))["cancelReminder"]
    assert [e["code"] for e in sent["errors"]] == ["REMINDER_SENT"]
    [later] = [r for r in (await api.data(SCHEDULE, {"days": [3, 20]}, city))[
        "scheduleReminders"]["reminders"] if r["daysBefore"] == 20]
    cancelled = (await api.data(CANCEL, {"id": later["id"]}, city))["cancelReminder"]
    assert cancelled["errors"] == [] and [r["daysBefore"] for r in cancelled["reminders"]] == [3]


async def test_the_outbox_retries_with_backoff_and_a_request_never_waits_for_smtp(
        api: Api, smtp_server: tuple[Inbox, Smtp], monkeypatch: pytest.MonkeyPatch) -> None:
    inbox, smtp = smtp_server
    city = await api.token(ZHENGZHOU)
    await api.data(CONTACT, {"org": ZZ_SCHOOL, "email": "zz1@school.example.cn"}, city)
    # Given SMTP configured on a port where nothing listens
    dead = Smtp(host="127.0.0.1", port=_free_port(), timeout=2)
    monkeypatch.setenv("SMTP_HOST", dead.host)
    monkeypatch.setenv("SMTP_PORT", str(dead.port))

    # When the city sends a notice: the answer comes at once, the message waits in the outbox
    started = time.monotonic()
    sent = (await api.data(SEND, {"codes": [ZZ_SCHOOL, ZZ_SCHOOL_2]}, city))["sendNotice"]
    assert sent["errors"] == [] and time.monotonic() - started < 2
    [waiting] = await OutboxEmail.all()
    assert waiting.attempts == 0 and waiting.sent_at is None  # only the school with an address

    # Then a delivery attempt against the dead server is recorded with its error and a wait
    now = now_utc()
    assert await outbox.deliver_due("w", now, background.smtp_sender(dead)) == 0
    failed = await OutboxEmail.get()
    assert failed.attempts == 1 and failed.last_error and failed.sent_at is None
    assert failed.next_attempt_at == now + outbox.FIRST_RETRY
    # ... not retried before its time, even with a live server
    assert await outbox.deliver_due("w", now + timedelta(seconds=10),
                                    background.smtp_sender(smtp)) == 0
    # ... retried after it, and delivered once
    later = now + outbox.FIRST_RETRY + timedelta(seconds=1)
    assert await outbox.deliver_due("w", later, background.smtp_sender(smtp)) == 1
    assert await outbox.deliver_due("w", later, background.smtp_sender(smtp)) == 0
    delivered = await OutboxEmail.get()
    assert delivered.sent_at is not None and delivered.attempts == 2
    assert delivered.last_error == failed.last_error  # the history of the failed attempt
    assert [to for to, _ in inbox.messages] == [["zz1@school.example.cn"]]
    # Backoff doubles and is capped
    assert [outbox.backoff(n).total_seconds() for n in (1, 2, 3)] == [30, 60, 120]
    assert outbox.backoff(50) == outbox.MAX_RETRY


async def test_a_message_is_given_up_after_the_last_attempt(db: None) -> None:
    start = now_utc()
    await OutboxEmail.create(to_address="x@school.example.cn", subject="s", body="b",
                             created_at=start, next_attempt_at=start)

    async def refuse(message: OutboxEmail) -> None:
        raise ConnectionRefusedError("no SMTP server")

    at = start
    for _ in range(outbox.MAX_ATTEMPTS + 2):
        await outbox.deliver_due("w", at, refuse)
        at += outbox.MAX_RETRY + timedelta(seconds=1)
    message = await OutboxEmail.get()
    assert message.attempts == outbox.MAX_ATTEMPTS and message.failed_at is not None
    assert message.sent_at is None and "no SMTP server" in (message.last_error or "")


# --- two real server processes ------------------------------------------------------------

APPROVE = """mutation($org: String!) { approveDeclaration(organizationCode: $org)
  { errors { code } } }"""
ACCEPT = """mutation($org: String!) { acceptDeclaration(organizationCode: $org)
  { errors { code } } }"""
OPEN_ROUND = """mutation($opens: DateTime!, $closes: DateTime!) { openReportingRound(
  year: 2021, opensAt: $opens, closesAt: $closes) { errors { code message } } }"""


def _ok(body: dict[str, Any], field: str) -> None:
    assert "errors" not in body and body["data"][field]["errors"] == [], body


@contextmanager
def own_database(tmp_path: Path) -> Iterator[str]:
    """A database of its own for the two servers, on the suite's kind: an SQLite file, or a
    new PostgreSQL database beside TEST_DATABASE_URL's (dropped afterwards)."""
    suite = os.environ.get("TEST_DATABASE_URL", "")
    if not suite.startswith("postgres"):
        yield f"sqlite://{tmp_path}/platform.sqlite3"
        return
    name = f"reminders_race_{os.getpid()}"
    admin = suite.rsplit("/", 1)[0] + "/postgres"
    asyncio.run(_admin(admin, f"CREATE DATABASE {name}"))
    try:
        yield suite.rsplit("/", 1)[0] + f"/{name}"
    finally:
        asyncio.run(_admin(admin, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


async def _admin(url: str, statement: str) -> None:
    connection = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


async def _rows(url: str, sql: str) -> list[tuple[Any, ...]]:
    if url.startswith("sqlite://"):
        db = sqlite3.connect(url.removeprefix("sqlite://"))
        try:
            return [tuple(r) for r in db.execute(sql).fetchall()]
        finally:
            db.close()
    connection = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
    try:
        return [tuple(r) for r in await connection.fetch(sql)]
    finally:
        await connection.close()


def test_a_reminder_for_a_rounds_close_goes_out_once_with_two_server_processes(
        tmp_path: Path) -> None:
    with own_database(tmp_path) as url:
        _two_processes(tmp_path, url)


def _two_processes(tmp_path: Path, url: str) -> None:
    env = {"BACKGROUND_SECONDS": "0.2", "DATABASE_URL": url}
    with running_server(tmp_path, **env) as first, running_server(
            tmp_path, PREPARE_DATABASE="0", **env) as second:
        a, b = first.base, second.base
        province, city = _ready_token(a, PROVINCE), _ready_token(b, ZHENGZHOU)
        school = _ready_token(a, ZZ_SCHOOL_2)
        # Given a school whose declaration is confirmed, and the 2021 round closing in 12 h
        _ok(_post(a, SUBMIT, school, org=ZZ_SCHOOL_2), "submitDeclaration")
        _ok(_post(b, APPROVE, city, org=ZZ_SCHOOL_2), "approveDeclaration")
        _ok(_post(a, ACCEPT, province, org=ZZ_SCHOOL_2), "acceptDeclaration")
        now = datetime.now(UTC)
        _ok(_post(a, OPEN_ROUND, province, opens=(now - timedelta(hours=1)).isoformat(),
                  closes=(now + timedelta(hours=12)).isoformat()), "openReportingRound")

        # When the province and the city schedule reminders 7 and 1 days before its close
        # (both due at once), each through another process, with both processes' loops on
        _ok(_post(a, SCHEDULE, province, days=[7, 1], year=2021), "scheduleReminders")
        _ok(_post(b, SCHEDULE, city, days=[7, 1], year=2021), "scheduleReminders")
        deadline = time.monotonic() + 30
        while True:
            lists = [_post(base, LIST, token, year=2021)["data"]["reminders"]
                     for base, token in ((a, province), (b, city))]
            if all(r["sentAt"] for rows in lists for r in rows):
                break
            assert time.monotonic() < deadline, lists
            time.sleep(0.2)
        time.sleep(1.0)  # several more rounds of both loops
        seen = _post(b, INBOX, school)["data"]

    # Then the school got exactly one reminder from each sender, for the round
    notices = [e["node"] for e in seen["notices"]["edges"]]
    assert len(notices) == 2 and len({n["senderName"] for n in notices}) == 2, seen
    assert all(n["audience"] == "REMINDER" and "2021年度执行绩效填报" in n["title"]
               for n in notices)
    # ... and in the database: four reminders claimed once each, two notices, nothing else
    claims = asyncio.run(_claims(url))
    assert len(claims) == 4 and all(c.count(":") == 2 for c in claims)


async def _claims(url: str) -> list[str]:
    """Who claimed each reminder (host:pid:random), checked beside the rows it wrote."""
    rows = await _rows(url, "SELECT claimed_by FROM reminder ORDER BY id")
    [(notices,)] = await _rows(url, "SELECT count(*) FROM notice WHERE audience = 'reminder'")
    [(receipts,)] = await _rows(url, "SELECT count(*) FROM notice_receipt")
    assert all(r[0] for r in rows) and notices == 2 and receipts == 2
    return [str(r[0]) for r in rows]


async def test_a_claim_is_undone_with_a_failed_send_and_the_next_round_sends(
        api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a reminder due now, and a process that fails while writing its notice
    await _close_campaign_in(0.5)
    await api.data(SCHEDULE, {"days": [1]}, await api.token(ZHENGZHOU))
    real_write = notices.write

    async def crash(**kwargs: Any) -> Notice:
        raise RuntimeError("process died mid-send")

    monkeypatch.setattr(notices, "write", crash)
    with pytest.raises(RuntimeError):
        await background.run_once("dying", Smtp(host=""))

    # Then the claim went with the transaction: nothing half-sent, still unclaimed
    reminder = await Reminder.get()
    assert reminder.claimed_at is None and reminder.claimed_by is None
    assert await Notice.all().count() == 0 and await NoticeReceipt.all().count() == 0

    # When the next round runs normally, it goes out once
    monkeypatch.setattr(notices, "write", real_write)
    await background.run_once("healthy", Smtp(host=""))
    await background.run_once("healthy", Smtp(host=""))
    reminder = await Reminder.get()
    assert reminder.claimed_by == "healthy" and reminder.notice_id is not None
    assert await Notice.all().count() == 1
