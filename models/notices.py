"""Sending notices, choosing their recipients, reading them.

Callers pass the organisations the sender may address (permissions/scoping.py); the chase
list reuses the oversight rules (models/oversight.py), never a copy of them.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from tortoise.queryset import QuerySet

from models import evidence
from models.catalog import Campaign
from models.declaration import DeclarationStatus
from models.enums import OrgKind, SchoolType
from models.errors import Code, DomainError
from models.evidence_store import evidence_store
from models.notice import Audience, Notice, NoticeAttachment, NoticeReceipt, OutboxEmail
from models.org import Organization
from models.oversight import NOT_SUBMITTED, school_progress
from models.transaction import write_transaction

MAX_TITLE = 200
MAX_BODY = 10_000
MAX_ATTACHMENTS = 10
MAX_CODES = 1000
SCHOOL_TYPE_NAMES = {SchoolType.HIGHER: "高职学校", SchoolType.SECONDARY: "中职学校",
                     SchoolType.UNIVERSITY: "职业大学"}
STATUS_NAMES = {DeclarationStatus.NOT_STARTED: "未填报", DeclarationStatus.DRAFT: "草稿",
                DeclarationStatus.SUBMITTED: "已提交",
                DeclarationStatus.CITY_APPROVED: "地市已审核",
                DeclarationStatus.RETURNED: "退回修改", DeclarationStatus.ACCEPTED: "已确认"}


@dataclass
class ChaseFilter:
    """Schools of the chase list (declaration progress of one campaign); unset parts do not
    narrow. The same meanings as declarationProgress { schools(...) }."""

    campaign: Campaign
    not_submitted: bool | None = None
    statuses: list[DeclarationStatus] | None = None
    never_logged_in: bool | None = None


@dataclass
class AudienceSpec:
    kind: Audience
    school_types: list[SchoolType] = field(default_factory=list)
    codes: list[str] = field(default_factory=list)
    chase: ChaseFilter | None = None


async def recipients_of(addressable: QuerySet[Organization], spec: AudienceSpec
                        ) -> tuple[list[Organization], str]:
    """The organisations a notice goes to, and how they were chosen (for the sender)."""
    if spec.kind is Audience.ALL:
        return await addressable.order_by("kind", "code"), "全部"
    if spec.kind is Audience.SCHOOL_TYPE:
        if not spec.school_types:
            raise DomainError(Code.INVALID_VALUE, "请选择学校类型", ["audience", "schoolTypes"])
        orgs = await addressable.filter(kind=OrgKind.SCHOOL,
                                        school_type__in=list(spec.school_types)).order_by("code")
        return orgs, "、".join(SCHOOL_TYPE_NAMES[t] for t in spec.school_types)
    if spec.kind is Audience.EXPLICIT:
        return await _explicit(addressable, spec.codes)
    if spec.kind is Audience.CHASE:
        if spec.chase is None:
            raise DomainError(Code.INVALID_VALUE, "请填写督促名单的筛选条件", ["audience", "chase"])
        return await _chase(addressable, spec.chase)
    raise DomainError(Code.INVALID_VALUE, "不支持的收件范围", ["audience", "kind"])


async def _explicit(addressable: QuerySet[Organization], codes: Sequence[str]
                    ) -> tuple[list[Organization], str]:
    wanted = list(dict.fromkeys(c.strip() for c in codes if c.strip()))
    if not wanted:
        raise DomainError(Code.INVALID_VALUE, "请至少选择一个单位",
                          ["audience", "organizationCodes"])
    if len(wanted) > MAX_CODES:
        raise DomainError(Code.INVALID_VALUE, f"一次最多选择 {MAX_CODES} 个单位",
                          ["audience", "organizationCodes"])
    # A code longer than the column cannot exist (and the ORM refuses it in a filter).
    width = Organization._meta.fields_map["code"].max_length  # type: ignore[attr-defined]
    found = {o.code: o for o in await addressable.filter(
        code__in=[c for c in wanted if len(c) <= width])}
    for index, code in enumerate(wanted):
        if code not in found:
            # The same answer for a code that does not exist: existence does not leak.
            raise DomainError(Code.RECIPIENT_NOT_IN_SCOPE,
                              f"只能向本辖区内的单位发送通知：{code}",
                              ["audience", "organizationCodes", str(index)])
    return [found[c] for c in wanted], f"指定单位（{len(wanted)}个）"


async def _chase(addressable: QuerySet[Organization], chase: ChaseFilter
                 ) -> tuple[list[Organization], str]:
    rows = await school_progress(addressable, chase.campaign)
    labels = []
    if chase.not_submitted is not None:
        rows = [r for r in rows if (r.status in NOT_SUBMITTED) is chase.not_submitted]
        labels.append("未提交" if chase.not_submitted else "已提交")
    if chase.statuses:
        rows = [r for r in rows if r.status in chase.statuses]
        labels.append("、".join(STATUS_NAMES[s] for s in chase.statuses))
    if chase.never_logged_in is not None:
        rows = [r for r in rows if r.never_logged_in is chase.never_logged_in]
        labels.append("从未登录" if chase.never_logged_in else "已登录过")
    return [r.school for r in rows], "督促名单：" + ("，".join(labels) or "全部学校")


def check_text(title: str, body: str) -> tuple[str, str]:
    title, body = title.strip(), body.strip()
    if not title:
        raise DomainError(Code.INVALID_VALUE, "请填写通知标题", "title")
    if len(title) > MAX_TITLE:
        raise DomainError(Code.INVALID_VALUE, f"通知标题不能超过{MAX_TITLE}字", "title")
    if any(ord(ch) < 32 or ch in "\u2028\u2029" for ch in title):
        # One line: it is also an e-mail's subject, where a line break would end the header.
        raise DomainError(Code.INVALID_VALUE, "通知标题不能换行或包含控制字符", "title")
    if not body:
        raise DomainError(Code.INVALID_VALUE, "请填写通知正文", "body")
    if len(body) > MAX_BODY:
        raise DomainError(Code.INVALID_VALUE, f"通知正文不能超过{MAX_BODY}字", "body")
    return title, body


@dataclass
class StoredFile:
    filename: str
    content_type: str
    size: int
    sha256: str


async def store_attachments(files: Sequence[tuple[str, bytes]]) -> list[StoredFile]:
    """Check each file as evidence is checked (name, size, type, content) and store it."""
    if len(files) > MAX_ATTACHMENTS:
        raise DomainError(Code.INVALID_VALUE, f"附件不能超过{MAX_ATTACHMENTS}个", "attachments")
    stored = []
    for index, (filename, content) in enumerate(files):
        try:
            content_type = await asyncio.to_thread(evidence.check_file, filename.strip(),
                                                   content)
        except DomainError as e:
            raise DomainError(e.code, f"附件 {filename[:120]}：{e.message}",
                              ["attachments", str(index)]) from e
        sha256 = hashlib.sha256(content).hexdigest()
        await evidence_store().put(sha256, content)
        stored.append(StoredFile(filename.strip(), content_type, len(content), sha256))
    return stored


async def send(*, sender_org_id: int, sender_user_id: int | None, title: str, body: str,
               audience: Audience, label: str, recipients: Sequence[Organization],
               attachments: Sequence[StoredFile] = (), email: bool = False,
               at: datetime | None = None) -> Notice:
    """Write the notice, one receipt per recipient and (with `email`) one outbox message per
    recipient with an address, in one transaction. Nothing waits for the SMTP server."""
    if not recipients:
        raise DomainError(Code.NO_RECIPIENTS, "没有符合条件的收件单位", "audience")
    async with write_transaction() as now:
        return await write(sender_org_id=sender_org_id, sender_user_id=sender_user_id,
                           title=title, body=body, audience=audience, label=label,
                           recipients=recipients, attachments=attachments, email=email,
                           at=at or now)


async def write(*, sender_org_id: int, sender_user_id: int | None, title: str, body: str,
                audience: Audience, label: str, recipients: Sequence[Organization],
                attachments: Sequence[StoredFile], email: bool, at: datetime) -> Notice:
    """The rows of a notice, inside the caller's transaction."""
    notice = await Notice.create(sender_org_id=sender_org_id, sender_user_id=sender_user_id,
                                 title=title, body=body, audience=audience,
                                 audience_label=label[:500], created_at=at)
    await NoticeReceipt.bulk_create([NoticeReceipt(notice_id=notice.id, organization_id=o.id)
                                     for o in recipients])
    if attachments:
        await NoticeAttachment.bulk_create([NoticeAttachment(
            notice_id=notice.id, filename=f.filename, content_type=f.content_type,
            size=f.size, sha256=f.sha256) for f in attachments])
    if email:
        sender = await Organization.get(id=sender_org_id)
        text = f"{body}\n\n—— {sender.office_name}\n（请登录任务承接平台查看通知及附件）"
        await OutboxEmail.bulk_create([OutboxEmail(
            to_address=o.contact_email, subject=f"【通知】{title}"[:300], body=text,
            notice_id=notice.id, created_at=at, next_attempt_at=at)
            for o in recipients if o.contact_email])
    return notice


async def mark_read(receipt: NoticeReceipt, user_id: int, now: datetime) -> NoticeReceipt:
    """The first reader of an organisation is the one its sender sees; later reads keep it."""
    await NoticeReceipt.filter(id=receipt.id, read_at__isnull=True).update(
        read_at=now, read_by_id=user_id)
    return await NoticeReceipt.get(id=receipt.id)
