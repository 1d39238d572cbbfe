from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry import relay
from tortoise.expressions import Q
from tortoise.queryset import QuerySet

from gql.compiled.declare import FlagList, NowBetween, Relation, SelectRows, ValueList, declare
from gql.context import Info
from gql.enums import SchoolType, TaskLevel
from models import Campaign as CampaignModel
from models import TaskEntry as TaskEntryModel
from models.clock import now_utc
from models.declaration_history import event_lines
from models.enums import SchoolType as SchoolTypeEnum
from models.object_history import EVENTS_ORDER, entry_subject, entry_subject_sql
from permissions.classes import IsActiveUser

if TYPE_CHECKING:
    from gql.declarations.types import HistoryEntry

# Catalog entries in number order (10 after 7.2), at every level, on both paths.
CATALOG_ORDER = ("sort_key",)

# Which flag column says a school type sees an entry.
SCHOOL_TYPE_FLAG = {SchoolTypeEnum.HIGHER: "for_higher", SchoolTypeEnum.SECONDARY: "for_secondary",
                    SchoolTypeEnum.UNIVERSITY: "for_university"}


@dataclass(frozen=True)
class CatalogView:
    school_type: SchoolTypeEnum | None = None
    include_retired: bool = False

    def shows(self, m: TaskEntryModel) -> bool:
        """`q()` for one loaded row (the two forms of one rule, kept side by side)."""
        if m.retired_at is not None and not self.include_retired:
            return False
        return self.school_type is None or m.eligible_for(self.school_type)

    def q(self) -> Q:
        """The entries this view shows, as a filter (top level, and the compiled path)."""
        q = Q() if self.include_retired else Q(retired_at__isnull=True)
        if self.school_type is not None:
            q &= Q(**{SCHOOL_TYPE_FLAG[self.school_type]: True})  # type: ignore[arg-type]
        return q


@strawberry.type(description="An entry of the task catalog: a group heading or a task item.")
class TaskEntry(relay.Node):
    id: relay.NodeID[int]
    number: str = strawberry.field(description='Its number in the notice, e.g. "3" or "3.2".')
    title: str | None = strawberry.field(
        description="工作任务: the national target as worded in the notice; null for a group"
        " heading, whose items carry the text.")
    is_group: bool = strawberry.field(description="A heading that only groups items.")
    level: TaskLevel | None = strawberry.field(description="Who undertakes it; null for a group.")
    target_quantity: int | None = strawberry.field(
        description="The national target when it is a count (100个左右 -> 100).")
    target_unit: str | None = strawberry.field(description="Unit of the target: 个, 所, 门 ...")
    school_types: list[SchoolType] = strawberry.field(
        description="The school types that see this entry.")
    retired_at: datetime | None = strawberry.field(
        description="When the province withdrew it from the catalog; null while current.")
    parent_id: strawberry.Private[int | None]
    # How the catalog was asked for (taskCatalog's filters), handed down to `children`.
    view: strawberry.Private[CatalogView]

    @classmethod
    def of(cls, m: TaskEntryModel, view: CatalogView | None = None) -> TaskEntry:
        return cls(id=m.id, **TASK_ENTRY_SQL.values(m), school_types=SCHOOL_TYPES.of(m),
                   parent_id=m.parent_id, view=view or CatalogView())

    @classmethod
    async def load(cls, info: Info, id: int) -> TaskEntry | None:
        m = await info.context.loaders.task_entry_by_id.load(id)
        return cls.of(m) if m else None

    @strawberry.field(description="Catalog changes to this entry (added, changed field by"
                      " field, retired, restored), oldest first.",
                      permission_classes=[IsActiveUser])
    async def history(self) -> list[
            Annotated[HistoryEntry, strawberry.lazy("gql.declarations.types")]]:
        from gql.declarations.types import events_of

        return await events_of(entry_subject(self.id))

    @strawberry.field(description="The group heading above this item, if any.")
    async def parent(self, info: Info) -> TaskEntry | None:
        return await self.load(info, self.parent_id) if self.parent_id else None

    @strawberry.field(description="The items under a group heading, in number order, with"
                      " the filters the catalog was asked with.")
    async def children(self, info: Info) -> list[TaskEntry]:
        rows = await info.context.loaders.task_entries_by_parent_id.load(self.id)
        return [TaskEntry.of(m, self.view) for m in rows if self.view.shows(m)]

    @classmethod
    def resolve_nodes(cls, *, info: Any, node_ids: Any, required: bool = False) -> Any:
        raise NotImplementedError("resolved by gql.nodes")


# What each field reads, for both paths (gql/compiled/declare.py).
SCHOOL_TYPES = FlagList(tuple((flag, t) for t, flag in SCHOOL_TYPE_FLAG.items()))


def _children_shown(views: dict[str, Any]) -> QuerySet[TaskEntryModel]:
    return TaskEntryModel.filter((views.get("catalog") or CatalogView()).q())


TASK_ENTRY_SQL = declare(
    "TaskEntry", "task_entry", node=True,
    columns=("number", "title", "is_group", "level", "target_quantity", "target_unit",
             "retired_at"),
    school_types=SCHOOL_TYPES,
    parent=Relation("TaskEntry", local="parent_id", remote="id"),
    # filtered as the catalog was asked for (taskCatalog's view; elsewhere the default one)
    children=Relation("TaskEntry", local="id", remote="parent_id", many=True,
                      order=CATALOG_ORDER, view=_children_shown, keeps_view=True),
    # events_of(entry_subject(id)) in SQL: the catalog's changes are for every user
    history=SelectRows("HistoryEntry", lambda row: event_lines(entry_subject_sql(row)), None,
                       EVENTS_ORDER, view=None),
)


@strawberry.type(description="An action plan round: its declaration window and report years.")
class Campaign(relay.Node):
    id: relay.NodeID[int]
    code: str
    name: str
    declaration_opens_at: datetime
    declaration_closes_at: datetime
    performance_years: list[int] = strawberry.field(
        description="The year ends at which performance is reported.")
    city_review: bool = strawberry.field(
        description="Whether city bureaus approve (审核通过) their schools' forms before the"
        " province confirms them (已确认); schools directly under the province skip it.")
    late_return_days: int = strawberry.field(
        description="Days a form returned or reopened after its deadline stays open for the"
        " school to correct it (an extension that ends by itself).")
    median_factor: int = strawberry.field(
        description="A row's quantity or planned funding more than this many times the"
        " province's median for its item is flagged (soft checks).")

    @classmethod
    def of(cls, m: CampaignModel, years: list[int]) -> Campaign:
        return cls(id=m.id, **CAMPAIGN_SQL.values(m), performance_years=years)

    @strawberry.field(description="Whether declarations are open now, by the server's clock.")
    def declaration_open(self) -> bool:
        return self.declaration_opens_at <= now_utc() <= self.declaration_closes_at

    @classmethod
    async def load(cls, info: Info, id: int) -> Campaign | None:
        m = await CampaignModel.get_or_none(id=id)
        return cls.of(m, await info.context.loaders.years_by_campaign_id.load(id)) if m else None

    @classmethod
    def resolve_nodes(cls, *, info: Any, node_ids: Any, required: bool = False) -> Any:
        raise NotImplementedError("resolved by gql.nodes")


# What each field reads, for both paths (gql/compiled/declare.py).
CAMPAIGN_SQL = declare(
    "Campaign", "campaign", node=True,
    columns=("code", "name", "declaration_opens_at", "declaration_closes_at", "city_review",
             "late_return_days", "median_factor"),
    performance_years=ValueList("reporting_round", "year", remote="campaign_id"),
    declaration_open=NowBetween("declaration_opens_at", "declaration_closes_at"),
)
