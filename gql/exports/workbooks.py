"""Spreadsheets as officials use them: the notice's attachment table, and summaries.

Numbers are written as numbers (quantities as integers, amounts as decimals with two places)
so that a spreadsheet sums them; provincial items show "——" as in the notice.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from models import Organization, TaskEntry, Undertaking
from models.clock import beijing
from models.enums import OrgKind, TaskLevel
from models.oversight import (
    ItemSum,
    PerformanceSum,
    ReportStatusRow,
    SchoolProgress,
    target_percent,
)
from models.undertaking import FUNDING_SOURCES
from models.workflow import STATUS_WORDS

DASH = "——"
FUNDING_HEADERS = ["学校自筹", "行业企业投入", "举办方投入", "地市县投入", "省财政投入"]
STATUS_NAMES = {s.value: word for s, word in STATUS_WORDS.items()}
TYPE_NAMES = {"higher": "高职", "secondary": "中职", "university": "职业大学"}
MONEY_FORMAT = "0.00"
TITLE_CHARS_PER_LINE = 28  # Chinese characters in the 工作任务 column at width 60
THIN = Side(style="thin")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _save(wb: Workbook) -> bytes:
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _widths(ws: Worksheet, widths: Sequence[int]) -> None:
    for i, w in enumerate(widths, 1):
        ws.column_dimensions[get_column_letter(i)].width = w


def _table(ws: Worksheet, header: Sequence[str], rows: Iterable[Sequence[Any]],
           money_columns: Iterable[int] = ()) -> None:
    ws.append(list(header))
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)
    for r in rows:
        ws.append(list(r))
    money = set(money_columns)
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            if cell.column in money and isinstance(cell.value, Decimal):
                cell.number_format = MONEY_FORMAT
    ws.freeze_panes = "A2"


def shown_entries(org: Organization, entries: list[TaskEntry]) -> list[TaskEntry]:
    """What the platform shows this organisation: a school sees provincial items (marked
    "——") and the school items of its type; the province sees everything."""
    if org.kind is not OrgKind.SCHOOL:
        return entries
    return [e for e in entries if e.level is TaskLevel.PROVINCE or e.eligible_for(
        org.school_type)]


def declaration_workbook(org: Organization, status: str, entries: list[TaskEntry],
                         undertakings: list[Undertaking], now: datetime) -> bytes:
    """One organisation's declaration laid out like the notice's attachment."""
    wb = Workbook()
    ws = wb.active
    ws.title = "承接任务"
    ws.append(["职业教育提质培优行动计划任务(项目)管理平台承接任务(项目)列表"])
    ws.merge_cells("A1:H1")
    ws["A1"].font = Font(bold=True, size=14)
    ws["A1"].alignment = Alignment(horizontal="center")
    ws.append([f"单位：{org.name}（{org.code}）  状态：{STATUS_NAMES[status]}  "
               f"导出时间：{beijing(now)}（北京时间）"])
    ws.merge_cells("A2:H2")
    ws.append(["序号", "工作任务", "承接数量", "预计投入经费(单位:万元)", None, None, None, None])
    ws.append([None, None, None, *FUNDING_HEADERS])
    for col in "ABC":
        ws.merge_cells(f"{col}3:{col}4")
    ws.merge_cells("D3:H3")
    for row in ws.iter_rows(min_row=3, max_row=4):
        for cell in row:
            cell.font = Font(bold=True)
            cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    by_item = {u.item_id: u for u in undertakings}
    own_level = TaskLevel.PROVINCE if org.kind is OrgKind.PROVINCE else TaskLevel.SCHOOL
    totals = dict.fromkeys(FUNDING_SOURCES, Decimal("0.00"))
    for e in shown_entries(org, entries):
        if e.is_group:
            ws.append([e.number, e.title or "", None, None, None, None, None, None])
            continue
        if e.level is not own_level:
            ws.append([e.number, e.title, DASH, DASH, DASH, DASH, DASH, DASH])
            continue
        u = by_item.get(e.id)
        if u is None:
            ws.append([e.number, e.title, None, None, None, None, None, None])
            continue
        amounts = [Decimal(getattr(u, s)).quantize(Decimal("0.01")) for s in FUNDING_SOURCES]
        for s, a in zip(FUNDING_SOURCES, amounts, strict=True):
            totals[s] += a
        ws.append([e.number, e.title, u.quantity, *amounts])
    ws.append(["合计", None, None, *totals.values()])
    for row in ws.iter_rows(min_row=3):
        for cell in row:
            cell.border = BOX
            if cell.column >= 4 and isinstance(cell.value, Decimal):
                cell.number_format = MONEY_FORMAT
            if cell.column == 2:
                cell.alignment = Alignment(wrap_text=True, vertical="center")
                # Spreadsheets do not grow a row for wrapped text they did not lay out.
                lines = -(-len(str(cell.value or "")) // TITLE_CHARS_PER_LINE)
                if lines > 1 and cell.row > 4:
                    ws.row_dimensions[cell.row].height = 15 * lines
            elif cell.value == DASH:
                cell.alignment = Alignment(horizontal="center")
    _widths(ws, [8, 60, 10, 12, 14, 12, 12, 12])
    _printable(ws, header_rows="3:4")
    return _save(wb)


def _printable(ws: Worksheet, header_rows: str) -> None:
    """Landscape, one page wide, the header repeated on every page: ready to print."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.print_title_rows = header_rows


def group_name(group_id: int | None, units: dict[int, Organization]) -> str:
    if group_id is None:
        return "省教育厅（省级任务）"
    unit = units[group_id]
    return "省直属学校" if unit.kind is OrgKind.PROVINCE else unit.name


def sums_rows(totals: list[ItemSum], items: dict[int, TaskEntry]) -> list[list[Any]]:
    rows = []
    for t in sorted(totals, key=lambda t: items[t.item_id].sort_key):
        e = items[t.item_id]
        percent = target_percent(t.quantity, e.target_quantity)
        rows.append([e.number, e.title, e.target_quantity, e.target_unit, t.organizations,
                     t.quantity, percent, *t.funding.values(), t.funding_total])
    return rows


def group_rows(groups: list[ItemSum], items: dict[int, TaskEntry],
               units: dict[int, Organization]) -> list[list[Any]]:
    ordered = sorted(groups, key=lambda g: (items[g.item_id].sort_key,
                                            units[g.group_id].code if g.group_id else ""))
    return [[items[g.item_id].number, items[g.item_id].title, group_name(g.group_id, units),
             g.organizations, g.quantity, *g.funding.values(), g.funding_total]
            for g in ordered]


def progress_rows(rows: list[SchoolProgress], units: dict[int, Organization]
                  ) -> list[list[Any]]:
    def when(value: datetime | None) -> str:
        return beijing(value) if value else ""

    return [[r.school.code, r.school.name,
             group_name(r.school.parent_id, units) if r.school.parent_id else "",
             TYPE_NAMES.get(r.school.school_type.value if r.school.school_type else "", ""),
             "是" if r.school.must_undertake_all else "否", STATUS_NAMES[r.status.value],
             r.item_count, r.funding_total, when(r.last_change_at),
             when(r.last_login_at) or "从未登录"] for r in rows]


SUMS_HEADER = ["序号", "工作任务", "全国目标", "单位", "承接单位数", "承接数量", "占全国目标(%)",
               *FUNDING_HEADERS, "经费合计"]
GROUP_HEADER = ["序号", "工作任务", "地市", "承接单位数", "承接数量", *FUNDING_HEADERS,
                "经费合计"]
PROGRESS_HEADER = ["学校代码", "学校名称", "所属地市", "类型", "须全部承接", "申报状态",
                   "承接项数", "预计经费合计(万元)", "最后修改", "最后登录"]


def summary_workbook(title: str, sums: list[list[Any]], groups: list[list[Any]],
                     progress: list[list[Any]], extra: Sequence[Sheet] = ()) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "按任务汇总"
    _table(ws, SUMS_HEADER, sums, money_columns=range(7, 14))
    _widths(ws, [8, 50, 10, 6, 10, 10, 12, 12, 12, 12, 12, 12, 12])
    _printable(ws, header_rows="1:1")
    ws = wb.create_sheet("按地市")
    _table(ws, GROUP_HEADER, groups, money_columns=range(6, 12))
    _widths(ws, [8, 50, 16, 10, 10, 12, 12, 12, 12, 12, 12])
    _printable(ws, header_rows="1:1")
    ws = wb.create_sheet("学校进度")
    _table(ws, PROGRESS_HEADER, progress, money_columns=[8])
    _widths(ws, [13, 36, 14, 8, 10, 10, 10, 16, 18, 18])
    _printable(ws, header_rows="1:1")
    _add_sheets(wb, extra)
    wb.properties.title = title
    return _save(wb)


@dataclass(frozen=True)
class Sheet:
    """One more table for a workbook: its tab, header, rows, money columns and widths."""

    title: str
    header: Sequence[str]
    rows: list[list[Any]]
    money_columns: Sequence[int] = ()
    widths: Sequence[int] = ()


def sheets_workbook(sheets: Sequence[Sheet], heading: str | None = None) -> bytes:
    """A workbook of tables, one per sheet; `heading` is written above the first table
    (a 公示 list's title)."""
    book = Workbook()
    for n, sheet in enumerate(sheets):
        ws = book.active if n == 0 else book.create_sheet()
        assert ws is not None
        ws.title = sheet.title
        if heading and n == 0:
            ws.append([heading])
            ws["A1"].font = Font(bold=True, size=14)
            ws.append([])
        _table(ws, sheet.header, sheet.rows, money_columns=sheet.money_columns)
        header_row = 3 if heading and n == 0 else 1
        ws.freeze_panes = f"A{header_row + 1}"
        _widths(ws, sheet.widths)
        _printable(ws, header_rows=f"{header_row}:{header_row}")
    return _save(book)


def _add_sheets(wb: Workbook, extra: Sequence[Sheet]) -> None:
    for sheet in extra:
        ws = wb.create_sheet(sheet.title)
        _table(ws, sheet.header, sheet.rows, money_columns=sheet.money_columns)
        _widths(ws, sheet.widths)
        _printable(ws, header_rows="1:1")


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """UTF-8 with a byte-order mark: Excel on Chinese Windows then reads it correctly."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


PERFORMANCE_HEADER = ["序号", "工作任务", "地市", "计划数量", "累计完成数量",
                      *[f"计划{h}" for h in FUNDING_HEADERS],
                      *[f"实际{h}" for h in FUNDING_HEADERS],
                      "计划合计", "实际合计"]
REPORT_STATUS_HEADER = ["学校代码", "学校名称", "绩效填报状态", "最后修改"]


def performance_rows(groups: list[PerformanceSum], items: dict[int, TaskEntry],
                     units: dict[int, Organization]) -> list[list[Any]]:
    ordered = sorted(groups, key=lambda g: (items[g.item_id].sort_key,
                                            units[g.group_id].code if g.group_id else ""))
    return [[items[g.item_id].number, items[g.item_id].title, group_name(g.group_id, units),
             g.planned_quantity, g.achieved_quantity, *g.planned.values(), *g.spent.values(),
             sum(g.planned.values(), Decimal("0.00")), sum(g.spent.values(), Decimal("0.00"))]
            for g in ordered]


def report_status_rows(rows: list[ReportStatusRow]) -> list[list[Any]]:
    return [[r.school.code, r.school.name, STATUS_NAMES[r.status.value],
             beijing(r.last_change_at) if r.last_change_at else ""] for r in rows]


def performance_workbook(year: int, sums: list[list[Any]], statuses: list[list[Any]],
                         extra: Sequence[Sheet] = ()) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = f"{year}年度计划与完成"
    _table(ws, PERFORMANCE_HEADER, sums, money_columns=range(6, 18))
    _widths(ws, [8, 50, 16, 10, 12, *[12] * 12])
    _printable(ws, header_rows="1:1")
    ws = wb.create_sheet("填报情况")
    _table(ws, REPORT_STATUS_HEADER, statuses)
    _widths(ws, [13, 36, 14, 18])
    _printable(ws, header_rows="1:1")
    _add_sheets(wb, extra)
    return _save(wb)


def initial_password_workbook(unit: Organization, rows: Sequence[Any]) -> bytes:
    """One-time initial passwords for distribution: one line per account."""
    book = Workbook()
    ws = book.active
    assert ws is not None
    ws.title = "初始密码"
    ws.append([f"{unit.name} 账号一次性初始密码（首次登录须修改；过期未用须由上级重置；"
               "请妥善保管，本表只下载一次）"])
    ws.append([])
    _table(ws, ["用户名（学校代码）", "单位名称", "一次性初始密码", "有效期至（北京时间）"],
           ([r.username, r.name, r.password, beijing(r.expires_at)] for r in rows))
    ws.freeze_panes = "A4"
    _widths(ws, [20, 40, 20, 22])
    return _save(book)


def table_workbook(sheet: Sheet) -> bytes:
    """A workbook of one table (the operation log)."""
    book = Workbook()
    ws = book.active
    ws.title = sheet.title
    _table(ws, sheet.header, sheet.rows, money_columns=sheet.money_columns)
    _widths(ws, sheet.widths)
    return _save(book)
