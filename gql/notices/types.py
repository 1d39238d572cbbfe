"""Notices as the API shows them: to a recipient with its own read state, to the sender with
every recipient's read receipt."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

import strawberry
from tortoise.functions import Count

from gql.compiled.declare import Column, Relation, RowSql, ScopedId, Through, declare
from gql.context import Info
from gql.nodes import scoped_id
from gql.org.types import Organization
from models import Notice as NoticeModel
from models import NoticeAttachment, NoticeReceipt
from models import Organization as OrganizationModel
from models.notice import Audience
from permissions.principal import Principal
from permissions.scoping import received_notices

strawberry.enum(Audience, description="ALL 全部, SCHOOL_TYPE 按学校类型, EXPLICIT 指定单位,"
                " CHASE 督促名单（按填报进度筛选）, REMINDER 自动提醒")


@strawberry.type(description="A file sent with a notice; downloadable by its sender and its"
                 " recipients only.")
class NoticeAttachmentFile:
    id: strawberry.ID
    filename: str
    content_type: str
    size: int = strawberry.field(description="Bytes.")
    url: str = strawberry.field(description="GET it with the same Authorization header.")

    @classmethod
    def of(cls, m: NoticeAttachment) -> NoticeAttachmentFile:
        return cls(id=strawberry.ID(str(m.id)), **NOTICE_ATTACHMENT_SQL.values(m),
                   url=f"{ATTACHMENT_URL}{m.id}")


ATTACHMENT_URL = "/files/notices/"  # gql/exports/routes.py serves it
# What each field reads, for both paths (gql/compiled/declare.py): a notice's files, reached
# only from a notice the caller sees.
NOTICE_ATTACHMENT_SQL = declare(
    "NoticeAttachmentFile", "notice_attachment", columns=("filename", "content_type", "size"),
    id=RowSql(lambda alias: f"CAST({alias}.id AS TEXT)"),
    url=RowSql(lambda alias: f"('{ATTACHMENT_URL}' || CAST({alias}.id AS TEXT))"))


@strawberry.type(description="Who of the recipient read it.")
class Reader:
    username: str
    display_name: str


@strawberry.type(description="One recipient organisation of a notice, and whether it has read"
                 " it (the first reader of the organisation, and when).")
class NoticeReceiptType:
    organization: Organization
    read_at: datetime | None
    read_by: Reader | None


@strawberry.type(name="Notice", description="站内通知: a notice from the province office or a"
                 " city bureau to organisations in its scope, or an automatic reminder.")
class NoticeType:
    id: strawberry.ID
    title: str
    body: str
    sent_at: datetime
    audience: Audience
    audience_label: str = strawberry.field(description="How the recipients were chosen"
                                           " (e.g. 督促名单：未提交).")
    sender: Organization = strawberry.field(description="The sending unit.")
    sender_name: str = strawberry.field(description="How the sender signs (郑州市教育局).")
    attachments: list[NoticeAttachmentFile]
    read_at: datetime | None = strawberry.field(
        description="When the caller's organisation read it; null while unread, and for the"
        " sender.")
    recipient_count: int | None = strawberry.field(description="For the sender only.")
    read_count: int | None = strawberry.field(description="For the sender only.")
    pk: strawberry.Private[int]
    is_sender: strawberry.Private[bool]

    @strawberry.field(description="Every recipient with its read receipt, unread first; for"
                      " the sender only (null for recipients).")
    async def receipts(self, info: Info, unread_only: bool = False
                       ) -> list[NoticeReceiptType] | None:
        if not self.is_sender:
            return None
        found = await info.context.loaders.receipts_by_notice_id.load(self.pk)
        if unread_only:
            found = [r for r in found if r.read_at is None]
        found = sorted(found, key=lambda r: r.read_at is not None)  # stable: by code within
        return [NoticeReceiptType(
            organization=Organization.of(r.organization), read_at=r.read_at,
            read_by=Reader(username=r.read_by.username, display_name=r.read_by.display_name)
            if r.read_by else None) for r in found]


async def notices_for(principal: Principal, models: Sequence[NoticeModel]) -> list[NoticeType]:
    """The API objects of notices the caller may see, with a fixed number of statements
    whatever their number: attachments, own receipts, counts and senders in one go each."""
    ids = [m.id for m in models]
    if not ids:
        return []
    files: dict[int, list[NoticeAttachment]] = defaultdict(list)
    for a in await NoticeAttachment.filter(notice_id__in=ids).order_by("id"):
        files[a.notice_id].append(a)
    own = {r.notice_id: r for r in await received_notices(principal).filter(notice_id__in=ids)}
    sent = [m.id for m in models if m.sender_org_id == principal.org_id]
    totals: dict[int, tuple[int, int]] = {}
    if sent:
        counts = await NoticeReceipt.filter(notice_id__in=sent).annotate(
            n=Count("id"), read=Count("read_at")).group_by("notice_id").values(
            "notice_id", "n", "read")
        totals = {c["notice_id"]: (int(c["n"]), int(c["read"] or 0)) for c in counts}
    senders = {o.id: o for o in await OrganizationModel.filter(
        id__in={m.sender_org_id for m in models})}
    result = []
    for m in models:
        mine = m.sender_org_id == principal.org_id
        receipt = own.get(m.id)
        n, read = totals.get(m.id, (0, 0))
        result.append(NoticeType(
            id=scoped_id("Notice", m.id), title=m.title, body=m.body, sent_at=m.created_at,
            audience=m.audience, audience_label=m.audience_label,
            sender=Organization.of(senders[m.sender_org_id]),
            sender_name=senders[m.sender_org_id].office_name,
            attachments=[NoticeAttachmentFile.of(a) for a in files[m.id]],
            read_at=receipt.read_at if receipt else None,
            recipient_count=n if mine else None, read_count=read if mine else None,
            pk=m.id, is_sender=mine))
    return result


# What each field reads, for the compiled path (gql/compiled/notices.py): a notice is a row
# that statement derives for the caller, as notices_for builds it (NOTICE_ROW_SQL).
NOTICE_TABLE = "gql_notice"
NOTICE_SQL = declare(
    "Notice", NOTICE_TABLE,
    columns=("title", "body", "audience", "audience_label", "read_at", "recipient_count",
             "read_count"),
    id=ScopedId(("id",)),  # = scoped_id("Notice", id)
    sent_at=Column("created_at"),
    sender=Relation("Organization", local="sender_org_id", remote="id"),
    sender_name=Through("sender__office_name"),
    attachments=Relation("NoticeAttachmentFile", local="id", remote="notice_id", many=True,
                         order=("id",)))

# notices_for in SQL, over the notices of {r0}: the caller's own receipt ({r1}: the receipts
# of received_notices) gives read_at; to the sender ({r2}: sent_notices) the counts of every
# receipt; `neg_id` is the lists' key (newest first: gql/notices/queries.py _page).
NOTICE_ROW_SQL = (
    "SELECT n.id, -n.id AS neg_id, n.title, n.body, n.created_at, n.audience,"
    " n.audience_label, n.sender_org_id,"
    " (SELECT o.read_at FROM notice_receipt o WHERE o.notice_id = n.id AND o.id IN {r1})"
    " AS read_at,"
    " CASE WHEN n.id IN {r2} THEN (SELECT count(*) FROM notice_receipt c"
    " WHERE c.notice_id = n.id) END AS recipient_count,"
    " CASE WHEN n.id IN {r2} THEN (SELECT count(c.read_at) FROM notice_receipt c"
    " WHERE c.notice_id = n.id) END AS read_count"
    " FROM notice n WHERE n.id IN {r0}")
