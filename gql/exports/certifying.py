"""The certification round's tables: every result, the sums against the national target,
and the 公示 list (what is certified, per item and school)."""

from __future__ import annotations

from gql.exports.workbooks import TYPE_NAMES, Sheet
from models import TaskEntry
from models.certification import RESULT_WORDS, CertifiedRow
from models.clock import beijing
from models.enums import OrgKind
from models.org import Organization
from models.oversight import target_percent
from models.performance import CertificationResult

RESULT_HEADER = ["序号", "工作任务", "学校代码", "学校名称", "所属地市", "类型", "承接数量",
                 "认定结果", "认定数量", "备注", "认定时间"]
SUM_HEADER = ["序号", "工作任务", "全国目标", "单位", "认定单位数", "认定数量",
              "占全国目标(%)", "不予认定", "待定或未认定"]
PUBLIC_HEADER = ["序号", "任务编号", "工作任务", "学校名称", "所属地市", "认定数量", "单位"]


def _city(school: Organization) -> str:
    parent = school.parent
    return "省直属" if parent is None or parent.kind is OrgKind.PROVINCE else parent.name


def result_sheet(rows: list[CertifiedRow]) -> Sheet:
    table = []
    for r in rows:
        u, c = r.undertaking, r.certification
        table.append([u.item.number, u.item.title, u.organization.code, u.organization.name,
                      _city(u.organization),
                      TYPE_NAMES.get(u.organization.school_type.value, "")
                      if u.organization.school_type else "",
                      u.quantity, RESULT_WORDS[c.result] if c else "未认定",
                      c.certified_quantity if c else None, c.remarks if c else "",
                      beijing(c.decided_at) if c else ""])
    return Sheet("认定结果", RESULT_HEADER, table,
                 widths=[8, 40, 13, 30, 12, 8, 10, 10, 10, 30, 18])


def sum_sheet(rows: list[CertifiedRow], items: dict[int, TaskEntry]) -> Sheet:
    per_item: dict[int, list[int]] = {}
    for r in rows:
        counts = per_item.setdefault(r.undertaking.item_id, [0, 0, 0, 0])
        c = r.certification
        if c is not None and c.result is CertificationResult.CERTIFIED:
            counts[0] += 1
            counts[1] += c.certified_quantity if c.certified_quantity is not None else (
                r.undertaking.quantity)
        elif c is not None and c.result is CertificationResult.NOT_CERTIFIED:
            counts[2] += 1
        else:
            counts[3] += 1
    table = []
    for item_id, (n, quantity, refused, pending) in sorted(
            per_item.items(), key=lambda kv: items[kv[0]].sort_key):
        item = items[item_id]
        percent = target_percent(quantity, item.target_quantity)
        table.append([item.number, item.title, item.target_quantity, item.target_unit or "", n,
                      quantity, percent if percent is not None else "", refused, pending])
    return Sheet("按任务汇总", SUM_HEADER, table, money_columns=(),
                 widths=[8, 40, 10, 6, 12, 10, 14, 10, 14])


def public_sheet(rows: list[CertifiedRow]) -> Sheet:
    certified = [r for r in rows if r.certification is not None
                 and r.certification.result is CertificationResult.CERTIFIED]
    table = [[n, r.undertaking.item.number, r.undertaking.item.title,
              r.undertaking.organization.name, _city(r.undertaking.organization),
              r.certification.certified_quantity if r.certification
              and r.certification.certified_quantity is not None else r.undertaking.quantity,
              r.undertaking.item.target_unit or ""]
             for n, r in enumerate(certified, 1)]
    return Sheet("公示名单", PUBLIC_HEADER, table, widths=[6, 8, 40, 30, 12, 10, 6])

