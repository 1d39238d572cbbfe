"""The summary workbook's upward-reporting tables: per city x funding source, per school x
item, and a note of which statuses the figures count."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from gql.exports.workbooks import FUNDING_HEADERS, STATUS_NAMES, TYPE_NAMES, Sheet, group_name
from models import Organization, Undertaking
from models.clock import beijing
from models.declaration import DeclarationStatus
from models.totals import CityFunding
from models.undertaking import FUNDING_SOURCES

ZERO = Decimal("0.00")

CITY_FUNDING_HEADER = ["地市", "承接单位数", "承接项数", *FUNDING_HEADERS, "经费合计"]
SCHOOL_ITEM_HEADER = ["学校代码", "学校名称", "所属地市", "类型", "序号", "工作任务", "承接数量",
                      *FUNDING_HEADERS, "经费合计"]


def city_funding_sheet(cities: list[CityFunding], units: dict[int, Organization]) -> Sheet:
    ordered = sorted(cities, key=lambda c: units[c.group_id].code if c.group_id else "")
    rows: list[list[object]] = [[group_name(c.group_id, units), c.organizations,
                                 c.undertakings, *c.funding.values(), c.total]
                                for c in ordered]
    sums = [sum((c.funding[s] for c in cities), ZERO) for s in FUNDING_SOURCES]
    rows.append(["合计", sum(c.organizations for c in cities),
                 sum(c.undertakings for c in cities), *sums, sum(sums, ZERO)])
    return Sheet("按地市和经费来源", CITY_FUNDING_HEADER, rows, money_columns=range(4, 10),
                 widths=[18, 12, 10, 12, 12, 12, 12, 12, 12])


def school_item_sheet(detail: list[Undertaking], units: dict[int, Organization]) -> Sheet:
    rows: list[list[object]] = []
    for u in detail:
        org, item = u.organization, u.item
        amounts = [Decimal(getattr(u, s)).quantize(ZERO) for s in FUNDING_SOURCES]
        rows.append([org.code, org.name,
                     group_name(org.parent_id, units) if org.parent_id else "",
                     TYPE_NAMES.get(org.school_type.value if org.school_type else "", ""),
                     item.number, item.title, u.quantity, *amounts, sum(amounts, ZERO)])
    return Sheet("学校明细", SCHOOL_ITEM_HEADER, rows, money_columns=range(8, 14),
                 widths=[13, 30, 14, 8, 8, 40, 10, 12, 12, 12, 12, 12, 12])


def counted_note(statuses: Sequence[DeclarationStatus], now: datetime, *,
                 reports: bool = False) -> Sheet:
    """Which statuses the figures count, in words, with the time of the export."""
    what = "绩效报告状态" if reports else "申报状态"
    words = "、".join(STATUS_NAMES[s.value] for s in statuses)
    return Sheet("统计口径", ["项目", "说明"], [
        [f"统计的{what}", words],
        ["导出时间", f"{beijing(now)}（北京时间）"],
    ], widths=[18, 60])
