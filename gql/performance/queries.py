from __future__ import annotations

from typing import Annotated

import strawberry
from tortoise.queryset import QuerySet

from gql.catalog.queries import campaign_or_latest
from gql.catalog.types import TaskEntry
from gql.compiled.declare import (
    Column,
    Embedded,
    FlagList,
    Percent,
    Relation,
    ScopedId,
    ViewRows,
    declare,
)
from gql.context import Info
from gql.errors import ApiError
from gql.nodes import scoped_id
from gql.org.types import Organization
from gql.oversight.queries import item_group_label, statuses_or_raise
from gql.oversight.scope import oversight_scope
from gql.oversight.types import StatusCounts
from gql.performance.resolve import report_of, round_target
from gql.performance.types import (
    ACTORS,
    ChangeRequestType,
    PerformanceReport,
    ReportingRoundType,
)
from gql.undertakings.types import Funding
from models import ChangeRequest as ChangeRequestModel
from models import Organization as OrganizationModel
from models import ReportingRound, certification, oversight, reports
from models import TaskEntry as TaskEntryModel
from models import totals as totals_rules
from models.catalog import YEAR_ORDER
from models.declaration import DeclarationStatus
from models.errors import DomainError
from models.performance import CHANGE_REQUEST_ORDER, RequestStatus
from models.workflow import SUBMITTED_OR_BEYOND
from permissions.classes import IsActiveUser, IsProvinceOrCity
from permissions.principal import Principal
from permissions.scoping import visible_change_requests

CITY_ARG = "Narrow to one city-level unit (the province office only; a city bureau sees its own)."


@strawberry.type(description="Planned against achieved for one item (and one unit).")
class PerformanceGroupSum:
    id: strawberry.ID = strawberry.field(
        description="Names the group's unit, the year's round and the item.")
    unit: Organization | None = strawberry.field(
        description="The city-level unit (the province office: its directly attached schools);"
        " null for the province office's own provincial items.")
    label: str
    planned_quantity: int
    achieved_quantity: int
    planned: Funding
    spent: Funding


@strawberry.type(description="Planned against achieved for one item, with its breakdown.")
class PerformanceItemSum:
    id: strawberry.ID = strawberry.field(
        description="Names the unit whose schools it sums, the year's round and the item.")
    item: TaskEntry
    planned_quantity: int
    achieved_quantity: int
    planned: Funding
    spent: Funding
    by_group: list[PerformanceGroupSum]


@strawberry.type(description="Where one school's report for the year stands.")
class SchoolReportStatus:
    id: strawberry.ID = strawberry.field(
        description="Names the school and the year's round.")
    school: Organization
    status: DeclarationStatus
    last_change_at: strawberry.Private[object]


@strawberry.type(description="Who has reported for the year (schools with an accepted"
                 " declaration).")
class ReportingProgress:
    counts: StatusCounts
    schools: list[SchoolReportStatus]

    @strawberry.field(description="Schools that have not submitted yet: to be pushed.")
    def not_reported(self) -> list[Organization]:  # in SQL: not_reported_sql below
        return [s.school for s in self.schools if s.status not in SUBMITTED_OR_BEYOND]


def not_reported_sql(rows: str) -> str:
    """ReportingProgress.not_reported's schools in SQL (the compiled path): the ids of the
    school rows of the table `rows` (models/oversight.py REPORT_PROGRESS_SQL's) not yet
    submitted."""
    among = ", ".join(f"'{s.value}'" for s in sorted(SUBMITTED_OR_BEYOND))
    return f"SELECT school_id FROM {rows} WHERE status NOT IN ({among})"


# What each field reads on the compiled path (gql/compiled/reporting.py): the schools' rows
# (models/oversight.py REPORT_PROGRESS_SQL) and the progress's one row (their counts, and the
# round's id linking them) as derived tables under these names; the schools not reported
# are not_reported_sql's, handed down.
REPORT_STATUS_TABLE = "gql_report_status"
REPORTING_PROGRESS_TABLE = "gql_reporting_progress"
SCHOOL_REPORT_STATUS_SQL = declare(
    "SchoolReportStatus", REPORT_STATUS_TABLE, id=ScopedId(("school_id", "round_id")),
    school=Relation("Organization", local="school_id", remote="id"), status=Column())
REPORTING_PROGRESS_SQL = declare(
    "ReportingProgress", REPORTING_PROGRESS_TABLE, counts=Embedded("StatusCounts"),
    # report_progress's order: the school's code
    schools=Relation("SchoolReportStatus", local="round_id", remote="round_id", many=True,
                     order=("school__code",)),
    not_reported=ViewRows("Organization", "not_reported", order=("code",)))


@strawberry.type(description="Certified undertakings of one item against the national target.")
class CertificationSum:
    id: strawberry.ID = strawberry.field(
        description="Names the unit whose schools it sums, the campaign and the item.")
    item: TaskEntry
    certified: int = strawberry.field(description="Undertakings certified.")
    certified_quantity: int = strawberry.field(description="Their total quantity.")
    not_certified: int
    pending: int = strawberry.field(description="Not decided yet (or decided PENDING).")
    target_percent: strawberry.Private[object]

    @strawberry.field(description="Certified quantity as a percentage of the national target.")
    def certified_target_percent(self) -> str | None:
        return str(self.target_percent) if self.target_percent is not None else None


# The compiled path's rows (gql/compiled/certification_sums.py): models/certification.py
# SUMS_SQL over its own sums_query, with the ids' parts beside them.
CERTIFICATION_SUMS_TABLE = "gql_certification_sums"
CERTIFICATION_SUM_SQL = declare(
    "CertificationSum", CERTIFICATION_SUMS_TABLE,
    id=ScopedId(("unit_id", "campaign_id", "item_id")),
    item=Relation("TaskEntry", local="item_id", remote="id"),
    columns=("certified", "certified_quantity", "not_certified", "pending"),
    certified_target_percent=Percent("certified_quantity", "item__target_quantity"))
# by the item's sort key, then its id (ties: the GROUP BY's rows come in no order)
CERTIFICATION_ORDER = ("item__sort_key", "item_id")


CHANGE_REQUESTS_SHOWN = 500


def change_requests_listed(principal: Principal, status: RequestStatus | None
                           ) -> QuerySet[ChangeRequestModel]:
    """The changeRequests root's rows, in its order (both read paths)."""
    qs = visible_change_requests(principal)
    if status is not None:
        qs = qs.filter(status=RequestStatus(status))
    return qs.order_by(*CHANGE_REQUEST_ORDER).limit(CHANGE_REQUESTS_SHOWN)


async def _round(info: Info, year: int, campaign_code: str | None) -> ReportingRound:
    campaign = await campaign_or_latest(info.context.loaders, campaign_code)
    try:
        return await reports.round_of(campaign, year)
    except DomainError as e:
        raise ApiError(e.code, e.message) from e


REPORT_STATUSES = ("Which report statuses to count as achieved; default ACCEPTED (lines of"
                   " reports the province has confirmed).")
ReportStatusesArg = Annotated[list[DeclarationStatus] | None,
                              strawberry.argument(description=REPORT_STATUSES)]


@strawberry.type(description="Planned against achieved, saying which report statuses count.")
class PerformanceTotals:
    counted_report_statuses: list[DeclarationStatus]
    items: list[PerformanceItemSum]


# What each field reads on the compiled path (gql/compiled/declare.py): the rows of
# models/oversight.py performance_sums_sql (the resolver path's loop over its own queries) as
# the derived tables gql/compiled/performance_sums.py defines under these names, with the
# ids' parts and the labels beside them; the totals' one row says which statuses count.
PERFORMANCE_ITEM_SUMS_TABLE = "gql_performance_item_sums"
PERFORMANCE_GROUP_SUMS_TABLE = "gql_performance_group_sums"
PERFORMANCE_TOTALS_TABLE = "gql_performance_totals"
# as _performance sorts them (a stable sort of rows in item id order)
PERFORMANCE_ITEM_ORDER = ("item__sort_key", "item_id")
PERFORMANCE_FUNDING = {
    "planned": Embedded("Funding", cents=True, prefix="planned_"),
    "spent": Embedded("Funding", cents=True, prefix="spent_")}
PERFORMANCE_GROUP_SUM_SQL = declare(
    "PerformanceGroupSum", PERFORMANCE_GROUP_SUMS_TABLE,
    id=ScopedId(("group_key", "round_id", "item_id")),
    unit=Relation("Organization", local="group_id", remote="id"), label=Column(),
    columns=("planned_quantity", "achieved_quantity"), each=PERFORMANCE_FUNDING)
PERFORMANCE_ITEM_SUM_SQL = declare(
    "PerformanceItemSum", PERFORMANCE_ITEM_SUMS_TABLE,
    id=ScopedId(("unit_id", "round_id", "item_id")),
    item=Relation("TaskEntry", local="item_id", remote="id"),
    columns=("planned_quantity", "achieved_quantity"), each=PERFORMANCE_FUNDING,
    # in performance_sums's order: by the group's unit id, the province office's own first
    by_group=Relation("PerformanceGroupSum", local="item_id", remote="item_id", many=True,
                      order=("group_key",)))
PERFORMANCE_TOTALS_SQL = declare(
    "PerformanceTotals", PERFORMANCE_TOTALS_TABLE,
    # a boolean column per status, in the flow's order (as statuses_or_default lists them)
    counted_report_statuses=FlagList(tuple((f"counts_{s.value}", s) for s in totals_rules.ORDER)),
    items=Relation("PerformanceItemSum", local="round_id", remote="round_id", many=True,
                   order=PERFORMANCE_ITEM_ORDER))


async def _performance(info: Info, year: int, city_code: str | None,
                       campaign_code: str | None, report_statuses: list[DeclarationStatus] | None
                       ) -> PerformanceTotals | None:
    scope = await oversight_scope(info.context, city_code, campaign_code)
    round_ = await _round(info, year, campaign_code)
    counted = statuses_or_raise(report_statuses, totals_rules.DEFAULT_REPORTS)
    totals = await oversight.performance_sums(scope.undertakings, scope.entries, round_,
                                              by_group=False, report_statuses=counted)
    groups = await oversight.performance_sums(scope.undertakings, scope.entries, round_,
                                              by_group=True, report_statuses=counted)
    items = {e.id: e for e in await TaskEntryModel.filter(id__in={t.item_id for t in totals})}
    units = {u.id: u for u in await OrganizationModel.filter(
        id__in={g.group_id for g in groups if g.group_id})}
    result = []
    for t in sorted(totals, key=lambda t: items[t.item_id].sort_key):
        result.append(PerformanceItemSum(
            id=scoped_id("PerformanceItemSum", scope.unit_id, round_.id, t.item_id),
            item=TaskEntry.of(items[t.item_id]), planned_quantity=t.planned_quantity,
            achieved_quantity=t.achieved_quantity, planned=Funding(**t.planned),
            spent=Funding(**t.spent),
            by_group=[PerformanceGroupSum(
                id=scoped_id("PerformanceGroupSum", g.group_id or 0, round_.id, g.item_id),
                unit=Organization.of(units[g.group_id]) if g.group_id else None,
                label=item_group_label(units[g.group_id] if g.group_id else None),
                planned_quantity=g.planned_quantity, achieved_quantity=g.achieved_quantity,
                planned=Funding(**g.planned), spent=Funding(**g.spent))
                for g in groups if g.item_id == t.item_id]))
    return PerformanceTotals(counted_report_statuses=counted, items=result)


@strawberry.type
class PerformanceQueries:
    @strawberry.field(description="The year-end reporting rounds (2021-2023) and their windows.",
                      permission_classes=[IsActiveUser])
    async def reporting_rounds(self, info: Info,
                               campaign_code: str | None = None) -> list[ReportingRoundType]:
        campaign = await campaign_or_latest(info.context.loaders, campaign_code)
        rows = await ReportingRound.filter(campaign_id=campaign.id).order_by(*YEAR_ORDER)
        return [ReportingRoundType.of(r) for r in rows]

    @strawberry.field(description="A year's report of an organisation (default: one's own);"
                      " null outside one's scope.", permission_classes=[IsActiveUser])
    async def performance_report(self, info: Info, year: int,
                                 organization_code: str | None = None,
                                 campaign_code: str | None = None) -> PerformanceReport | None:
        found = await round_target(info.context, organization_code, year, campaign_code)
        if not isinstance(found, tuple):
            if found.code == "ROUND_NOT_FOUND":
                raise ApiError(found.code, found.message)
            return None
        return await report_of(info.context, *found)

    @strawberry.field(description="Change requests in the caller's scope, newest first.",
                      permission_classes=[IsActiveUser])
    async def change_requests(self, info: Info, status: RequestStatus | None = None
                              ) -> list[ChangeRequestType]:
        assert info.context.principal is not None
        listed = change_requests_listed(info.context.principal, status)
        return [ChangeRequestType.of(c) for c in await listed.select_related(*ACTORS)]

    @strawberry.field(description="Per item and city-level unit: planned against achieved"
                      " quantity, planned against spent funding per source, for one year's"
                      " report lines in `reportStatuses` (default ACCEPTED), the planned side"
                      " over the same undertakings. " + CITY_ARG,
                      permission_classes=[IsProvinceOrCity])
    async def performance_sums(self, info: Info, year: int, city_code: str | None = None,
                               campaign_code: str | None = None,
                               report_statuses: ReportStatusesArg = None,
                               ) -> list[PerformanceItemSum] | None:
        found = await _performance(info, year, city_code, campaign_code, report_statuses)
        return found.items if found else None

    @strawberry.field(description="performanceSums, saying which report statuses it counts.",
                      permission_classes=[IsProvinceOrCity])
    async def performance_totals(self, info: Info, year: int, city_code: str | None = None,
                                 campaign_code: str | None = None,
                                 report_statuses: ReportStatusesArg = None,
                                 ) -> PerformanceTotals | None:
        return await _performance(info, year, city_code, campaign_code, report_statuses)

    @strawberry.field(description="Who has and has not reported for a year. " + CITY_ARG,
                      permission_classes=[IsProvinceOrCity])
    async def reporting_progress(self, info: Info, year: int, city_code: str | None = None,
                                 campaign_code: str | None = None) -> ReportingProgress | None:
        scope = await oversight_scope(info.context, city_code, campaign_code)
        round_ = await _round(info, year, campaign_code)
        rows = await oversight.report_progress(scope.organizations, round_)
        counts = oversight.StatusCounts()
        for r in rows:
            counts.by_status[r.status] += 1
        return ReportingProgress(counts=StatusCounts.of(counts), schools=[
            SchoolReportStatus(id=scoped_id("SchoolReportStatus", r.school.id, round_.id),
                               school=Organization.of(r.school), status=r.status,
                               last_change_at=r.last_change_at) for r in rows])

    @strawberry.field(description="Per item: certified undertakings and quantity against the"
                      " national target. " + CITY_ARG, permission_classes=[IsProvinceOrCity])
    async def certification_sums(self, info: Info, city_code: str | None = None,
                                 campaign_code: str | None = None
                                 ) -> list[CertificationSum] | None:
        scope = await oversight_scope(info.context, city_code, campaign_code)
        sums = await certification.sums(scope.undertakings, scope.campaign)
        items = {e.id: e for e in await TaskEntryModel.filter(id__in=list(sums))}
        return [CertificationSum(
            id=scoped_id("CertificationSum", scope.unit_id, scope.campaign.id, i),
            item=TaskEntry.of(items[i]), certified=s["certified"],
            certified_quantity=s["certified_quantity"], not_certified=s["not_certified"],
            pending=s["pending"],
            target_percent=oversight.target_percent(s["certified_quantity"],
                                                    items[i].target_quantity))
            for i, s in sorted(sums.items(), key=lambda kv: (items[kv[0]].sort_key, kv[0]))]
