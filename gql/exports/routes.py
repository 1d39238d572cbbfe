"""Spreadsheet downloads over HTTP, with the same bearer token and scope as the API.

GET /exports/declarations/{code}.xlsx   one organisation's declaration (the notice's table)
GET /exports/summary.xlsx[?city=CODE]   sums per item, per item and city, per city and funding
                                        source, per school and item, school progress
GET /exports/progress.csv[?city=CODE]   school progress
GET /exports/sums.csv[?city=CODE]       sums per item and city
GET /exports/performance.xlsx?year=Y[&city=CODE]  planned against achieved, who has reported
GET /files/evidence/{id}                an evidence file, for whoever sees its undertaking
GET /files/notices/{id}                 a notice's attachment, for its sender and recipients
GET /exports/initial-passwords/{code}.xlsx  the province office: one-time passwords, once
GET /exports/operation-log.xlsx|.csv    the auditor: the operation log (gql/audit/exports.py)
Sums count the declarations in ?statuses=submitted,city_approved,accepted (the default) and
the report lines in ?reportStatuses=accepted (the default); the workbooks say which.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from tortoise.queryset import QuerySet

from gql.audit.exports import operation_log_csv, operation_log_xlsx
from gql.audit.recorder import record_download, recorded
from gql.catalog.queries import campaign_or_latest
from gql.context import Context, bearer_token, build_context
from gql.errors import ApiError
from gql.exports import certifying, sheets
from gql.exports import workbooks as wb
from gql.exports.responses import attachment as _file
from gql.exports.responses import error as _error
from gql.input_limits import check_text
from gql.nodes import db_id
from gql.oversight.scope import OversightScope, oversight_scope
from models import (
    Declaration,
    Organization,
    TaskEntry,
    Undertaking,
    certification,
    evidence,
    initial_passwords,
    oversight,
    reports,
    totals,
)
from models.certification import CertifiedRow
from models.clock import beijing, now_utc
from models.declaration import DeclarationStatus
from models.enums import OrgKind
from models.errors import Code, DomainError
from models.performance import CertificationRound
from permissions.classes import (
    PROVINCE_OR_CITY,
    IsAuditor,
    IsProvinceOffice,
    domain_user,
    having_role,
)
from permissions.scoping import (
    manages,
    visible_evidence,
    visible_notice_attachments,
    visible_organization,
)

Handler = Callable[[Request, Context], Awaitable[Response]]

# Path and query parameters take the caps of the GraphQL arguments they stand for, so a code
# longer than its column is refused before the ORM sees it (it answered HTTP 500).
PARAMETERS = {"code": "organizationCode", "city": "cityCode", "campaign": "campaignCode"}


def _authenticated(handler: Handler, operation: str, *, oversight_only: bool = False,
                   province_only: bool = False, auditor_only: bool = False
                   ) -> Callable[[Request], Awaitable[Response]]:
    """The same gates as the API: a live token, a changed password, and for summaries a
    province or city role (for initial passwords, the province office's). Every request,
    refused or not, leaves a record in the operation log (gql/audit/recorder.py); a
    download that changes something (initial passwords are handed out once) keeps its
    record in the same transaction."""
    async def endpoint(request: Request) -> Response:
        context = await build_context(request, None, bearer_token(request.headers))
        try:
            for name, value in [*request.path_params.items(), *request.query_params.items()]:
                check_text(PARAMETERS.get(name, name), str(value), name)
            if auditor_only:
                having_role(context, IsAuditor.roles, IsAuditor.message)
            elif province_only:
                having_role(context, IsProvinceOffice.roles, "仅省教育厅可下载初始密码")
            elif oversight_only:
                having_role(context, PROVINCE_OR_CITY, "仅省教育厅或地市教育局可导出汇总")
            else:
                domain_user(context)
        except ApiError as e:
            code = str((e.extensions or {})["code"])
            status = {Code.UNAUTHENTICATED: 401, Code.BAD_USER_INPUT: 400}.get(code, 403)
            refused = _error(status, code, e.message)
            if code != Code.BAD_USER_INPUT:  # an oversized parameter is not kept either
                await record_download(context, operation, request, refused)
            return refused
        return await recorded(request, context, handler, operation,
                              same_transaction=province_only)

    return endpoint


async def declaration_xlsx(request: Request, context: Context) -> Response:
    assert context.principal is not None
    code = request.path_params["code"]
    org = await visible_organization(context.principal, code)
    if org is None or not manages(context.principal, org):
        return _error(404, Code.NOT_FOUND, "单位不存在")
    campaign = await campaign_or_latest(context.loaders, request.query_params.get("campaign"))
    declaration = await Declaration.get_or_none(organization_id=org.id, campaign_id=campaign.id)
    status = declaration.status if declaration else DeclarationStatus.NOT_STARTED
    entries = await TaskEntry.filter(campaign_id=campaign.id, retired_at=None).order_by(
        "sort_key")
    undertakings = await Undertaking.filter(organization_id=org.id, withdrawn_at__isnull=True,
                                            item__campaign_id=campaign.id)
    content = wb.declaration_workbook(org, status.value, entries, undertakings, now_utc())
    return _file(content, f"{org.code}-{org.name}-承接任务.xlsx", wb.XLSX_TYPE,
                 f"declaration-{org.code}")


async def _scope(request: Request, context: Context) -> OversightScope | Response:
    try:
        return await oversight_scope(context, request.query_params.get("city"),
                                     request.query_params.get("campaign"))
    except ApiError as e:
        return _error(404, Code.NOT_FOUND, e.message)


def _statuses(request: Request, name: str, default: list[DeclarationStatus]
              ) -> list[DeclarationStatus]:
    """?name=submitted,accepted: the statuses to count (DomainError on a bad one)."""
    raw = request.query_params.get(name)
    if raw is None:
        return list(default)
    try:
        given = [DeclarationStatus(part.strip().lower()) for part in raw.split(",")
                 if part.strip()]
    except ValueError as e:
        raise DomainError(Code.BAD_USER_INPUT, f"无法识别的状态：{raw}", name) from e
    return totals.statuses_or_default(given, default)


async def _sums(scope: OversightScope, counted: QuerySet[Undertaking]
                ) -> tuple[list[list[object]], list[list[object]]]:
    all_items = await oversight.item_sums(counted, scope.campaign, by_group=False)
    groups = await oversight.item_sums(counted, scope.campaign, by_group=True)
    items = {e.id: e for e in await TaskEntry.filter(campaign_id=scope.campaign.id)}
    units = await _units({g.group_id for g in groups if g.group_id is not None})
    return wb.sums_rows(all_items, items), wb.group_rows(groups, items, units)


async def _progress(scope: OversightScope) -> list[list[object]]:
    rows = await oversight.school_progress(scope.organizations, scope.campaign)
    units = await _units({r.school.parent_id for r in rows if r.school.parent_id})
    return wb.progress_rows(rows, units)


async def _units(ids: set[int | None]) -> dict[int, Organization]:
    return {u.id: u for u in await Organization.filter(id__in=[i for i in ids if i])}


async def summary_xlsx(request: Request, context: Context) -> Response:
    scope = await _scope(request, context)
    if isinstance(scope, Response):
        return scope
    try:
        statuses = _statuses(request, "statuses", totals.DEFAULT_DECLARATIONS)
    except DomainError as e:
        return _error(400, Code.BAD_USER_INPUT, e.message)
    counted = totals.counted_undertakings(scope.undertakings, scope.campaign, statuses)
    sums, groups = await _sums(scope, counted)
    cities = await totals.city_funding(counted)
    detail = await totals.school_item_rows(counted)
    units = await _units({c.group_id for c in cities} | {u.organization.parent_id
                                                         for u in detail})
    content = wb.summary_workbook(scope.campaign.name, sums, groups, await _progress(scope), [
        sheets.city_funding_sheet(cities, units), sheets.school_item_sheet(detail, units),
        sheets.counted_note(statuses, now_utc())])
    return _file(content, "承接任务汇总.xlsx", wb.XLSX_TYPE, "summary")


async def progress_csv(request: Request, context: Context) -> Response:
    scope = await _scope(request, context)
    if isinstance(scope, Response):
        return scope
    content = wb.csv_bytes(wb.PROGRESS_HEADER, await _progress(scope))
    return _file(content, "学校申报进度.csv", "text/csv; charset=utf-8", "progress")


async def sums_csv(request: Request, context: Context) -> Response:
    scope = await _scope(request, context)
    if isinstance(scope, Response):
        return scope
    try:
        statuses = _statuses(request, "statuses", totals.DEFAULT_DECLARATIONS)
    except DomainError as e:
        return _error(400, Code.BAD_USER_INPUT, e.message)
    _, groups = await _sums(scope, totals.counted_undertakings(scope.undertakings,
                                                               scope.campaign, statuses))
    return _file(wb.csv_bytes(wb.GROUP_HEADER, groups), "承接任务按地市汇总.csv",
                 "text/csv; charset=utf-8", "sums")


async def performance_xlsx(request: Request, context: Context) -> Response:
    scope = await _scope(request, context)
    if isinstance(scope, Response):
        return scope
    try:
        counted = _statuses(request, "reportStatuses", totals.DEFAULT_REPORTS)
    except DomainError as e:
        return _error(400, Code.BAD_USER_INPUT, e.message)
    try:
        year = int(request.query_params["year"])
        if not 2000 <= year <= 2999:  # a 30-digit year overflowed the database's integer
            raise ValueError(year)
        round_ = await reports.round_of(scope.campaign, year)
    except (KeyError, ValueError):
        return _error(400, Code.BAD_USER_INPUT, "请指定年度，例如 ?year=2021")
    except DomainError as e:
        return _error(404, e.code, e.message)
    groups = await oversight.performance_sums(scope.undertakings, scope.entries, round_,
                                              by_group=True, report_statuses=counted)
    items = {e.id: e for e in await TaskEntry.filter(campaign_id=scope.campaign.id)}
    units = await _units({g.group_id for g in groups if g.group_id is not None})
    progress = await oversight.report_progress(scope.organizations, round_)
    content = wb.performance_workbook(round_.year, wb.performance_rows(groups, items, units),
                                      wb.report_status_rows(progress),
                                      [sheets.counted_note(counted, now_utc(), reports=True)])
    return _file(content, f"{round_.year}年度执行绩效汇总.xlsx", wb.XLSX_TYPE,
                 f"performance-{round_.year}")


async def _certification_rows(request: Request, context: Context
                              ) -> tuple[OversightScope, CertificationRound,
                                         list[CertifiedRow]] | Response:
    scope = await _scope(request, context)
    if isinstance(scope, Response):
        return scope
    try:
        year = int(request.query_params.get("year", "2024"))
        if not 2000 <= year <= 2999:
            raise ValueError(year)
        round_ = await certification.round_of(scope.campaign, year)
    except ValueError:
        return _error(400, Code.BAD_USER_INPUT, "请指定认定年度，例如 ?year=2024")
    except DomainError as e:
        return _error(404, e.code, e.message)
    return scope, round_, await certification.result_rows(scope.undertakings, scope.campaign)


async def certification_xlsx(request: Request, context: Context) -> Response:
    """Every result of the round's accepted undertakings, and the sums per item against
    the national target."""
    found = await _certification_rows(request, context)
    if isinstance(found, Response):
        return found
    scope, round_, rows = found
    items = {e.id: e for e in await TaskEntry.filter(campaign_id=scope.campaign.id)}
    content = wb.sheets_workbook([certifying.result_sheet(rows),
                                  certifying.sum_sheet(rows, items)])
    return _file(content, f"{round_.year}年度遴选认定结果.xlsx", wb.XLSX_TYPE,
                 f"certification-{round_.year}")


async def certification_public_xlsx(request: Request, context: Context) -> Response:
    """The 公示 list: what is certified, per item and school, in catalog order."""
    found = await _certification_rows(request, context)
    if isinstance(found, Response):
        return found
    _, round_, rows = found
    content = wb.sheets_workbook([certifying.public_sheet(rows)],
                                 heading=f"{round_.year}年度职业教育提质培优行动计划任务（项目）"
                                         "遴选认定结果公示名单")
    return _file(content, f"{round_.year}年度遴选认定公示名单.xlsx", wb.XLSX_TYPE,
                 f"certification-public-{round_.year}")


async def evidence_file(request: Request, context: Context) -> Response:
    assert context.principal is not None
    pk = db_id(request.path_params["id"])
    found = await visible_evidence(context.principal).get_or_none(id=pk) if pk else None
    if found is None:
        return _error(404, Code.NOT_FOUND, "文件不存在")
    try:
        content = await evidence.read(found)
    except DomainError as e:
        return _error(404, e.code, e.message)
    return _file(content, found.filename, found.content_type, f"evidence-{found.id}")


async def notice_attachment(request: Request, context: Context) -> Response:
    """A notice's attachment, for its sender and its recipients only."""
    assert context.principal is not None
    pk = db_id(request.path_params["id"])
    found = (await visible_notice_attachments(context.principal).get_or_none(id=pk)
             if pk else None)
    if found is None:
        return _error(404, Code.NOT_FOUND, "文件不存在")
    try:
        content = await evidence.read_stored(found.sha256)
    except DomainError as e:
        return _error(404, e.code, e.message)
    return _file(content, found.filename, found.content_type, f"notice-attachment-{found.id}")


async def initial_passwords_xlsx(request: Request, context: Context) -> Response:
    """The waiting one-time passwords of the accounts directly under one unit, each handed
    out once (models/initial_passwords.py)."""
    assert context.principal is not None
    unit = await visible_organization(context.principal, request.path_params["code"])
    if unit is None or unit.kind == OrgKind.SCHOOL:
        return _error(404, Code.NOT_FOUND, "单位不存在")
    try:
        rows = await initial_passwords.hand_out(unit, context.principal.user_id)
    except DomainError as e:
        return _error(409, e.code, e.message)
    if not rows:
        last = await initial_passwords.last_handed_out(unit)
        record = (f"（上次下载：{beijing(last.handed_out_at)}，{last.handed_out_by.username}）"
                  if last and last.handed_out_at and last.handed_out_by else "")
        return _error(404, Code.NOTHING_PENDING, f"{unit.name}没有待下发的初始密码{record}")
    response = _file(wb.initial_password_workbook(unit, rows),
                     f"{unit.code}-{unit.name}-初始密码.xlsx", wb.XLSX_TYPE,
                     f"initial-passwords-{unit.code}")
    response.headers["Cache-Control"] = "no-store"
    return response


routes = [
    Route("/exports/declarations/{code}.xlsx",
          _authenticated(declaration_xlsx, "exportDeclaration")),
    Route("/exports/summary.xlsx",
          _authenticated(summary_xlsx, "exportSummary", oversight_only=True)),
    Route("/exports/progress.csv",
          _authenticated(progress_csv, "exportProgress", oversight_only=True)),
    Route("/exports/sums.csv", _authenticated(sums_csv, "exportSums", oversight_only=True)),
    Route("/exports/performance.xlsx",
          _authenticated(performance_xlsx, "exportPerformance", oversight_only=True)),
    Route("/exports/certification.xlsx",
          _authenticated(certification_xlsx, "exportCertification", oversight_only=True)),
    Route("/exports/certification-public.xlsx",
          _authenticated(certification_public_xlsx, "exportCertificationPublic",
                         oversight_only=True)),
    Route("/files/evidence/{id}", _authenticated(evidence_file, "downloadEvidence")),
    Route("/files/notices/{id}", _authenticated(notice_attachment, "downloadNoticeAttachment")),
    Route("/exports/initial-passwords/{code}.xlsx",
          _authenticated(initial_passwords_xlsx, "downloadInitialPasswords",
                         province_only=True)),
    Route("/exports/operation-log.xlsx",
          _authenticated(operation_log_xlsx, "exportOperationLog", auditor_only=True)),
    Route("/exports/operation-log.csv",
          _authenticated(operation_log_csv, "exportOperationLog", auditor_only=True)),
]
