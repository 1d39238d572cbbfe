from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated, cast

import strawberry
from starlette.datastructures import UploadFile
from strawberry.file_uploads import Upload

from gql.catalog.queries import campaign_or_latest
from gql.context import Info
from gql.declarations.inputs import FundingInput
from gql.declarations.mutations import REVIEW_VERSION
from gql.errors import UserError
from gql.nodes import decode_id
from gql.performance.inputs import SaveReportInput
from gql.performance.resolve import report_of, round_target, undertaking_target
from gql.performance.types import (
    ACTORS,
    CertificationType,
    ChangeRequestType,
    EvidenceFile,
    PerformanceReport,
    ReportingRoundType,
)
from gql.undertakings.types import Undertaking
from models import (
    ChangeRequest,
    Organization,
    PerformanceEntry,
    ReportingRound,
    change_requests,
    evidence,
    reports,
)
from models import PerformanceReport as ReportModel
from models import certification as certifying
from models.errors import Code, DomainError, DomainErrors
from models.evidence import max_bytes
from models.performance import CertificationResult, ChangeKind
from models.reports import EntryInput
from permissions.actions import (
    may_accept_declaration,
    may_edit_declaration,
    may_manage_deadlines,
    may_request_change,
    may_return_declaration,
)
from permissions.classes import IsActiveUser, IsProvinceOffice
from permissions.principal import Principal
from permissions.scoping import visible_change_requests, visible_evidence

MAX_ENTRIES = 200


@strawberry.type
class PerformanceReportPayload:
    report: PerformanceReport | None
    errors: list[UserError]


@strawberry.type
class ReportingRoundPayload:
    round: ReportingRoundType | None
    errors: list[UserError]


@strawberry.type
class EvidencePayload:
    evidence: EvidenceFile | None
    errors: list[UserError]
    report_id: strawberry.Private[int | None] = None

    @strawberry.field(description="The report the file belongs to, as it is now: a client"
                      " cache updates the line's evidence list from it.")
    async def report(self, info: Info) -> PerformanceReport | None:
        if self.report_id is None:
            return None
        model = await ReportModel.get(id=self.report_id)
        org = await info.context.loaders.organization_by_id.load(model.organization_id)
        round_ = await ReportingRound.get(id=model.round_id)
        return await report_of(info.context, org, round_) if org else None


@strawberry.type
class ChangeRequestPayload:
    change_request: ChangeRequestType | None
    errors: list[UserError]


@strawberry.type
class CertificationPayload:
    certification: CertificationType | None
    errors: list[UserError]
    undertaking: Undertaking | None = strawberry.field(
        default=None, description="The undertaking certified, with its certification.")


def _errors(e: DomainError | DomainErrors) -> list[UserError]:
    return [UserError.of(x) for x in (e.errors if isinstance(e, DomainErrors) else [e])]


def _forbidden(message: str, field: str = "organizationCode") -> list[UserError]:
    return [UserError(field=[field], code=Code.FORBIDDEN, message=message)]


Operation = Callable[[Organization, ReportingRound], Awaitable[object]]


async def _run(info: Info, organization_code: str | None, year: int, campaign_code: str | None,
               allowed: Callable[[Principal, Organization], bool], denied: str,
               operation: Operation) -> PerformanceReportPayload:
    principal = info.context.principal
    assert principal is not None
    found = await round_target(info.context, organization_code, year, campaign_code)
    if isinstance(found, UserError):
        return PerformanceReportPayload(report=None, errors=[found])
    org, round_ = found
    if not allowed(principal, org):
        return PerformanceReportPayload(report=None, errors=_forbidden(denied))
    try:
        await operation(org, round_)
    except (DomainError, DomainErrors) as e:
        return PerformanceReportPayload(report=None, errors=_errors(e))
    return PerformanceReportPayload(report=await report_of(info.context, org, round_),
                                    errors=[])


def _actor(info: Info) -> int:
    assert info.context.principal is not None
    return info.context.principal.user_id


@strawberry.type
class PerformanceMutations:
    @strawberry.mutation(description="Province office: open (or move) a year's reporting round.",
                         permission_classes=[IsProvinceOffice])
    async def open_reporting_round(self, info: Info, year: int, opens_at: datetime,
                                   closes_at: datetime, campaign_code: str | None = None
                                   ) -> ReportingRoundPayload:
        campaign = await campaign_or_latest(info.context.loaders, campaign_code)
        try:
            round_ = await reports.open_round(await reports.round_of(campaign, year), opens_at,
                                              closes_at)
        except DomainError as e:
            return ReportingRoundPayload(round=None, errors=[UserError.of(e)])
        return ReportingRoundPayload(round=ReportingRoundType.of(round_), errors=[])

    @strawberry.mutation(description="Province office: give one organisation until `until` for"
                         " a year's report; it ends by itself.",
                         permission_classes=[IsProvinceOffice])
    async def grant_report_extension(self, info: Info, organization_code: str, year: int,
                                     until: datetime, campaign_code: str | None = None
                                     ) -> PerformanceReportPayload:
        return await _run(info, organization_code, year, campaign_code,
                          may_manage_deadlines, "仅省教育厅可延期",
                          lambda org, r: reports.grant_extension(_actor(info), org, r, until))

    @strawberry.mutation(description="Save lines of one's report for a year at once (drafts);"
                         " a batch with any error changes nothing.",
                         permission_classes=[IsActiveUser])
    async def save_report(self, info: Info, input: SaveReportInput) -> PerformanceReportPayload:
        if len(input.entries) > MAX_ENTRIES:
            return PerformanceReportPayload(report=None, errors=[UserError(
                field=["entries"], code=Code.INVALID_VALUE,
                message=f"一次最多保存{MAX_ENTRIES}行")])
        entries = [EntryInput(undertaking_id=decode_id(str(e.undertaking_id), "Undertaking") or 0,
                              completed_quantity=e.completed_quantity, spent=e.spent.as_dict(),
                              progress=e.progress, narrative=e.narrative)
                   for e in input.entries]
        return await _run(info, input.organization_code, input.year, input.campaign_code,
                          may_edit_declaration, "只能填报本单位的绩效",
                          lambda org, r: reports.save_entries(_actor(info), org, r,
                                                              input.version, entries))

    @strawberry.mutation(description="Submit one's report for a year: every accepted undertaking"
                         " must have its line saved.", permission_classes=[IsActiveUser])
    async def submit_report(self, info: Info, year: int, version: int,
                            organization_code: str | None = None,
                            campaign_code: str | None = None) -> PerformanceReportPayload:
        return await _run(info, organization_code, year, campaign_code, may_edit_declaration,
                          "只能提交本单位的绩效",
                          lambda org, r: reports.submit(_actor(info), org, r, version))

    @strawberry.mutation(description="Take back one's submitted report (before review, inside"
                         " the window).", permission_classes=[IsActiveUser])
    async def withdraw_report(self, info: Info, year: int, version: int,
                              organization_code: str | None = None,
                              campaign_code: str | None = None) -> PerformanceReportPayload:
        return await _run(info, organization_code, year, campaign_code, may_edit_declaration,
                          "只能撤回本单位的绩效",
                          lambda org, r: reports.withdraw(_actor(info), org, r, version))

    @strawberry.mutation(description="Send a submitted (or city-approved) report back"
                         " (退回修改) with a reason (a city bureau: its own schools').",
                         permission_classes=[IsActiveUser])
    async def return_report(
        self, info: Info, organization_code: str, year: int, reason: str,
        version: Annotated[int | None, strawberry.argument(description=REVIEW_VERSION)] = None,
        campaign_code: str | None = None,
    ) -> PerformanceReportPayload:
        return await _run(info, organization_code, year, campaign_code, may_return_declaration,
                          "无权退回该单位的绩效",
                          lambda org, r: reports.return_(_actor(info), org, r, version, reason))

    @strawberry.mutation(description="Province office: confirm (已确认) a report its city"
                         " bureau has approved, or a submitted one that needs no city review.",
                         permission_classes=[IsProvinceOffice])
    async def accept_report(
        self, info: Info, organization_code: str, year: int,
        version: Annotated[int | None, strawberry.argument(description=REVIEW_VERSION)] = None,
        campaign_code: str | None = None,
    ) -> PerformanceReportPayload:
        return await _run(info, organization_code, year, campaign_code,
                          lambda p, _o: may_accept_declaration(p), "仅省教育厅可确认",
                          lambda org, r: reports.accept(_actor(info), org, r, version))

    @strawberry.mutation(description="Attach an evidence file (PDF, PNG/JPG, Office documents;"
                         " 20 MB at most) to a saved line of one's report. Send it as a"
                         " GraphQL multipart request.", permission_classes=[IsActiveUser])
    async def upload_evidence(self, info: Info, undertaking_id: strawberry.ID, year: int,
                              file: Upload, campaign_code: str | None = None
                              ) -> EvidencePayload:
        upload = cast(UploadFile, file)
        try:
            return await _upload_evidence(info, str(undertaking_id), year, upload,
                                          campaign_code)
        finally:
            await upload.close()  # its spooled temporary file, whatever the answer

    @strawberry.mutation(description="Remove an evidence file from an editable report.",
                         permission_classes=[IsActiveUser])
    async def delete_evidence(self, info: Info, id: strawberry.ID) -> EvidencePayload:
        return await _delete_evidence(info, str(id))

    @strawberry.mutation(description="Ask the province to change (or withdraw) an accepted"
                         " undertaking, after the declaration deadline.",
                         permission_classes=[IsActiveUser])
    async def request_undertaking_change(
        self, info: Info, undertaking_id: strawberry.ID, kind: ChangeKind, reason: str,
        quantity: int | None = None, funding: FundingInput | None = None,
    ) -> ChangeRequestPayload:
        return await _request_change(info, str(undertaking_id), kind, reason, quantity,
                                     funding)

    @strawberry.mutation(description="Province office: approve (applies the change) or reject"
                         " (with a reason) a change request.",
                         permission_classes=[IsProvinceOffice])
    async def decide_change_request(
        self, info: Info, id: strawberry.ID, approve: bool, reason: str | None = None,
        confirm_reason: Annotated[str | None, strawberry.argument(description=(
            "Approving the withdrawal of an item a submitted must-undertake-all school must"
            " undertake is refused (MANDATORY_RULE_BROKEN) unless the province gives why"
            " here; the school is then flagged in compliance."))] = None,
    ) -> ChangeRequestPayload:
        return await _decide(info, str(id), approve, reason, confirm_reason)

    @strawberry.mutation(description="Province office: record an undertaking's certification"
                         " (遴选认定) in the year's round: the result, the certified quantity"
                         " (\"1 of 2 studios\") and remarks; every decision is kept in its"
                         " history.",
                         permission_classes=[IsProvinceOffice])
    async def certify_undertaking(
        self, info: Info, undertaking_id: strawberry.ID, result: CertificationResult,
        remarks: str = "",
        certified_quantity: Annotated[int | None, strawberry.argument(description=(
            "How many of the undertaken quantity are certified: 1..quantity when CERTIFIED"
            " (default: all of it), 0 when NOT_CERTIFIED, none when PENDING."))] = None,
        year: Annotated[int, strawberry.argument(description=(
            "The certification round; it must be open (openCertificationRound)."))] = 2024,
    ) -> CertificationPayload:
        return await _certify(info, str(undertaking_id), result, remarks, certified_quantity,
                              year)


async def _upload_evidence(info: Info, undertaking_id: str, year: int, upload: UploadFile,
                           campaign_code: str | None) -> EvidencePayload:
    principal = info.context.principal
    assert principal is not None
    undertaking = await undertaking_target(info.context, undertaking_id)
    if isinstance(undertaking, UserError):
        return EvidencePayload(evidence=None, errors=[undertaking])
    org = await Organization.get(id=undertaking.organization_id)
    if not may_edit_declaration(principal, org):
        return EvidencePayload(evidence=None, errors=_forbidden("只能为本单位上传佐证材料",
                                                                "undertakingId"))
    found = await round_target(info.context, org.code, year, campaign_code)
    if isinstance(found, UserError):
        return EvidencePayload(evidence=None, errors=[found])
    entry = await PerformanceEntry.get_or_none(undertaking_id=undertaking.id,
                                               report__round_id=found[1].id)
    if entry is None:
        return EvidencePayload(evidence=None, errors=[UserError(
            field=["undertakingId"], code=Code.ENTRY_NOT_SAVED,
            message="请先保存该任务本年度的绩效数据，再上传佐证材料")])
    # Read one byte past the limit: enough to refuse a large file without holding it all.
    content = await upload.read(max_bytes() + 1)
    try:
        stored = await evidence.attach(principal.user_id, entry, upload.filename or "", content)
    except DomainError as e:
        return EvidencePayload(evidence=None, errors=[UserError.of(e)])
    return EvidencePayload(evidence=EvidenceFile.of(stored), errors=[],
                           report_id=entry.report_id)


async def _delete_evidence(info: Info, id: str) -> EvidencePayload:
    principal = info.context.principal
    assert principal is not None
    pk = decode_id(id, "EvidenceFile")
    found = await visible_evidence(principal).get_or_none(id=pk).select_related(
        "entry__undertaking__organization") if pk else None
    if found is None:
        return EvidencePayload(evidence=None, errors=[UserError(
            field=["id"], code=Code.NOT_FOUND, message="文件不存在")])
    if not may_edit_declaration(principal, found.entry.undertaking.organization):
        return EvidencePayload(evidence=None,
                               errors=_forbidden("只能删除本单位的佐证材料", "id"))
    try:
        await evidence.remove(found)
    except DomainError as e:
        return EvidencePayload(evidence=None, errors=[UserError.of(e)])
    return EvidencePayload(evidence=EvidenceFile.of(found), errors=[],
                           report_id=found.entry.report_id)


async def _request_change(info: Info, undertaking_id: str, kind: ChangeKind, reason: str,
                          quantity: int | None, funding: FundingInput | None
                          ) -> ChangeRequestPayload:
    principal = info.context.principal
    assert principal is not None
    undertaking = await undertaking_target(info.context, undertaking_id)
    if isinstance(undertaking, UserError):
        return ChangeRequestPayload(change_request=None, errors=[undertaking])
    org = await Organization.get(id=undertaking.organization_id)
    if not may_request_change(principal, org):
        return ChangeRequestPayload(change_request=None, errors=_forbidden(
            "只能为本单位的承接任务提出变更", "undertakingId"))
    try:
        created = await change_requests.request(
            principal.user_id, undertaking, kind, quantity,
            funding.as_dict() if funding else None, reason)
    except (DomainError, DomainErrors) as e:
        return ChangeRequestPayload(change_request=None, errors=_errors(e))
    loaded = await ChangeRequest.get(id=created.id).select_related(*ACTORS)
    return ChangeRequestPayload(change_request=ChangeRequestType.of(loaded), errors=[])


async def _decide(info: Info, id: str, approve: bool, reason: str | None,
                  confirm_reason: str | None) -> ChangeRequestPayload:
    principal = info.context.principal
    assert principal is not None
    pk = decode_id(id, "ChangeRequest")
    found = await visible_change_requests(principal).get_or_none(id=pk) if pk else None
    if found is None:
        return ChangeRequestPayload(change_request=None, errors=[UserError(
            field=["id"], code=Code.NOT_FOUND, message="变更申请不存在")])
    try:
        await change_requests.decide(principal.user_id, found, approve, reason, confirm_reason)
    except DomainError as e:
        return ChangeRequestPayload(change_request=None, errors=[UserError.of(e)])
    info.context.reset_loaders()
    loaded = await ChangeRequest.get(id=found.id).select_related(*ACTORS)
    return ChangeRequestPayload(change_request=ChangeRequestType.of(loaded), errors=[])


async def _certify(info: Info, undertaking_id: str, result: CertificationResult,
                   remarks: str, certified_quantity: int | None,
                   year: int) -> CertificationPayload:
    principal = info.context.principal
    assert principal is not None
    undertaking = await undertaking_target(info.context, undertaking_id)
    if isinstance(undertaking, UserError):
        return CertificationPayload(certification=None, errors=[undertaking])
    try:
        c = await certifying.certify(principal.user_id, undertaking, result, remarks,
                                     year=year, certified_quantity=certified_quantity)
    except DomainError as e:
        return CertificationPayload(certification=None, errors=[UserError.of(e)])
    info.context.reset_loaders()
    return CertificationPayload(certification=CertificationType.of(c, year), errors=[],
                                undertaking=Undertaking.of(undertaking))
