"""Notices through the compiled path: the inbox (all, or unread), the notices sent with their
counts, one notice by id, each with its sender, attachments and the caller's read state; pages
walked by cursor; the same bytes as the resolver path for every caller, one statement each,
and no notice of another organisation."""

from __future__ import annotations

from base64 import b64encode
from datetime import timedelta
from typing import Any

import pytest

from models import Organization, User
from models.clock import now_utc
from models.enums import OrgKind
from models.notice import Audience, NoticeReceipt
from models.notices import StoredFile, mark_read, write
from models.transaction import write_transaction
from tests.compiled.conftest import Paths
from tests.conftest import HIGHER_SCHOOL, LUOYANG, LY_SCHOOL, PROVINCE, ZHENGZHOU, ZZ_SCHOOL

pytestmark = pytest.mark.asyncio(loop_scope="session")

FIELDS = """
fragment N on Notice {
  __typename id title body sentAt audience audienceLabel senderName readAt recipientCount
  readCount sender { __typename code name parent { code } }
  attachments { __typename id filename contentType size url }
}"""

INBOX = """
query($first: Int, $after: String, $unread: Boolean!) {
  notices(first: $first, after: $after, unreadOnly: $unread) {
    __typename totalCount
    pageInfo { __typename hasNextPage hasPreviousPage startCursor endCursor }
    edges { __typename cursor node { ...N } }
  }
}""" + FIELDS

SENT = """
query($first: Int, $after: String) {
  sentNotices(first: $first, after: $after) {
    totalCount pageInfo { hasNextPage hasPreviousPage endCursor }
    edges { cursor node { ...N } } again: edges { n: node { t: title ... on Notice { readCount } } }
  }
}""" + FIELDS

ONE = """
query($id: ID!) { notice(id: $id) { ...N } }""" + FIELDS

USERS = (PROVINCE, ZHENGZHOU, LUOYANG, ZZ_SCHOOL, LY_SCHOOL, HIGHER_SCHOOL)


def _id(pk: int) -> str:
    return b64encode(f"Notice:{pk}".encode()).decode()


async def _notices() -> list[int]:
    """Notices of the province and of a city, with attachments, some read; by id."""
    province = await Organization.get(code=PROVINCE)
    city = await Organization.get(code=ZHENGZHOU)
    everyone = await Organization.exclude(id=province.id).order_by("kind", "code")
    schools = await Organization.filter(parent_id=city.id, kind=OrgKind.SCHOOL).order_by("code")
    sender = await User.get(username=PROVINCE)
    files = [StoredFile("通知\"附件\".pdf", "application/pdf", 1234, "0" * 64),
             StoredFile("名单.xlsx", "application/vnd.ms-excel", 99, "1" * 64)]
    at = now_utc() - timedelta(days=3)
    sent = []
    for k, (org, user, audience, label, to, attached) in enumerate([
            (province, sender, Audience.ALL, "全部", everyone, files),
            (city, await User.get(username=ZHENGZHOU), Audience.EXPLICIT, "指定单位（1个）",
             schools[:1], files[1:]),
            (province, None, Audience.REMINDER, "自动提醒", everyone, []),
            (city, await User.get(username=ZHENGZHOU), Audience.CHASE, "督促名单：未提交",
             schools, []),
            (province, sender, Audience.SCHOOL_TYPE, "中职学校", everyone[-3:], [])]):
        async with write_transaction():
            notice = await write(sender_org_id=org.id, sender_user_id=user.id if user else None,
                                 title=f"通知{k}：\"请\"\\按时", body=f"正文{k}\n第二行😀",
                                 audience=audience, label=label, recipients=to,
                                 attachments=attached, email=False, at=at + timedelta(hours=k))
        sent.append(notice.id)
    reader = await User.get(username=ZZ_SCHOOL)
    for receipt in await NoticeReceipt.filter(notice_id__in=sent[:2], organization__code__in=[
            ZZ_SCHOOL, ZHENGZHOU]).order_by("id"):
        await mark_read(receipt, reader.id, now_utc() - timedelta(hours=1))
    return sent


async def _walk(paths: Paths, query: str, token: str, unread: bool | None = None,
                first: int = 2) -> list[str]:
    """Every page in turn; the titles seen."""
    after = None
    titles: list[str] = []
    for _ in range(10):
        variables: dict[str, Any] = {"first": first, "after": after}
        if unread is not None:
            variables["unread"] = unread
        body = await paths.reference.data(query, variables, token)
        await paths.both(query, variables, token)
        assert len(paths.statements) == paths.one_read, paths.statements
        (connection,) = [v for k, v in body.items() if k in ("notices", "sentNotices")]
        titles += [e["node"]["title"] for e in connection["edges"]]
        if not connection["pageInfo"]["hasNextPage"]:
            return titles
        after = connection["pageInfo"]["endCursor"]
    raise AssertionError("no last page")


async def test_notices(paths: Paths) -> None:
    for user in USERS:  # nothing sent yet: empty lists, a cursor read on none
        token = await paths.token(user)
        for unread in (False, True):
            await _walk(paths, INBOX, token, unread)
        await _walk(paths, SENT, token)
    sent = await _notices()
    seen = {}
    for user in USERS:
        token = await paths.token(user)
        inbox = await _walk(paths, INBOX, token, False)
        unread = await _walk(paths, INBOX, token, True, first=1)
        outbox = await _walk(paths, SENT, token, first=3)
        assert set(unread) <= set(inbox)
        seen[user] = (inbox, outbox)
        for pk in [*sent, sent[0] + 1000]:
            body = await paths.both(ONE, {"id": _id(pk)}, token)
            assert len(paths.statements) == paths.one_read, paths.statements
            if user == LUOYANG and pk == sent[1]:  # another city's notice to its school
                assert b'"notice":null' in body
        await paths.both('query($id: ID!) { one: notice(id: $id) { title } two: notice(id: $id)'
                         ' { __typename t: title audience } }', {"id": _id(sent[1])}, token)
        assert len(paths.statements) == paths.one_read + 1, paths.statements  # two roots
        # defaults (50 a page) and a page of none; malformed ids: null without a statement
        await paths.both("{ notices { totalCount edges { node { title } } } }", None, token)
        await paths.both("{ sentNotices(first: 0) { totalCount pageInfo { hasNextPage }"
                         " edges { cursor } } }", None, token)
        await paths.both('{ a: notice(id: "bad") { title } b: notice(id: "T3JnOjE=") { id } }',
                         None, token)
    assert seen[ZZ_SCHOOL][0] and seen[PROVINCE][1] and seen[ZHENGZHOU][1]
    assert not seen[LUOYANG][1] and len(seen[PROVINCE][0]) == 0
    assert len(seen[ZZ_SCHOOL][0]) >= 3 and len(seen[LY_SCHOOL][0]) < len(sent)


async def test_notice_reads_left_to_strawberry(paths: Paths) -> None:
    """Receipts take an argument, a cursor of another list or a malformed one is refused (or,
    on an empty list, not read): strawberry answers those, the same bytes."""
    sent = await _notices()
    province = await paths.token(PROVINCE)
    await paths.both(ONE.replace("readCount", "readCount receipts { readAt organization"
                                 " { code } readBy { username } }"), {"id": _id(sent[0])},
                     province)
    assert len(paths.statements) > paths.one_read, paths.statements
    other = b64encode(b'["k1", "SCHOOL", "4199200001", 3]').decode()
    text = b64encode(b'["k1", "x"]').decode()
    for token in (province, await paths.token(ZZ_SCHOOL)):
        for after in (other, text, "bm9wZQ==", None):
            for first in (1, -1):
                if after is None and first == 1:
                    continue
                await paths.both(INBOX, {"first": first, "after": after, "unread": False},
                                 token)
                await paths.both(SENT, {"first": first, "after": after}, token)
        # a cursor of this list's kind: compiled, on a list with rows and on an empty one
        # (the province receives none, the school sends none: no page before it then)
        for pk in (sent[2], sent[0] + 1000, 0):
            after = b64encode(f'["k1", {-pk}]'.encode()).decode()
            for query, variables in ((INBOX, {"first": 2, "after": after, "unread": False}),
                                     (SENT, {"first": 2, "after": after})):
                await paths.both(query, variables, token)
                assert len(paths.statements) == paths.one_read, paths.statements
