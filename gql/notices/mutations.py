from __future__ import annotations

from typing import cast

import strawberry
from starlette.datastructures import UploadFile
from strawberry.file_uploads import Upload

from gql.catalog.queries import campaign_or_latest
from gql.context import Info
from gql.errors import UserError
from gql.nodes import decode_id, scoped_id
from gql.notices.queries import notice_by_id
from gql.notices.types import NoticeType
from gql.settings import Smtp
from models import notices
from models.clock import now_utc
from models.declaration import DeclarationStatus
from models.enums import SchoolType
from models.errors import Code, DomainError
from models.evidence import max_bytes
from models.notice import Audience
from permissions.classes import IsActiveUser, IsProvinceOrCity
from permissions.scoping import addressable_organizations, received_notices


@strawberry.input(description="Schools of the chase list, by where their declaration stands"
                  " (the filters of declarationProgress { schools }); unset parts do not"
                  " narrow.")
class ChaseFilterInput:
    not_submitted: bool | None = strawberry.field(
        default=None, description="true: not yet submitted (未填报, 草稿 or 退回修改).")
    statuses: list[DeclarationStatus] | None = None
    never_logged_in: bool | None = None
    campaign_code: str | None = strawberry.field(default=None,
                                                 description="Default: the newest campaign.")


@strawberry.input(description="Who receives a notice, within the sender's scope (the province"
                  " office: every other organisation; a city bureau: its schools).")
class NoticeAudienceInput:
    kind: Audience
    school_types: list[SchoolType] | None = strawberry.field(
        default=None, description="For SCHOOL_TYPE.")
    organization_codes: list[str] | None = strawberry.field(
        default=None, description="For EXPLICIT: codes of organisations in the sender's scope.")
    chase: ChaseFilterInput | None = strawberry.field(default=None, description="For CHASE.")


@strawberry.type
class NoticePayload:
    notice: NoticeType | None
    errors: list[UserError]


async def _spec(info: Info, audience: NoticeAudienceInput) -> notices.AudienceSpec:
    chase = None
    if audience.chase is not None:
        c = audience.chase
        chase = notices.ChaseFilter(
            campaign=await campaign_or_latest(info.context.loaders, c.campaign_code),
            not_submitted=c.not_submitted, statuses=c.statuses,
            never_logged_in=c.never_logged_in)
    return notices.AudienceSpec(kind=audience.kind, school_types=audience.school_types or [],
                                codes=audience.organization_codes or [], chase=chase)


async def _read_uploads(uploads: list[UploadFile]) -> list[tuple[str, bytes]]:
    files = []
    for index, upload in enumerate(uploads):
        content = await upload.read(max_bytes() + 1)  # a larger one is refused as too large
        files.append((upload.filename or "", content))
        if len(content) > max_bytes():
            raise DomainError(Code.FILE_TOO_LARGE,
                              f"附件不能超过 {max_bytes() / (1024 * 1024):g} MB",
                              ["attachments", str(index)])
    return files


async def _send(info: Info, title: str, body: str, audience: NoticeAudienceInput,
                uploads: list[UploadFile]) -> NoticePayload:
    principal = info.context.principal
    assert principal is not None
    try:
        title, body = notices.check_text(title, body)
        if audience.kind is Audience.REMINDER:
            raise DomainError(Code.INVALID_VALUE, "自动提醒由系统按计划发送", ["audience", "kind"])
        recipients, label = await notices.recipients_of(
            addressable_organizations(principal), await _spec(info, audience))
        if not recipients:
            raise DomainError(Code.NO_RECIPIENTS, "没有符合条件的收件单位", "audience")
        stored = await notices.store_attachments(await _read_uploads(uploads))
        notice = await notices.send(
            sender_org_id=principal.org_id, sender_user_id=principal.user_id, title=title,
            body=body, audience=audience.kind, label=label, recipients=recipients,
            attachments=stored, email=Smtp().enabled)
    except DomainError as e:
        return NoticePayload(notice=None, errors=[UserError.of(e)])
    return NoticePayload(notice=await notice_by_id(info, _global(notice.id)), errors=[])


def _global(pk: int) -> str:
    return str(scoped_id("Notice", pk))


@strawberry.type
class NoticeMutations:
    @strawberry.mutation(description="Province office or city bureau: send a notice (title,"
                         " text, up to 10 attachments checked like evidence files) to"
                         " organisations in the sender's scope. Recipients with a contact"
                         " e-mail also get it by e-mail when SMTP is configured.",
                         permission_classes=[IsProvinceOrCity])
    async def send_notice(self, info: Info, title: str, body: str,
                          audience: NoticeAudienceInput,
                          attachments: list[Upload] | None = None) -> NoticePayload:
        uploads = [cast(UploadFile, f) for f in attachments or []]
        try:
            for index, upload in enumerate(uploads):
                if not isinstance(upload, UploadFile):  # a client may send a string
                    return NoticePayload(notice=None, errors=[UserError(
                        field=["attachments", str(index)], code=Code.INVALID_VALUE,
                        message="附件必须是文件")])
            return await _send(info, title, body, audience, uploads)
        finally:
            for upload in uploads:
                if isinstance(upload, UploadFile):
                    await upload.close()

    @strawberry.mutation(description="Mark a received notice as read by the caller's"
                         " organisation (the first reader and time are kept).",
                         permission_classes=[IsActiveUser])
    async def mark_notice_read(self, info: Info, id: strawberry.ID) -> NoticePayload:
        principal = info.context.principal
        assert principal is not None
        pk = decode_id(str(id), "Notice")
        receipt = await received_notices(principal).get_or_none(notice_id=pk) if pk else None
        if receipt is None:
            return NoticePayload(notice=None, errors=[UserError(
                field=["id"], code=Code.NOT_FOUND, message="通知不存在")])
        await notices.mark_read(receipt, principal.user_id, now_utc())
        return NoticePayload(notice=await notice_by_id(info, str(id)), errors=[])
