from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from gql.catalog.queries import campaign_or_latest
from gql.catalog.types import Campaign, TaskEntry
from gql.context import Info
from gql.errors import UserError
from models import TaskEntry as TaskEntryModel
from models import catalog_upkeep, declarations
from models.catalog_upkeep import EntryChanges
from models.enums import SchoolType, TaskLevel
from models.errors import Code, DomainError
from models.mandatory import Confirm
from permissions.classes import IsProvinceOffice

CONFIRM_REASON = ("Why the change may leave submitted must-undertake-all schools without an"
                  " item. Without it such a change is refused (MANDATORY_RULE_BROKEN, naming"
                  " the schools); with it the change is made, the reason kept, and the schools"
                  " flagged in compliance.")
ConfirmReason = Annotated[str | None, strawberry.argument(description=CONFIRM_REASON)]


def _confirm(info: Info, reason: str | None) -> Confirm:
    principal = info.context.principal
    assert principal is not None
    return Confirm(principal.user_id, reason)


@strawberry.type
class TaskEntryPayload:
    entry: TaskEntry | None
    errors: list[UserError]


@strawberry.type
class CampaignPayload:
    campaign: Campaign | None
    errors: list[UserError]


@strawberry.input(description="What to correct; fields left out stay as they are.")
class TaskEntryChangesInput:
    title: str | None = None
    level: TaskLevel | None = None
    target_quantity: int | None = None
    clear_target: bool = strawberry.field(default=False,
                                          description="Remove the national target.")
    target_unit: str | None = None
    school_types: list[SchoolType] | None = None


async def _entry(info: Info, number: str, campaign_code: str | None) -> TaskEntryModel | None:
    campaign = await campaign_or_latest(info.context.loaders, campaign_code)
    return await TaskEntryModel.get_or_none(campaign_id=campaign.id, number=number.strip())


def _missing(number: str) -> TaskEntryPayload:
    return TaskEntryPayload(entry=None, errors=[UserError(
        field=["number"], code=Code.NOT_FOUND, message=f"任务 {number} 不存在")])


@strawberry.type
class CatalogMutations:
    @strawberry.mutation(description="Province office: move the declaration window (times"
                         " without an offset are Beijing time).",
                         permission_classes=[IsProvinceOffice])
    async def set_declaration_window(self, info: Info, opens_at: datetime, closes_at: datetime,
                                     campaign_code: str | None = None) -> CampaignPayload:
        campaign = await campaign_or_latest(info.context.loaders, campaign_code)
        try:
            await declarations.set_window(campaign, opens_at, closes_at)
        except DomainError as e:
            return CampaignPayload(campaign=None, errors=[UserError.of(e)])
        return CampaignPayload(campaign=await Campaign.load(info, campaign.id), errors=[])

    @strawberry.mutation(description="Province office: correct an entry's title, level, target"
                         " or eligible school types. Refused, with the organisations concerned,"
                         " when it would invalidate their undertakings, or leave a submitted"
                         " must-undertake-all school missing an item (unless confirmReason).",
                         permission_classes=[IsProvinceOffice])
    async def update_task_entry(self, info: Info, number: str, changes: TaskEntryChangesInput,
                                campaign_code: str | None = None,
                                confirm_reason: ConfirmReason = None) -> TaskEntryPayload:
        entry = await _entry(info, number, campaign_code)
        if entry is None:
            return _missing(number)
        try:
            entry = await catalog_upkeep.update_entry(entry, EntryChanges(
                title=changes.title, level=changes.level,
                target_quantity=changes.target_quantity, clear_target=changes.clear_target,
                target_unit=changes.target_unit, school_types=changes.school_types),
                _confirm(info, confirm_reason))
        except DomainError as e:
            return TaskEntryPayload(entry=None, errors=[UserError.of(e)])
        return TaskEntryPayload(entry=TaskEntry.of(entry), errors=[])

    @strawberry.mutation(description='Province office: add an item ("57", or "3.4" under the'
                         " heading 3).", permission_classes=[IsProvinceOffice])
    async def add_task_entry(self, info: Info, number: str, title: str, level: TaskLevel,
                             school_types: list[SchoolType], target_quantity: int | None = None,
                             target_unit: str | None = None,
                             campaign_code: str | None = None,
                             confirm_reason: ConfirmReason = None) -> TaskEntryPayload:
        campaign = await campaign_or_latest(info.context.loaders, campaign_code)
        try:
            entry = await catalog_upkeep.add_entry(campaign, number, title, level, school_types,
                                                   target_quantity, target_unit,
                                                   _confirm(info, confirm_reason))
        except DomainError as e:
            return TaskEntryPayload(entry=None, errors=[UserError.of(e)])
        return TaskEntryPayload(entry=TaskEntry.of(entry), errors=[])

    @strawberry.mutation(description="Province office: withdraw an entry from the catalog while"
                         " nobody undertakes it (kept for history).",
                         permission_classes=[IsProvinceOffice])
    async def retire_task_entry(self, info: Info, number: str,
                                campaign_code: str | None = None) -> TaskEntryPayload:
        entry = await _entry(info, number, campaign_code)
        if entry is None:
            return _missing(number)
        try:
            entry = await catalog_upkeep.retire_entry(entry)
        except DomainError as e:
            return TaskEntryPayload(entry=None, errors=[UserError.of(e)])
        return TaskEntryPayload(entry=TaskEntry.of(entry), errors=[])

    @strawberry.mutation(description="Province office: bring a retired entry back.",
                         permission_classes=[IsProvinceOffice])
    async def restore_task_entry(self, info: Info, number: str,
                                 campaign_code: str | None = None,
                                 confirm_reason: ConfirmReason = None) -> TaskEntryPayload:
        entry = await _entry(info, number, campaign_code)
        if entry is None:
            return _missing(number)
        try:
            entry = await catalog_upkeep.restore_entry(entry, _confirm(info, confirm_reason))
        except DomainError as e:
            return TaskEntryPayload(entry=None, errors=[UserError.of(e)])
        return TaskEntryPayload(entry=TaskEntry.of(entry), errors=[])
