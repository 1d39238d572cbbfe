"""Year-end performance reports: one per organisation and year, a line per accepted
undertaking, reviewed like declarations (models/workflow.py)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from tortoise.queryset import QuerySet

from models import audit, object_history
from models.amounts import check_quantity, parse_funding
from models.catalog import Campaign, ReportingRound
from models.clock import now_utc
from models.declaration import Declaration, DeclarationStatus
from models.errors import Code, DomainError, DomainErrors
from models.object_history import HistoryEvent, report_subject
from models.org import Organization
from models.performance import (
    PerformanceEntry,
    PerformanceReport,
    ProgressStatus,
    ReportEvent,
    RoundExtension,
)
from models.totals import CampaignRef, year_round_of
from models.transaction import write_transaction
from models.undertaking import FUNDING_SOURCES, Undertaking
from models.workflow import (
    Flow,
    Window,
    city_review_applies,
    claim,
    edit_lock_of,
    within_window,
)

MAX_NARRATIVE = 5000
S = DeclarationStatus


@dataclass(frozen=True)
class EntryInput:
    undertaking_id: int
    completed_quantity: int | None
    spent: dict[str, Decimal] | None
    progress: ProgressStatus
    narrative: str = ""


def year_round(campaign: CampaignRef | int, year: int) -> QuerySet[ReportingRound]:
    """The campaign's reporting round of `year` (totals.year_round_of)."""
    return year_round_of(ReportingRound, campaign, year)


async def round_of(campaign: Campaign, year: int) -> ReportingRound:
    found = await year_round(campaign, year).get_or_none()
    if found is None:
        raise DomainError(Code.ROUND_NOT_FOUND, f"{year}年度没有绩效采集", "year")
    return found


async def open_round(round_: ReportingRound, opens_at: datetime, closes_at: datetime
                     ) -> ReportingRound:
    if closes_at <= opens_at:
        raise DomainError(Code.INVALID_VALUE, "截止时间必须晚于开始时间", "closesAt")
    round_.opens_at, round_.closes_at = opens_at, closes_at
    await round_.save(update_fields=["opens_at", "closes_at"])
    return round_


async def window_for(org_id: int, round_: ReportingRound) -> Window:
    extension = await RoundExtension.get_or_none(round_id=round_.id, organization_id=org_id)
    return Window.of(round_.opens_at, round_.closes_at,
                     extension.until if extension else None, now_utc())


async def report_lock(report: PerformanceReport) -> DomainError | None:
    """Why the report's lines (and their evidence) cannot be changed now."""
    round_ = await ReportingRound.get(id=report.round_id)
    return edit_lock_of(report.status, await window_for(report.organization_id, round_),
                        now_utc())


async def grant_extension(actor_id: int, org: Organization, round_: ReportingRound,
                          until: datetime) -> RoundExtension:
    if until <= now_utc():
        raise DomainError(Code.INVALID_VALUE, "延期截止时间必须晚于当前时间", "until")
    async with write_transaction():
        extension, _ = await RoundExtension.update_or_create(
            defaults={"until": until, "granted_by_id": actor_id},
            round_id=round_.id, organization_id=org.id)
        await object_history.record(report_subject(org.id, round_.id),
                                    HistoryEvent.REPORT_EXTENSION_GRANTED, until=until)
    return extension


# A report's lines, by item number (the id: a tiebreak only, numbers are unique).
LINE_ORDER = ("item__sort_key", "id")


async def reportable(org: Organization, round_: ReportingRound) -> list[Undertaking]:
    """The undertakings that report this year: current ones of an accepted declaration.
    Its SQL form, for the compiled reads, is REPORTABLE_SQL below."""
    accepted = await Declaration.exists(organization_id=org.id, campaign_id=round_.campaign_id,
                                        status=S.ACCEPTED)
    if not accepted:
        return []
    return await Undertaking.filter(
        organization_id=org.id, item__campaign_id=round_.campaign_id, withdrawn_at__isnull=True
    ).select_related("item").order_by(*LINE_ORDER)


# reportable in SQL: the undertaking at `u` (its item at `i`) reports in the round at `r`.
REPORTABLE_SQL = (
    "i.campaign_id = r.campaign_id AND u.withdrawn_at IS NULL AND EXISTS (SELECT 1 FROM"
    " declaration d WHERE d.organization_id = u.organization_id AND d.campaign_id ="
    f" r.campaign_id AND d.status = '{S.ACCEPTED.value}')")


async def report_of(org_id: int, round_id: int) -> PerformanceReport | None:
    return await PerformanceReport.get_or_none(organization_id=org_id, round_id=round_id)


async def previous_entries(undertaking_ids: Sequence[int], round_: ReportingRound
                           ) -> dict[int, PerformanceEntry]:
    """Last year's line of each undertaking, shown beside this year's and used to pre-fill.
    Its SQL form, for the compiled reads, is PREVIOUS_ENTRY_SQL below."""
    previous = await year_round(round_.campaign_id, round_.year - 1).get_or_none()
    if previous is None:
        return {}
    rows = await PerformanceEntry.filter(report__round_id=previous.id,
                                         undertaking_id__in=list(undertaking_ids))
    return {e.undertaking_id: e for e in rows}


# previous_entries in SQL: the entry at `p` is last year's line of the undertaking at `u`
# (this year's round at `r`), for a LEFT JOIN.
PREVIOUS_ENTRY_SQL = (
    "p.undertaking_id = u.id AND p.report_id IN (SELECT pf.id FROM performance_report pf"
    " JOIN reporting_round pr ON pr.id = pf.round_id WHERE pr.campaign_id = r.campaign_id"
    " AND pr.year = r.year - 1)")


async def save_entries(actor_id: int, org: Organization, round_: ReportingRound, version: int,
                       entries: Sequence[EntryInput]) -> PerformanceReport:
    """Save lines of the report at once, or nothing at all."""
    report = await report_of(org.id, round_.id)
    lock = edit_lock_of(report.status if report else S.NOT_STARTED,
                        await window_for(org.id, round_), now_utc())
    if lock:
        raise lock
    allowed = {u.id: u for u in await reportable(org, round_)}
    errors: list[DomainError] = []
    plan: list[tuple[EntryInput, dict[str, Decimal]]] = []
    for i, entry in enumerate(entries):
        path: list[Any] = ["entries", str(i)]
        if entry.undertaking_id not in allowed:
            errors.append(DomainError(Code.NOT_REPORTABLE, "该承接任务不在本年度绩效采集范围内",
                                      [*path, "undertakingId"]))
            continue
        check_quantity(entry.completed_quantity, [*path, "completedQuantity"], errors,
                       minimum=0, label="累计完成数量")
        amounts = parse_funding(entry.spent, [*path, "spent"], errors)
        if len(entry.narrative) > MAX_NARRATIVE:
            errors.append(DomainError(Code.INVALID_VALUE, f"进展说明不能超过{MAX_NARRATIVE}字",
                                      [*path, "narrative"]))
        plan.append((entry, amounts))
    if errors:
        raise DomainErrors(errors)
    # The check above answers early; the one that holds is inside the writing transaction.
    async with within_window(lambda: window_for(org.id, round_)) as at:
        report = await claim(PerformanceReport, {"organization_id": org.id,
                                                 "round_id": round_.id}, version, updated_at=at)
        stored = {e.undertaking_id: e for e in await PerformanceEntry.filter(
            report_id=report.id, undertaking_id__in=[e.undertaking_id for e, _ in plan])}
        for entry, amounts in plan:
            figures = {"completed_quantity": entry.completed_quantity,
                       "progress": entry.progress, "narrative": entry.narrative.strip(),
                       **amounts}
            old = stored.get(entry.undertaking_id)
            before = {k: getattr(old, k) for k in figures} if old else None
            await PerformanceEntry.update_or_create(
                defaults=figures, report_id=report.id, undertaking_id=entry.undertaking_id)
            if object_history.changed_fields(before, figures):
                item = allowed[entry.undertaking_id].item
                await object_history.record(
                    report_subject(org.id, round_.id), HistoryEvent.LINE_SAVED,
                    item_number=item.number, before=before, after=figures, at=at)
                audit.note(f"report line {item.number} of {org.code} ({round_.year})",
                           before, figures)
    return report


def _flow(org: Organization, round_: ReportingRound) -> Flow[PerformanceReport]:
    async def city_review() -> bool:
        return await city_review_applies(org, await Campaign.get(id=round_.campaign_id))

    async def late_return(actor_id: int, reason: str, at: datetime) -> None:
        window = await window_for(org.id, round_)
        if window.closes_at is not None and at <= window.closes_at:
            return
        campaign = await Campaign.get(id=round_.campaign_id)
        await RoundExtension.update_or_create(
            defaults={"until": at + timedelta(days=campaign.late_return_days),
                      "granted_by_id": actor_id},
            round_id=round_.id, organization_id=org.id)

    return Flow(PerformanceReport, {"organization_id": org.id, "round_id": round_.id},
                ReportEvent, "report", lambda: window_for(org.id, round_), city_review,
                late_return)


async def submit(actor_id: int, org: Organization, round_: ReportingRound,
                 version: int) -> PerformanceReport:
    async def ready() -> None:
        due = await reportable(org, round_)
        report = await report_of(org.id, round_.id)
        saved = set(await PerformanceEntry.filter(report_id=report.id).values_list(
            "undertaking_id", flat=True)) if report else set()
        missing = [u.item.number for u in due if u.id not in saved]
        if missing:
            raise DomainError(Code.REPORT_INCOMPLETE,
                              f"以下承接任务尚未填报绩效：{'、'.join(missing)}", "entries",
                              missing=missing)

    return await _flow(org, round_).submit(actor_id, version, ready)


async def withdraw(actor_id: int, org: Organization, round_: ReportingRound,
                   version: int) -> PerformanceReport:
    return await _flow(org, round_).withdraw(actor_id, version)


async def approve(actor_id: int, org: Organization, round_: ReportingRound,
                  version: int | None, remark: str | None = None) -> PerformanceReport:
    return await _flow(org, round_).approve(actor_id, version, remark)


async def return_(actor_id: int, org: Organization, round_: ReportingRound,
                  version: int | None, reason: str) -> PerformanceReport:
    return await _flow(org, round_).return_(actor_id, version, reason)


async def accept(actor_id: int, org: Organization, round_: ReportingRound,
                 version: int | None) -> PerformanceReport:
    return await _flow(org, round_).accept(actor_id, version)


async def reopen(actor_id: int, org: Organization, round_: ReportingRound,
                 version: int | None, reason: str) -> PerformanceReport:
    return await _flow(org, round_).reopen(actor_id, version, reason)


def prefill(entry: PerformanceEntry | None, previous: PerformanceEntry | None
            ) -> dict[str, Any]:
    """This year's figures: as saved, else carried over from last year (figures are to date),
    else zero. Its SQL form, for the compiled reads, is prefill_sql below."""
    source = entry or previous
    if source is None:
        return {"completed_quantity": 0, "progress": ProgressStatus.ON_TRACK, "narrative": "",
                **{s: Decimal("0.00") for s in FUNDING_SOURCES}}
    return {"completed_quantity": source.completed_quantity, "progress": source.progress,
            "narrative": source.narrative if entry else "",
            **{s: Decimal(getattr(source, s)) for s in FUNDING_SOURCES}}


def prefill_sql(entry: str, previous: str) -> str:
    """prefill in SQL, as select-list items named as its keys, over the saved entry at alias
    `entry` and last year's at `previous` (LEFT JOINed: NULLs when there is none; an entry's
    columns are never NULL)."""
    return ", ".join([
        f"coalesce({entry}.completed_quantity, {previous}.completed_quantity, 0)"
        " AS completed_quantity",
        f"coalesce({entry}.progress, {previous}.progress, '{ProgressStatus.ON_TRACK.value}')"
        " AS progress",
        f"coalesce({entry}.narrative, '') AS narrative",
        *(f"coalesce({entry}.{s}, {previous}.{s}, 0) AS {s}" for s in FUNDING_SOURCES)])
