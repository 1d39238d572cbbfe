"""Scheduled reminders: N days before a declaration window or a reporting round closes, a
notice to the organisations of the sender's scope that have not submitted yet.

Exactly once with any number of server processes: the process that sends a reminder first
claims its row (UPDATE ... WHERE claimed_at IS NULL, checked by its row count) inside the
transaction that writes the notice, so a claim without its notice never commits and two
claims of one row never both succeed (SQLite: BEGIN IMMEDIATE serialises writers;
PostgreSQL: the second UPDATE waits for the first's row lock, then finds the row claimed).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from tortoise.queryset import QuerySet

from models import notices
from models.catalog import Campaign, ReportingRound
from models.clock import beijing
from models.errors import Code, DomainError
from models.notice import Audience, Reminder
from models.org import Organization
from models.oversight import NOT_SUBMITTED, report_progress, school_progress
from models.transaction import write_transaction

# Who a sender reaches (permissions/scoping.py organizations_addressed_by, passed in: the
# models do not import the permissions).
Scope = Callable[[Organization], QuerySet[Organization]]

MAX_DAYS = 90
MAX_PER_SCHEDULE = 10


def check_days(days: list[int]) -> list[int]:
    wanted = sorted(set(days), reverse=True)
    if not wanted:
        raise DomainError(Code.INVALID_VALUE, "请至少填写一个提前天数", "daysBefore")
    if len(wanted) > MAX_PER_SCHEDULE:
        raise DomainError(Code.INVALID_VALUE, f"最多设置{MAX_PER_SCHEDULE}次提醒", "daysBefore")
    for index, d in enumerate(wanted):
        if not 0 < d <= MAX_DAYS:
            raise DomainError(Code.INVALID_VALUE, f"提前天数须在1到{MAX_DAYS}之间",
                              ["daysBefore", str(index)])
    return wanted


async def schedule(sender_org_id: int, user_id: int, campaign: Campaign,
                   round_: ReportingRound | None, days: list[int], now: datetime
                   ) -> list[Reminder]:
    """Add the reminders not yet scheduled (the same days again change nothing)."""
    wanted = check_days(days)
    async with write_transaction():
        existing = {r.days_before for r in await Reminder.filter(
            sender_org_id=sender_org_id, campaign_id=campaign.id,
            round_id=round_.id if round_ else None)}
        for d in wanted:
            if d not in existing:
                await Reminder.create(sender_org_id=sender_org_id, campaign_id=campaign.id,
                                      round_id=round_.id if round_ else None, days_before=d,
                                      created_by_id=user_id, created_at=now)
    return await scheduled(sender_org_id, campaign, round_)


# A schedule's reminders, the furthest from the close first (both read paths).
SCHEDULE_ORDER = ("-days_before",)


def schedule_of(sender_org_id: int, campaigns: Any, rounds: Any | None) -> QuerySet[Reminder]:
    """One sender's reminders for the campaign whose id `campaigns` holds (ids, or a
    Subquery) and the round of `rounds`, or (None) the campaign's declaration window."""
    rows = Reminder.filter(sender_org_id=sender_org_id, campaign_id__in=campaigns)
    if rounds is None:
        return rows.filter(round_id__isnull=True)
    return rows.filter(round_id__in=rounds)


async def scheduled(sender_org_id: int, campaign: Campaign, round_: ReportingRound | None
                    ) -> list[Reminder]:
    return await schedule_of(sender_org_id, [campaign.id], [round_.id] if round_ else None
                             ).order_by(*SCHEDULE_ORDER)


async def cancel(reminder: Reminder) -> None:
    if reminder.claimed_at is not None:
        raise DomainError(Code.REMINDER_SENT, "提醒已发送，不能取消", "id")
    # Only while unclaimed: a process that claimed it meanwhile wins.
    if not await Reminder.filter(id=reminder.id, claimed_at__isnull=True).delete():
        raise DomainError(Code.REMINDER_SENT, "提醒已发送，不能取消", "id")


@dataclass
class Target:
    campaign: Campaign
    round: ReportingRound | None

    @property
    def closes_at(self) -> datetime | None:
        return self.round.closes_at if self.round else self.campaign.declaration_closes_at

    @property
    def opens_at(self) -> datetime | None:
        return self.round.opens_at if self.round else self.campaign.declaration_opens_at

    @property
    def what(self) -> str:
        if self.round:
            return f"{self.round.year}年度执行绩效填报"
        return f"{self.campaign.name}申报"


def due_at(reminder: Reminder, target: Target) -> datetime | None:
    """Read from the close as it is now: a window moved later moves its reminders. Its SQL
    form, for the compiled reads, is due_at_sql below."""
    close = target.closes_at
    return close - timedelta(days=reminder.days_before) if close else None


def due_at_sql(reminder: str, round_: str, campaign: str,
               days_before: Callable[[str, str], str]) -> str:
    """due_at (with Target.closes_at) in SQL, over the reminder, its round and its campaign
    at these aliases; `days_before(time, days)` is the dialect's time less whole days."""
    close = (f"(CASE WHEN {reminder}.round_id IS NULL THEN {campaign}.declaration_closes_at"
             f" ELSE {round_}.closes_at END)")
    return days_before(close, f"{reminder}.days_before")


async def run_due(worker: str, now: datetime, scope: Scope, *, email: bool
                  ) -> list[Reminder]:
    """Send every reminder due by `now` that no process has claimed. When several of one
    schedule are due at once (scheduled late, or the server was down) only the nearest to
    the close goes out; the others are claimed as superseded, not sent. Returns the
    reminders this process claimed."""
    pending = await Reminder.filter(claimed_at__isnull=True).order_by("id")
    if not pending:
        return []
    campaigns = {c.id: c for c in await Campaign.filter(
        id__in={r.campaign_id for r in pending})}
    rounds = {r.id: r for r in await ReportingRound.filter(
        id__in={r.round_id for r in pending if r.round_id})}
    groups: dict[tuple[int, int, int | None], list[Reminder]] = defaultdict(list)
    targets: dict[int, Target] = {}
    for r in pending:
        target = Target(campaigns[r.campaign_id], rounds.get(r.round_id or 0))
        due = due_at(r, target)
        close = target.closes_at
        opens = target.opens_at
        # Not before the window opens: "please submit" while nobody can would only confuse.
        if due is None or close is None or due > now or (opens is not None and opens > now):
            continue
        targets[r.id] = target
        groups[(r.sender_org_id, r.campaign_id, r.round_id)].append(r)
    claimed = []
    for group in groups.values():
        group.sort(key=lambda r: r.days_before)
        nearest, *older = group
        for r in older:
            if await _claim_only(r, worker, now, "已被更近的提醒取代"):
                claimed.append(r)
        if await send_one(nearest, targets[nearest.id], worker, scope, email=email):
            claimed.append(nearest)
    return claimed


async def _claim_only(reminder: Reminder, worker: str, now: datetime, outcome: str) -> bool:
    return bool(await Reminder.filter(id=reminder.id, claimed_at__isnull=True).update(
        claimed_at=now, claimed_by=worker, outcome=outcome))


async def send_one(reminder: Reminder, target: Target, worker: str, scope: Scope, *,
                   email: bool) -> bool:
    """Claim and send in one transaction; False when another process claimed it first."""
    async with write_transaction() as at:
        if not await Reminder.filter(id=reminder.id, claimed_at__isnull=True).update(
                claimed_at=at, claimed_by=worker):
            return False
        close = target.closes_at
        assert close is not None
        if close <= at:
            await Reminder.filter(id=reminder.id).update(outcome="已截止，未发送")
            return True
        sender = await Organization.get(id=reminder.sender_org_id)
        recipients = await not_submitted(scope(sender), target)
        if not recipients:
            await Reminder.filter(id=reminder.id).update(outcome="全部已提交，无需提醒")
            return True
        title = f"提醒：{target.what}将于{beijing(close)}截止"
        # One text for all: a unit granted an extension reads its own date on the platform.
        body = (f"贵单位的{target.what}尚未提交，截止时间为{beijing(close)}（北京时间），"
                "请尽快登录平台完成填报并提交。已获延期的单位以延期后的截止时间为准。")
        notice = await notices.write(
            sender_org_id=sender.id, sender_user_id=None, title=title, body=body,
            audience=Audience.REMINDER, label=f"自动提醒：截止前{reminder.days_before}天，未提交",
            recipients=recipients, attachments=(), email=email, at=at)
        await Reminder.filter(id=reminder.id).update(
            notice_id=notice.id, outcome=f"已提醒{len(recipients)}个单位")
    return True


async def not_submitted(scope: QuerySet[Organization], target: Target) -> list[Organization]:
    """The schools in the sender's scope that have not submitted, by the oversight rules."""
    if target.round is not None:
        rows = await report_progress(scope, target.round)
        return [r.school for r in rows if r.status in NOT_SUBMITTED]
    return [r.school for r in await school_progress(scope, target.campaign)
            if r.status in NOT_SUBMITTED]
