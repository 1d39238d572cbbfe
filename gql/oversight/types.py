from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any

import strawberry
from strawberry import relay

from gql.catalog.types import TaskEntry
from gql.compiled.declare import (
    Column,
    Embedded,
    Paged,
    Percent,
    Relation,
    RuleRows,
    ScopedId,
    declare,
)
from gql.context import Info
from gql.declarations.types import Actor, actor_of
from gql.errors import ApiError
from gql.nodes import compose, decompose
from gql.org.types import Organization
from gql.pagination import Connection, paginate_list
from gql.undertakings.types import Funding
from models import Campaign as CampaignModel
from models import oversight
from models.declaration import DeclarationStatus
from models.mandatory import MISSING_ORDER, BreakSource, missing_items_sql
from models.mandatory import MandatoryConfirmation as MandatoryConfirmationModel
from permissions.classes import IsProvinceOrCity
from permissions.scoping import managed_organizations


@strawberry.type(description="How many schools are in each declaration status.")
class StatusCounts:
    not_started: int
    draft: int
    submitted: int
    city_approved: int
    returned: int
    accepted: int
    total: int
    never_logged_in: int = strawberry.field(description="Schools no account of which has"
                                            " ever logged in.")

    @classmethod
    def of(cls, c: oversight.StatusCounts) -> StatusCounts:
        s = DeclarationStatus
        return cls(not_started=c.by_status[s.NOT_STARTED], draft=c.by_status[s.DRAFT],
                   submitted=c.by_status[s.SUBMITTED],
                   city_approved=c.by_status[s.CITY_APPROVED], returned=c.by_status[s.RETURNED],
                   accepted=c.by_status[s.ACCEPTED], total=c.total,
                   never_logged_in=c.never_logged_in)


# What each field reads on the compiled path: the columns of models/oversight.py
# status_counts_sql, in the row of the progress (or of one group) that embeds it.
STATUS_COUNTS_SQL = declare("StatusCounts", None, columns=(
    "not_started", "draft", "submitted", "city_approved", "returned", "accepted", "total",
    "never_logged_in"))


@strawberry.type(description="One school's progress in one campaign (its id names both).")
class SchoolProgress(relay.Node):
    id: relay.NodeID[str]
    school: Organization
    status: DeclarationStatus
    item_count: int = strawberry.field(description="Items undertaken.")
    funding_total: Decimal = strawberry.field(description="Planned funding, all sources (万元).")
    last_change_at: datetime | None
    last_login_at: datetime | None
    never_logged_in: bool = strawberry.field(description="Nobody of this school has logged in"
                                             " yet: the first to push.")

    @classmethod
    def of(cls, row: oversight.SchoolProgress, campaign_id: int) -> SchoolProgress:
        return cls(id=compose(row.school.id, campaign_id),
                   school=Organization.of(row.school), status=row.status,
                   item_count=row.item_count, funding_total=row.funding_total,
                   last_change_at=row.last_change_at, last_login_at=row.last_login_at,
                   never_logged_in=row.never_logged_in)

    @classmethod
    async def load_key(cls, info: Info, key: str) -> SchoolProgress | None:
        ids = decompose(key, 2)
        principal = info.context.principal
        if ids is None or principal is None:
            return None
        try:
            IsProvinceOrCity().has_permission(None, info)
        except ApiError:
            return None  # schools do not oversee: as not found
        campaign = await CampaignModel.get_or_none(id=ids[1])
        rows = await oversight.school_progress(
            managed_organizations(principal).filter(id=ids[0]), campaign) if campaign else []
        return cls.of(rows[0], ids[1]) if rows else None


@strawberry.type(description="The counts of one city-level unit, or of the schools attached"
                 " directly to the province.")
class GroupProgress:
    id: strawberry.ID = strawberry.field(description="Names the unit and the campaign.")
    unit: Organization
    label: str
    counts: StatusCounts


# The compiled path's rows of a progress and of its groups: the derived tables that
# gql/compiled/progress.py defines under these names, over models/oversight.py
# SCHOOL_PROGRESS_SQL (the resolver path's own queries). A group's unit_id is its unit, the
# campaign_id links the groups to their progress.
PROGRESS_TABLE = "gql_progress"
GROUP_PROGRESS_TABLE = "gql_group_progress"
GROUP_PROGRESS_SQL = declare(
    "GroupProgress", GROUP_PROGRESS_TABLE, id=ScopedId(("unit_id", "campaign_id")),
    unit=Relation("Organization", local="unit_id", remote="id"), label=Column(),
    counts=Embedded("StatusCounts"))


@strawberry.enum(description="How to order the schools of a progress list.")
class ProgressSort(StrEnum):
    NAME = "name"
    CODE = "code"
    STATUS = "status"
    LAST_CHANGE = "last_change"
    LAST_LOGIN = "last_login"


NOT_SUBMITTED = oversight.NOT_SUBMITTED
_STATUS_ORDER = {s: i for i, s in enumerate([
    DeclarationStatus.NOT_STARTED, DeclarationStatus.DRAFT, DeclarationStatus.RETURNED,
    DeclarationStatus.SUBMITTED, DeclarationStatus.CITY_APPROVED, DeclarationStatus.ACCEPTED])}


def _stamp(value: datetime | None) -> str | None:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f") if value else None


# Each sort's key: what the order is by, then the code and id (unique) to break ties. The
# page cursors hold these values.
SORT_KEYS: dict[ProgressSort, Callable[[oversight.SchoolProgress], tuple[Any, ...]]] = {
    ProgressSort.NAME: lambda r: (r.school.name, r.school.code, r.school.id),
    ProgressSort.CODE: lambda r: (r.school.code, r.school.id),
    # Least advanced first: those are the ones to push.
    ProgressSort.STATUS: lambda r: (_STATUS_ORDER[r.status], r.school.code, r.school.id),
    ProgressSort.LAST_CHANGE: lambda r: (_stamp(r.last_change_at), r.school.code, r.school.id),
    ProgressSort.LAST_LOGIN: lambda r: (_stamp(r.last_login_at), r.school.code, r.school.id),
}
# SORT_KEYS in SQL (the compiled path, gql/compiled/progress.py): per sort, the columns of a
# school's row that its key is made of, each an int, a text, or a stamp (_stamp: text or
# null, ordered as paginate_list orders None: first).
SORT_SQL: dict[ProgressSort, tuple[tuple[str, str], ...]] = {
    ProgressSort.NAME: (("name", "text"), ("code", "text"), ("id", "int")),
    ProgressSort.CODE: (("code", "text"), ("id", "int")),
    ProgressSort.STATUS: (("status_order", "int"), ("code", "text"), ("id", "int")),
    ProgressSort.LAST_CHANGE: (("change_stamp", "stamp"), ("code", "text"), ("id", "int")),
    ProgressSort.LAST_LOGIN: (("login_stamp", "stamp"), ("code", "text"), ("id", "int")),
}


def status_order_sql(status: str) -> str:
    """_STATUS_ORDER of the status value `status` (SQL)."""
    whens = " ".join(f"WHEN '{s.value}' THEN {i}" for s, i in _STATUS_ORDER.items())
    return f"(CASE {status} {whens} END)"


@strawberry.type(description="Where the declarations of a city, or of the province, stand.")
class Progress:
    counts: StatusCounts
    campaign_id: strawberry.Private[int]
    groups: list[GroupProgress] = strawberry.field(
        description="Per city-level unit, plus the schools attached directly to the province"
        " (for the province office); the city itself for a city bureau.")
    rows: strawberry.Private[list[oversight.SchoolProgress]]

    @strawberry.field(description="The schools, filtered and sorted.")
    def schools(
        self,
        status: DeclarationStatus | None = None,
        statuses: Annotated[list[DeclarationStatus] | None, strawberry.argument(
            description="Any of these statuses.")] = None,
        not_submitted: Annotated[bool | None, strawberry.argument(
            description="true: not yet submitted (未填报, 草稿 or 退回修改); false: the"
            " others.")] = None,
        search: Annotated[str | None, strawberry.argument(
            description="Part of the name, or the start of the code.")] = None,
        never_logged_in: bool | None = None,
        sort: ProgressSort = ProgressSort.STATUS,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[SchoolProgress]:
        rows = self.rows  # the compiled path's filters: schools_where_sql below (change both)
        if status is not None:
            rows = [r for r in rows if r.status is status]
        if statuses is not None:
            rows = [r for r in rows if r.status in statuses]
        if not_submitted is not None:
            rows = [r for r in rows if (r.status in NOT_SUBMITTED) is not_submitted]
        if never_logged_in is not None:
            rows = [r for r in rows if r.never_logged_in is never_logged_in]
        if search and search.strip():
            term = search.strip()
            rows = [r for r in rows if term in r.school.name or r.school.code.startswith(term)]
        return paginate_list(rows, lambda r: SchoolProgress.of(r, self.campaign_id),
                             key=SORT_KEYS[sort], first=first, after=after, last=last,
                             before=before)


def schools_where_sql(args: dict[str, Any], bind: Callable[[Any], str], r: str) -> list[str]:
    """Progress.schools's filters in SQL (the compiled path), by GraphQL argument name, over
    the school rows at `r` (models/oversight.py SCHOOL_PROGRESS_SQL's columns, the school's
    name and code); `bind(value)` is a bound value's placeholder."""
    where = []
    if args.get("status") is not None:
        where.append(f"{r}.status = {bind(args['status'].value)}")
    if args.get("statuses") is not None:
        among = ", ".join(bind(s.value) for s in args["statuses"])
        where.append(f"{r}.status IN ({among})" if among else "1 = 0")
    if args.get("notSubmitted") is not None:
        among = ", ".join(bind(s.value) for s in sorted(NOT_SUBMITTED))
        where.append(f"{'' if args['notSubmitted'] else 'NOT '}{r}.status IN ({among})")
    if args.get("neverLoggedIn") is not None:
        where.append(f"{'' if args['neverLoggedIn'] else 'NOT '}{r}.never_logged_in")
    search = args.get("search")
    if search and search.strip():  # `term in name`: replacing it changes the name
        term = bind(search.strip())
        where.append(f"(replace({r}.name, {term}, '') <> {r}.name OR"
                     f" substr({r}.code, 1, length({term})) = {term})")
    return where


# A school's row in a compiled progress list (gql/compiled/progress.py): its id, the
# campaign_id (its global id is theirs, as SchoolProgress.of composes it),
# SCHOOL_PROGRESS_SQL's columns and never_logged_in.
SCHOOL_PROGRESS_SQL = declare(
    "SchoolProgress", None, id=ScopedId(("id", "campaign_id")),  # relay's NodeID (its `_id`)
    school=Relation("Organization", local="id", remote="id"),
    columns=("status", "item_count", "last_change_at", "last_login_at", "never_logged_in"),
    funding_total=Column("funding_cents", cents=True))


def _plan_schools(*args: Any) -> Any:
    from gql.compiled.progress import plan_schools

    return plan_schools(*args)


PROGRESS_SQL = declare(
    "Progress", PROGRESS_TABLE, counts=Embedded("StatusCounts"), schools=Paged(_plan_schools),
    # by the unit's code, as declaration_progress sorts them
    groups=Relation("GroupProgress", local="campaign_id", remote="campaign_id", many=True,
                    order=("unit__code",)))


@strawberry.type(description="Sums of one group (a city-level unit, the province's directly"
                 " attached schools, or the province office itself) for one item.")
class GroupItemSum:
    id: strawberry.ID = strawberry.field(description="Names the group's unit, the campaign and"
                                         " the item.")
    unit: Organization
    label: str
    organizations: int
    quantity: int
    funding: Funding


@strawberry.type(description="What the declarations add up to for one item.")
class ItemSum:
    id: strawberry.ID = strawberry.field(description="Names the unit whose schools it sums (the"
                                         " city asked for, or the caller's own), the campaign"
                                         " and the item.")
    item: TaskEntry
    organizations: int = strawberry.field(description="Organisations undertaking it.")
    quantity: int = strawberry.field(description="Total quantity undertaken.")
    funding: Funding
    target_percent: Decimal | None = strawberry.field(
        description="Quantity as a percentage of the national target, where the target is a"
        " count (e.g. 35.00 for 35%).")
    by_group: list[GroupItemSum]


@strawberry.type(description="A school bound to undertake every item shown, and what it lacks.")
class MissingMandatory:
    id: strawberry.ID = strawberry.field(description="Names the school and the campaign.")
    school: Organization
    missing_items: list[TaskEntry]
    confirmed: list[MandatoryConfirmation] = strawberry.field(
        description="Of the missing items, those the province confirmed the school may lack"
        " (a catalog change or an approved withdrawal after it submitted), with the reason."
        " Empty: the school still has to declare every missing item.")


@strawberry.type(description="The province's confirmation that a must-undertake-all school may"
                 " lack one item.")
class MandatoryConfirmation:
    item: TaskEntry
    source: BreakSource = strawberry.field(description="CATALOG: a catalog change;"
                                           " CHANGE_REQUEST: an approved withdrawal.")
    reason: str
    confirmed_by: Actor
    confirmed_at: datetime

    @classmethod
    def of(cls, c: MandatoryConfirmationModel) -> MandatoryConfirmation:
        return cls(**MANDATORY_CONFIRMATION_SQL.values(c), item=TaskEntry.of(c.item),
                   confirmed_by=actor_of(c.confirmed_by))


# What each field reads on the compiled path (gql/compiled/compliance.py): the schools of a
# compliance list and their confirmations, as the derived tables defined under these names
# over models/mandatory.py's rule (missing_items_sql, confirmed or not, as missing_pairs asks
# it); a school's row is its id and the campaign's.
MISSING_MANDATORY_TABLE = "gql_missing_mandatory"
CONFIRMED_TABLE = "gql_mandatory_confirmed"
MANDATORY_CONFIRMATION_SQL = declare(
    "MandatoryConfirmation", CONFIRMED_TABLE, columns=("source", "reason", "confirmed_at"),
    item=Relation("TaskEntry", local="item_id", remote="id"),
    confirmed_by=Relation("Actor", local="confirmed_by_id", remote="id"))
MISSING_MANDATORY_SQL = declare(
    "MissingMandatory", MISSING_MANDATORY_TABLE, id=ScopedId(("id", "campaign_id")),
    school=Relation("Organization", local="id", remote="id"),
    missing_items=RuleRows("TaskEntry", lambda school, campaigns: missing_items_sql(
        school, campaigns, exempt=False), order=MISSING_ORDER),
    # confirmed_items's order
    confirmed=Relation("MandatoryConfirmation", local="id", remote="organization_id",
                       many=True, order=("item__sort_key",)))


# What each field reads on the compiled path (gql/compiled/declare.py): the rows of the
# GROUP BY queries of models/oversight.py item_sums_query, as the derived tables that
# gql/compiled/sums.py defines under these names (with the ids and labels beside them).
ITEM_SUMS_TABLE = "gql_item_sums"
ITEM_SUMS_ORDER = ("item__sort_key", "item_id")  # item_sums_of's: the catalog's
GROUP_SUMS_TABLE = "gql_group_sums"
GROUP_ITEM_SUM_SQL = declare(
    "GroupItemSum", GROUP_SUMS_TABLE, id=ScopedId(("group_key", "campaign_id", "item_id")),
    unit=Relation("Organization", local="unit_id", remote="id"), label=Column(),
    organizations=Column("orgs"), quantity=Column("qty"), funding=Embedded("Funding", cents=True))
ITEM_SUM_SQL = declare(
    "ItemSum", ITEM_SUMS_TABLE, id=ScopedId(("unit_id", "campaign_id", "item_id")),
    item=Relation("TaskEntry", local="item_id", remote="id"),
    organizations=Column("orgs"), quantity=Column("qty"), funding=Embedded("Funding", cents=True),
    target_percent=Percent("qty", "item__target_quantity"),
    # the province office's own items first, then by the unit's code (item_sums_of)
    by_group=Relation("GroupItemSum", local="item_id", remote="item_id", many=True,
                      order=("own_first", "unit__code")))


def funding_of(sums: oversight.ItemSum) -> Funding:
    return Funding(**sums.funding)
