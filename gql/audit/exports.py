"""The operation log as a spreadsheet (xlsx) or CSV, for the auditor (gql/exports/routes.py
serves them with the auditor's gate). Query parameters as the GraphQL filter: since, until
(ISO 8601, Beijing time without an offset), username, organizationCode, operation, outcome,
kind, target."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from gql.audit.queries import Conditions, filtered
from gql.context import Context
from gql.errors import ApiError
from gql.exports import workbooks as wb
from gql.exports.responses import attachment, error
from gql.scalars import parse_datetime
from models.audit import AuditRecord
from models.clock import beijing

MAX_ROWS = 100_000  # an export larger than this asks for a narrower filter
HEADER = ["序号", "时间", "类别", "操作", "结果", "用户", "角色", "单位代码", "客户端地址", "对象",
          "详情", "前一哈希", "哈希"]
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> Any:
    """Text a spreadsheet must not run: a user name such as "=HYPERLINK(...)" typed into a
    login form is shown, not evaluated."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _row(r: AuditRecord) -> list[Any]:
    return [_cell(v) for v in (r.seq, beijing(r.at, "%Y-%m-%d %H:%M:%S"), r.kind, r.operation,
                               r.outcome, r.username, r.role or "", r.organization_code or "",
                               r.client_address or "", r.targets, r.detail, r.prev_hash,
                               r.hash)]


def conditions(request: Request) -> Conditions:
    q = request.query_params

    def when(name: str) -> Any:
        return parse_datetime(q[name]) if q.get(name) else None

    return Conditions(since=when("since"), until=when("until"), username=q.get("username"),
                      organization_code=q.get("organizationCode"),
                      operation=q.get("operation"), outcome=q.get("outcome"),
                      kind=q.get("kind"), target=q.get("target"))


async def _rows(request: Request) -> list[list[Any]] | Response:
    try:
        found = await filtered(conditions(request)).order_by("seq").limit(MAX_ROWS + 1)
    except ApiError as e:
        return error(400, str((e.extensions or {}).get("code")), e.message)
    if len(found) > MAX_ROWS:
        return error(400, "TOO_MANY_ROWS", f"一次最多导出{MAX_ROWS}条记录，请缩小时间范围")
    return [_row(r) for r in found]


async def operation_log_xlsx(request: Request, context: Context) -> Response:
    rows = await _rows(request)
    if isinstance(rows, Response):
        return rows
    content = wb.table_workbook(wb.Sheet("操作日志", HEADER, rows,
                                         widths=[8, 20, 10, 24, 20, 14, 14, 12, 16, 40, 60]))
    return attachment(content, "操作日志.xlsx", wb.XLSX_TYPE, "operation-log")


async def operation_log_csv(request: Request, context: Context) -> Response:
    rows = await _rows(request)
    if isinstance(rows, Response):
        return rows
    return attachment(wb.csv_bytes(HEADER, rows), "操作日志.csv", "text/csv; charset=utf-8",
                      "operation-log")
