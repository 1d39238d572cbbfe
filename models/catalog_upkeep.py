"""The province office's corrections to the catalog.

The starting catalog is a reading of a PDF (see models/seed/README.md): levels, targets and
eligibility must be correctable in the running platform. A change that would leave an
existing undertaking invalid is refused with the organisations concerned; one that would
leave a submitted must-undertake-all school missing an item is refused unless the province
confirms it (models/mandatory.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tortoise.transactions import in_transaction

from models import audit, object_history
from models.catalog import Campaign, TaskEntry, sort_key
from models.clock import now_utc
from models.enums import OrgKind, SchoolType, TaskLevel
from models.errors import Code, DomainError
from models.mandatory import BreakSource, Confirm, breaks_if_shown, hold, shown_types
from models.object_history import HistoryEvent, entry_subject
from models.org import Organization
from models.undertaking import Undertaking

NUMBER_PATTERN = r"^\d{1,3}(\.\d{1,3})?$"
MAX_UNIT_LENGTH = 8  # TaskEntry.target_unit


@dataclass(frozen=True)
class EntryChanges:
    """Only what is given changes (None: keep)."""

    title: str | None = None
    level: TaskLevel | None = None
    target_quantity: int | None = None
    clear_target: bool = False
    target_unit: str | None = None
    school_types: list[SchoolType] | None = None


def _eligible(level: TaskLevel | None, types: list[SchoolType], org: Organization) -> bool:
    if org.kind is OrgKind.PROVINCE:
        return level is TaskLevel.PROVINCE
    return level is TaskLevel.SCHOOL and org.school_type in types


async def _holders(entry: TaskEntry) -> list[Organization]:
    return await Organization.filter(undertakings__item_id=entry.id).order_by("code").distinct()


def _in_use(entry: TaskEntry, orgs: list[Organization], what: str) -> DomainError:
    names = "、".join(f"{o.name}（{o.code}）" for o in orgs[:20])
    more = f"等{len(orgs)}个单位" if len(orgs) > 20 else ""
    return DomainError(Code.ITEM_IN_USE,
                       f"任务 {entry.number} 已被以下单位承接，不能{what}：{names}{more}",
                       "number", organizations=[o.code for o in orgs])


def _check_target(quantity: int | None, unit: str | None) -> None:
    if quantity is not None and quantity < 1:
        raise DomainError(Code.INVALID_VALUE, "全国目标数量必须是正整数", "targetQuantity")
    if unit is not None and len(unit.strip()) > MAX_UNIT_LENGTH:
        raise DomainError(Code.INVALID_VALUE, f"计量单位不能超过{MAX_UNIT_LENGTH}个字",
                          "targetUnit")


async def _locked(entry: TaskEntry) -> TaskEntry:
    """The entry, re-read under a row lock (PostgreSQL; SQLite runs one transaction at a
    time): a school's first undertaking of it waits, or is seen (declarations.py)."""
    return await TaskEntry.filter(id=entry.id).select_for_update().get()


NOT_CONFIRMED = Confirm(actor_id=0)


async def update_entry(entry: TaskEntry, changes: EntryChanges,
                       confirm: Confirm = NOT_CONFIRMED) -> TaskEntry:
    _check_target(changes.target_quantity, changes.target_unit)
    async with in_transaction():
        entry = await _locked(entry)
        before = shown_types(entry)
        old = _described(entry)
        await _update_locked(entry, changes)
        await object_history.record(entry_subject(entry.id), HistoryEvent.ENTRY_CHANGED,
                                    before=old, after=_described(entry))
        audit.note(f"catalog entry {entry.number}", old, _described(entry))
        await hold(await breaks_if_shown(entry, before), confirm, BreakSource.CATALOG)
        if entry.parent_id:
            await refresh_group(entry.parent_id)
    return entry


def _described(entry: TaskEntry) -> dict[str, object]:
    """What a catalog change can touch, for the entry's history."""
    return {"title": entry.title, "level": entry.level, "for_higher": entry.for_higher,
            "for_secondary": entry.for_secondary, "for_university": entry.for_university,
            "target_quantity": entry.target_quantity, "target_unit": entry.target_unit}


async def _update_locked(entry: TaskEntry, changes: EntryChanges) -> None:
    if entry.is_group and (changes.level or changes.school_types):
        raise DomainError(Code.INVALID_VALUE, "任务分组没有承接层级和适用学校类型", "number")
    level = changes.level or entry.level
    types = changes.school_types if changes.school_types is not None else entry.school_types
    if not entry.is_group and not types:
        raise DomainError(Code.INVALID_VALUE, "至少选择一种适用学校类型", "schoolTypes")
    invalid = [o for o in await _holders(entry) if not _eligible(level, types, o)]
    if invalid:
        raise _in_use(entry, invalid, "修改承接层级或适用学校类型")
    if changes.title is not None:
        entry.title = changes.title.strip() or entry.title
    entry.level = level
    entry.for_higher = SchoolType.HIGHER in types
    entry.for_secondary = SchoolType.SECONDARY in types
    entry.for_university = SchoolType.UNIVERSITY in types
    if changes.clear_target:
        entry.target_quantity, entry.target_unit = None, None
    if changes.target_quantity is not None:
        entry.target_quantity = changes.target_quantity
    if changes.target_unit is not None:
        entry.target_unit = changes.target_unit.strip() or None
    await entry.save()


async def add_entry(campaign: Campaign, number: str, title: str, level: TaskLevel,
                    school_types: list[SchoolType], target_quantity: int | None,
                    target_unit: str | None, confirm: Confirm = NOT_CONFIRMED) -> TaskEntry:
    number = number.strip()
    if not re.fullmatch(NUMBER_PATTERN, number):
        raise DomainError(Code.INVALID_VALUE, "编号格式应为 12 或 12.3", "number")
    if not title.strip():
        raise DomainError(Code.INVALID_VALUE, "请填写工作任务", "title")
    if not school_types:
        raise DomainError(Code.INVALID_VALUE, "至少选择一种适用学校类型", "schoolTypes")
    _check_target(target_quantity, target_unit)
    if await TaskEntry.exists(campaign_id=campaign.id, number=number):
        raise DomainError(Code.DUPLICATE, f"编号 {number} 已存在", "number")
    parent = None
    if "." in number:
        parent = await TaskEntry.get_or_none(campaign_id=campaign.id,
                                             number=number.split(".")[0])
        if parent is None:
            raise DomainError(Code.INVALID_VALUE, f"上级任务 {number.split('.')[0]} 不存在",
                              "number")
        if not parent.is_group:
            if await Undertaking.exists(item_id=parent.id):
                raise _in_use(parent, await _holders(parent), "拆分为任务分组")
    async with in_transaction():
        if parent is not None and not parent.is_group:
            # The parent becomes a heading; its own text stays as the heading's title.
            parent.is_group, parent.level = True, None  # type: ignore[assignment]
            await parent.save(update_fields=["is_group", "level"])
        entry = await TaskEntry.create(
            campaign=campaign, number=number, sort_key=sort_key(number), parent=parent,
            title=title.strip(), level=level, target_quantity=target_quantity,
            target_unit=(target_unit or "").strip() or None,
            for_higher=SchoolType.HIGHER in school_types,
            for_secondary=SchoolType.SECONDARY in school_types,
            for_university=SchoolType.UNIVERSITY in school_types)
        if parent is not None:
            await refresh_group(parent.id)
        await hold(await breaks_if_shown(entry, []), confirm, BreakSource.CATALOG)
        await object_history.record(entry_subject(entry.id), HistoryEvent.ENTRY_ADDED,
                                    after=_described(entry))
    return entry


async def refresh_group(group_id: int) -> None:
    """A heading is seen by the school types that see any of its current items."""
    group = await TaskEntry.get(id=group_id)
    items = await TaskEntry.filter(parent_id=group_id, retired_at=None)
    group.for_higher = any(i.for_higher for i in items)
    group.for_secondary = any(i.for_secondary for i in items)
    group.for_university = any(i.for_university for i in items)
    await group.save(update_fields=["for_higher", "for_secondary", "for_university"])


async def retire_entry(entry: TaskEntry) -> TaskEntry:
    """Withdraw an entry (a heading: with its items) from the catalog, if nobody undertakes
    any of it. Kept for history; restore_entry brings it back."""
    async with in_transaction():
        entry = await _locked(entry)
        entries = [entry, *await TaskEntry.filter(parent_id=entry.id, retired_at=None)
                   .select_for_update()]
        for e in entries:
            holders = await _holders(e)
            if holders:
                raise _in_use(e, holders, "停用")
        now = now_utc()
        await TaskEntry.filter(id__in=[e.id for e in entries]).update(retired_at=now)
        for e in entries:
            await object_history.record(entry_subject(e.id), HistoryEvent.ENTRY_RETIRED, at=now)
        entry.retired_at = now
        if entry.parent_id:
            await refresh_group(entry.parent_id)
    return entry


async def restore_entry(entry: TaskEntry, confirm: Confirm = NOT_CONFIRMED) -> TaskEntry:
    """Bring an entry back; a heading brings back the items retired with it."""
    async with in_transaction():
        back = [entry]
        if entry.is_group and entry.retired_at is not None:
            back += await TaskEntry.filter(parent_id=entry.id, retired_at=entry.retired_at)
            await TaskEntry.filter(parent_id=entry.id, retired_at=entry.retired_at).update(
                retired_at=None)
        entry.retired_at = None
        await entry.save(update_fields=["retired_at"])
        if entry.parent_id:
            await refresh_group(entry.parent_id)
        breaks = []
        for e in back:
            e.retired_at = None
            breaks += await breaks_if_shown(e, [])
            await object_history.record(entry_subject(e.id), HistoryEvent.ENTRY_RESTORED)
        await hold(breaks, confirm, BreakSource.CATALOG)
    return entry
