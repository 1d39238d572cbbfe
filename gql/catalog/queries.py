from __future__ import annotations

from typing import Annotated

import strawberry
from tortoise.queryset import QuerySet

from gql.catalog.types import CATALOG_ORDER, Campaign, CatalogView, TaskEntry
from gql.context import Info
from gql.dataloaders import Loaders
from gql.enums import SchoolType
from gql.errors import ApiError
from models import Campaign as CampaignModel
from models import TaskEntry as TaskEntryModel
from models.catalog import NEWEST_FIRST
from models.errors import Code
from permissions.classes import IsActiveUser
from permissions.principal import Principal


def campaign_named(code: str | None) -> QuerySet[CampaignModel]:
    """The campaign a read names, or the newest one (as campaign_by_code loads it)."""
    if code:
        return CampaignModel.filter(code=code)
    return CampaignModel.all().order_by(*NEWEST_FIRST).limit(1)


def catalog_view(principal: Principal | None, school_type: SchoolType | None,
                 include_retired: bool) -> CatalogView:
    """What `taskCatalog` shows (both read paths): a school sees its own type's entries
    unless it names another type (a 高职 is not shown 中职-only items by default)."""
    if school_type is None and principal is not None and principal.is_school:
        school_type = principal.org_school_type
    return CatalogView(school_type=school_type, include_retired=include_retired)


def catalog_top(view: CatalogView) -> QuerySet[TaskEntryModel]:
    """Top-level entries shown by a view, of any campaign (each path adds the campaign)."""
    return TaskEntryModel.filter(view.q(), parent_id=None)


def entry_numbered(number: str) -> QuerySet[TaskEntryModel]:
    return TaskEntryModel.filter(number=number.strip())


async def campaign_or_latest(loaders: Loaders, code: str | None) -> CampaignModel:
    campaign = await loaders.campaign_by_code.load(code or "")
    if campaign is None:
        raise ApiError(Code.NOT_FOUND, f"行动计划 {code} 不存在" if code else "尚无行动计划")
    return campaign


@strawberry.type
class CatalogQueries:
    @strawberry.field(description="Action plan rounds, newest first.",
                      permission_classes=[IsActiveUser])
    async def campaigns(self) -> list[Campaign]:
        rows = await CampaignModel.all().order_by(*NEWEST_FIRST).prefetch_related(
            "reporting_rounds")
        return [Campaign.of(m, sorted(r.year for r in m.reporting_rounds)) for m in rows]

    @strawberry.field(description="The task catalog's top-level entries in number order (10"
                      " after 7.2); group headings carry their items in `children`. Defaults to"
                      " the newest campaign.", permission_classes=[IsActiveUser])
    async def task_catalog(
        self,
        info: Info,
        campaign_code: str | None = None,
        school_type: Annotated[SchoolType | None, strawberry.argument(
            description="Only entries that this school type sees. A school's default: its own"
            " type; others' default: every entry.")] = None,
        include_retired: bool = False,
    ) -> list[TaskEntry]:
        campaign = await campaign_or_latest(info.context.loaders, campaign_code)
        view = catalog_view(info.context.principal, school_type, include_retired)
        rows = await catalog_top(view).filter(campaign_id=campaign.id).order_by(*CATALOG_ORDER)
        return [TaskEntry.of(m, view) for m in rows]

    @strawberry.field(description='One catalog entry by its number, e.g. "3.2".',
                      permission_classes=[IsActiveUser])
    async def task_entry(self, info: Info, number: str,
                         campaign_code: str | None = None) -> TaskEntry | None:
        campaign = await campaign_or_latest(info.context.loaders, campaign_code)
        m = await entry_numbered(number).get_or_none(campaign_id=campaign.id)
        return TaskEntry.of(m) if m else None
