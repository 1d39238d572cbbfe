"""Oversight: where every school stands, and what the declarations add up to.

Sums over undertakings are computed by the database (GROUP BY); per-school figures are one
aggregated row per school. Callers pass the organisations they may see (permissions/).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from tortoise.expressions import Subquery
from tortoise.functions import Count, Max, Sum
from tortoise.queryset import QuerySet, ValuesQuery

from models.account import User
from models.aggregates import cents_sum, cents_value, money
from models.catalog import Campaign, ReportingRound, TaskEntry
from models.declaration import Declaration, DeclarationStatus
from models.enums import OrgKind
from models.mandatory import missing_pairs
from models.org import Organization
from models.performance import PerformanceEntry, PerformanceReport
from models.totals import (
    CampaignRef,
    RoundRef,
    campaign_ids,
    counted_entries,
    reported_undertakings,
)
from models.undertaking import FUNDING_SOURCES, Undertaking

S = DeclarationStatus
# Not yet submitted (未填报, 草稿, 退回修改): the chase list's "not submitted", for progress
# filters, notices and reminders alike.
NOT_SUBMITTED = frozenset({S.NOT_STARTED, S.DRAFT, S.RETURNED})


@dataclass
class SchoolProgress:
    school: Organization
    status: DeclarationStatus
    item_count: int
    funding_total: Decimal
    last_change_at: datetime | None
    last_login_at: datetime | None

    @property
    def never_logged_in(self) -> bool:  # in SQL: SCHOOL_PROGRESS_SQL's never_logged_in
        return self.last_login_at is None


@dataclass
class StatusCounts:
    by_status: Counter[DeclarationStatus] = field(default_factory=Counter)
    never_logged_in: int = 0

    @property
    def total(self) -> int:
        return sum(self.by_status.values())

    def add(self, row: SchoolProgress) -> None:  # in SQL: status_counts_sql below
        self.by_status[row.status] += 1
        self.never_logged_in += row.never_logged_in


async def school_progress(schools: QuerySet[Organization], campaign: Campaign
                          ) -> list[SchoolProgress]:
    """One row per school: its status, items, planned total, last change and last login."""
    orgs = await schools.filter(kind=OrgKind.SCHOOL).order_by("code")
    ids = [o.id for o in orgs]
    if not ids:
        return []
    queries = progress_queries(ids, campaign)
    declarations = {d["organization_id"]: d for d in await queries.declarations}
    sums = {r["organization_id"]: r for r in await queries.sums}
    logins = {r["organization_id"]: r["last"] for r in await queries.logins}
    rows = []
    for org in orgs:  # SCHOOL_PROGRESS_SQL below is this loop in SQL: change both
        d = declarations.get(org.id)
        s = sums.get(org.id, {})
        rows.append(SchoolProgress(
            school=org,
            status=DeclarationStatus(d["status"]) if d else S.NOT_STARTED,
            item_count=int(s.get("n") or 0),
            funding_total=money(sum(int(s.get(src) or 0) for src in FUNDING_SOURCES)),
            last_change_at=d["updated_at"] if d else None,
            last_login_at=logins.get(org.id),
        ))
    return rows


@dataclass(frozen=True)
class ProgressQueries:
    declarations: ValuesQuery[Any]  # organization_id, status, updated_at
    sums: ValuesQuery[Any]  # organization_id, n, each funding source in integer cents
    logins: ValuesQuery[Any]  # organization_id, last


def progress_queries(ids: list[int] | Subquery, campaign: CampaignRef) -> ProgressQueries:
    """The queries behind school_progress, for the schools `ids` (a loaded list, or a
    subquery: the read compiler runs the same queries inside its statement)."""
    campaigns = campaign_ids(campaign)
    return ProgressQueries(
        declarations=Declaration.filter(
            campaign_id__in=campaigns, organization_id__in=ids
        ).values("organization_id", "status", "updated_at"),
        sums=Undertaking.filter(
            organization_id__in=ids, item__campaign_id__in=campaigns, withdrawn_at__isnull=True
        ).annotate(n=Count("id"), **{s: cents_sum(Undertaking, s) for s in FUNDING_SOURCES}
                   ).group_by("organization_id").values("organization_id", "n", *FUNDING_SOURCES),
        logins=User.filter(organization_id__in=ids).annotate(last=Max("last_login_at")).group_by(
            "organization_id").values("organization_id", "last"))


# school_progress's loop in SQL (the read compiler's rows of SchoolProgress): {schools} selects
# the schools' id and parent_id, {declarations}, {sums} and {logins} are progress_queries'
# queries, {not_started} binds S.NOT_STARTED. Amounts stay integer cents (funding_cents).
# never_logged_in is a boolean (0 or 1 on SQLite).
SCHOOL_PROGRESS_SQL = (
    "SELECT o.id AS school_id, o.parent_id, coalesce(d.status, {not_started}) AS status,"
    " coalesce(s.n, 0) AS item_count, "
    + " + ".join(f"coalesce(s.{src}, 0)" for src in FUNDING_SOURCES) + " AS funding_cents,"
    " d.updated_at AS last_change_at, l.last AS last_login_at,"
    " (l.last IS NULL) AS never_logged_in"
    " FROM {schools} o LEFT JOIN {declarations} d ON d.organization_id = o.id"
    " LEFT JOIN {sums} s ON s.organization_id = o.id"
    " LEFT JOIN {logins} l ON l.organization_id = o.id")


def status_counts_sql(alias: str) -> str:
    """StatusCounts.add in SQL: its columns (a status's value, total, never_logged_in) over
    the SCHOOL_PROGRESS_SQL rows at `alias`, aggregated; a row with no school_id (a group
    without schools, LEFT JOINed) counts nowhere."""
    parts = [f"count(CASE WHEN {alias}.status = '{s.value}' THEN 1 END) AS {s.value}"
             for s in DeclarationStatus]
    parts.append(f"count({alias}.school_id) AS total")
    parts.append(f"count(CASE WHEN {alias}.never_logged_in THEN 1 END) AS never_logged_in")
    return ", ".join(parts)


@dataclass
class ItemSum:
    item_id: int
    group_id: int | None  # the city-level unit (or the province office) of the undertakers
    organizations: int
    quantity: int
    funding: dict[str, Decimal]

    @property
    def funding_total(self) -> Decimal:
        return sum(self.funding.values(), Decimal("0.00"))


async def item_sums(undertakings: QuerySet[Undertaking], campaign: Campaign, *,
                    by_group: bool) -> list[ItemSum]:
    """Per item (and, with by_group, per city-level unit): undertakers, quantity, funding.

    The group of a school is its parent (a city-level unit, or the province office for the
    schools attached to it directly); the province office's own undertakings form a group of
    their own (group_id None).
    """
    return [item_sum_of(r) for r in await item_sums_query(undertakings, campaign,
                                                          by_group=by_group)]


def item_sum_of(r: dict[str, Any]) -> ItemSum:
    """An item_sums_query row, read."""
    return ItemSum(item_id=r["item_id"], group_id=r.get("organization__parent_id"),
                   organizations=int(r["orgs"]), quantity=int(r["qty"] or 0),
                   funding={s: money(r[s]) for s in FUNDING_SOURCES})


def item_sums_query(undertakings: QuerySet[Undertaking], campaign: CampaignRef, *,
                    by_group: bool) -> ValuesQuery[Any]:
    """The GROUP BY behind item_sums, one row per item (and group): item_id,
    organization__parent_id (by_group), orgs, qty and each funding source in integer cents.
    The read compiler runs the same query inside its statement."""
    keys = ["item_id", "organization__parent_id"] if by_group else ["item_id"]
    return undertakings.filter(item__campaign_id__in=campaign_ids(campaign)).annotate(
        orgs=Count("organization_id"), qty=Sum("quantity"),
        **{s: cents_sum(Undertaking, s) for s in FUNDING_SOURCES},
    ).group_by(*keys).values(*keys, "orgs", "qty", *FUNDING_SOURCES)


def target_percent(quantity: int, target: int | None) -> Decimal | None:
    if not target:
        return None
    return (Decimal(quantity) * 100 / Decimal(target)).quantize(Decimal("0.01"))


@dataclass
class MissingItems:
    school: Organization
    missing: list[TaskEntry]


async def missing_mandatory(schools: QuerySet[Organization], campaign: Campaign
                            ) -> list[MissingItems]:
    """Schools that must undertake every item shown to them, with what they still lack
    (models/mandatory.py's rule), what the province confirmed they may lack included."""
    bound = await schools.filter(kind=OrgKind.SCHOOL, must_undertake_all=True).order_by("code")
    pairs = await missing_pairs([o.id for o in bound], campaign.id)
    if not pairs:
        return []
    items = {e.id: e for e in await TaskEntry.filter(
        id__in=[i for ids in pairs.values() for i in ids])}
    return [MissingItems(school, [items[i] for i in pairs[school.id]])
            for school in bound if school.id in pairs]


# The order of the undertakings without funding, on both read paths (one per school and
# item: no ties).
ZERO_FUNDING_ORDER = ("organization__code", "item__sort_key")


async def zero_funding(undertakings: QuerySet[Undertaking], campaign: Campaign
                       ) -> list[Undertaking]:
    """Undertakings whose five planned amounts are all zero."""
    return await zero_funding_query(undertakings, campaign).order_by(*ZERO_FUNDING_ORDER)


def zero_funding_query(undertakings: QuerySet[Undertaking], campaign: CampaignRef
                       ) -> QuerySet[Undertaking]:
    """zero_funding's rows, unordered: the read compiler selects their ids in its statement."""
    return undertakings.filter(item__campaign_id__in=campaign_ids(campaign)).annotate(
        total_cents=cents_value(Undertaking, list(FUNDING_SOURCES))).filter(total_cents=0)


@dataclass
class PerformanceSum:
    item_id: int
    group_id: int | None
    planned_quantity: int
    achieved_quantity: int
    planned: dict[str, Decimal]
    spent: dict[str, Decimal]


async def performance_sums(undertakings: QuerySet[Undertaking],
                           entries: QuerySet[PerformanceEntry], round_: ReportingRound, *,
                           by_group: bool, report_statuses: list[DeclarationStatus]
                           ) -> list[PerformanceSum]:
    """Per item (and city-level unit): planned against achieved quantity, planned against
    spent funding per source, for the year's report lines in `report_statuses`. The planned
    side covers the same undertakings as those lines (like with like). Two GROUP BY queries."""
    planned, done = performance_queries(
        undertakings, entries, await Campaign.get(id=round_.campaign_id), round_,
        by_group=by_group, report_statuses=report_statuses)
    plan = {(s.item_id, s.group_id): s for s in map(item_sum_of, await planned)}
    achieved = {(r["undertaking__item_id"], r.get("undertaking__organization__parent_id")): r
                for r in await done}
    zero = dict.fromkeys(FUNDING_SOURCES, Decimal("0.00"))
    result = []
    # performance_sums_sql below is this loop in SQL: change both
    for key in sorted(set(plan) | set(achieved), key=lambda k: (k[0], k[1] or 0)):
        p, a = plan.get(key), achieved.get(key)
        result.append(PerformanceSum(
            item_id=key[0], group_id=key[1],
            planned_quantity=p.quantity if p else 0,
            achieved_quantity=int(a["done"] or 0) if a else 0,
            planned=p.funding if p else dict(zero),
            spent={s: money(a[s]) for s in FUNDING_SOURCES} if a else dict(zero)))
    return result


def performance_queries(undertakings: QuerySet[Undertaking],
                        entries: QuerySet[PerformanceEntry], campaign: CampaignRef,
                        round_: RoundRef, *, by_group: bool,
                        report_statuses: list[DeclarationStatus]
                        ) -> tuple[ValuesQuery[Any], ValuesQuery[Any]]:
    """The two GROUP BY queries behind performance_sums (the read compiler runs them inside
    its statement): the planned side, item_sums_query's rows over the undertakings that have
    a counted line, and the achieved side, per undertaking__item_id (and
    undertaking__organization__parent_id): done and each funding source in integer cents."""
    counted = counted_entries(entries, round_, report_statuses)
    planned = item_sums_query(reported_undertakings(undertakings, counted), campaign,
                              by_group=by_group)
    keys = ["undertaking__item_id", "undertaking__organization__parent_id"] if by_group else [
        "undertaking__item_id"]
    achieved = counted.annotate(
        done=Sum("completed_quantity"),
        **{s: cents_sum(PerformanceEntry, s) for s in FUNDING_SOURCES},
    ).group_by(*keys).values(*keys, "done", *FUNDING_SOURCES)
    return planned, achieved


def performance_sums_sql(by_group: bool) -> str:
    """performance_sums's loop in SQL (the read compiler's rows), over performance_queries'
    rows as the derived tables {planned} and {achieved}: one row per key either side has,
    item_id, group_id (the undertakers' parent; NULL: the province office's own, or no
    grouping) and group_key (0 for NULL, as the loop sorts it), planned_quantity,
    achieved_quantity, planned_<source> and spent_<source> in integer cents (0 for a side
    without the key)."""
    if by_group:
        group, done_group = "organization__parent_id", "undertaking__organization__parent_id"
        same = f"coalesce(p.{group}, 0) = coalesce(k.group_id, 0)"
        same_done = f"coalesce(a.{done_group}, 0) = coalesce(k.group_id, 0)"
    else:  # (a bare NULL would be text to PostgreSQL's UNION)
        group = done_group = "CAST(NULL AS INTEGER)"
        same = same_done = "1 = 1"
    sources = "".join(f", coalesce(p.{s}, 0) AS planned_{s}" for s in FUNDING_SOURCES) + "".join(
        f", coalesce(a.{s}, 0) AS spent_{s}" for s in FUNDING_SOURCES)
    return (
        "SELECT k.item_id, k.group_id, coalesce(k.group_id, 0) AS group_key,"
        " coalesce(p.qty, 0) AS planned_quantity, coalesce(a.done, 0) AS achieved_quantity"
        f"{sources} FROM (SELECT item_id, {group} AS group_id FROM {{planned}}"
        f" UNION SELECT undertaking__item_id, {done_group} FROM {{achieved}}) k"
        f" LEFT JOIN {{planned}} p ON p.item_id = k.item_id AND {same}"
        f" LEFT JOIN {{achieved}} a ON a.undertaking__item_id = k.item_id AND {same_done}")


@dataclass
class ReportStatusRow:
    school: Organization
    status: DeclarationStatus
    last_change_at: datetime | None


async def report_progress(schools: QuerySet[Organization], round_: ReportingRound
                          ) -> list[ReportStatusRow]:
    """Schools with an accepted declaration, and where their report for the year stands."""
    due = await reporting_schools(schools, [round_.campaign_id]).order_by("code")
    reports = {r.organization_id: r for r in await PerformanceReport.filter(
        round_id=round_.id, organization_id__in=[o.id for o in due])}
    return [ReportStatusRow(o, reports[o.id].status if o.id in reports else S.NOT_STARTED,
                            reports[o.id].updated_at if o.id in reports else None) for o in due]


def reporting_schools(schools: QuerySet[Organization], campaigns: list[int] | Subquery
                      ) -> QuerySet[Organization]:
    """The schools of `schools` that report for the years of the campaigns `campaigns` (a
    loaded id, or a subquery: the read compiler's): those whose declaration is accepted."""
    return schools.filter(kind=OrgKind.SCHOOL, declarations__campaign_id__in=campaigns,
                          declarations__status=S.ACCEPTED)


# report_progress's rows in SQL (the read compiler's rows of SchoolReportStatus): {schools}
# selects reporting_schools' ids, {round} and {round_again} the round's id, {not_started}
# binds S.NOT_STARTED. never_logged_in is false (reporting progress counts statuses only):
# status_counts_sql counts these rows as report_progress's caller counts them.
REPORT_PROGRESS_SQL = (
    "SELECT o.id AS school_id, {round} AS round_id, coalesce(r.status, {not_started}) AS status,"
    " (1 = 0) AS never_logged_in FROM organization o LEFT JOIN performance_report r"
    " ON r.organization_id = o.id AND r.round_id IN {round_again} WHERE o.id IN {schools}")
