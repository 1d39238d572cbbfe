"""Declaring undertakings: the form's rows, the status flow, the deadline, the history.

Every operation here takes the acting user's id and trusts that permissions/ has already
decided the actor may act on the organisation; the business rules (eligibility, bounds,
deadline, status, version) are enforced here, whoever calls.
"""

from __future__ import annotations

from collections.abc import Awaitable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar

from tortoise import connections

from models import audit, fixed_statements, object_history, status_feed
from models.amounts import check_quantity, parse_funding, snapshot, snapshot_of
from models.bulk import insert_fields
from models.catalog import Campaign, TaskEntry
from models.clock import now_utc
from models.declaration import (
    Declaration,
    DeclarationEvent,
    DeclarationStatus,
    Extension,
    RowAction,
    UndertakingChange,
)
from models.enums import OrgKind, TaskLevel
from models.errors import Code, DomainError, DomainErrors
from models.mandatory import missing_items, rule_lock
from models.object_history import HistoryEvent, declaration_subject
from models.org import Organization
from models.transaction import open_transaction, write_transaction
from models.undertaking import FUNDING_SOURCES, Undertaking
from models.workflow import (
    Flow,
    Window,
    city_review_applies,
    claim,
    edit_lock_of,
    within_window,
)

S = DeclarationStatus
T = TypeVar("T")


@dataclass(frozen=True)
class RowInput:
    item_number: str
    quantity: int | None = None
    funding: dict[str, Decimal] | None = None  # by FUNDING_SOURCES name; missing means 0
    remove: bool = False


def window_of(campaign: Campaign, extension: Extension | None, now: datetime) -> Window:
    """The organisation's declaration window, its extension included while it runs."""
    return Window.of(campaign.declaration_opens_at, campaign.declaration_closes_at,
                     extension.until if extension else None, now)


async def window_for(org_id: int, campaign: Campaign) -> Window:
    """The organisation's window as stored now; asked again in the same transaction (a
    save's early check, then the check within_window holds), the one the transaction read.

    The answer is the same on SQLite, where the transaction holds the write lock. On
    PostgreSQL an extension granted or revoked by another transaction in between would be
    seen by a second read, but one committed just after it is not either: the save is
    ordered before that change in both cases, and lock() still compares the stored times
    with the clock."""
    key = (org_id, campaign.id)
    seen = _window_seen.get()
    transaction = open_transaction()
    if (seen is not None and transaction is not None and seen[0] == key
            and seen[2] is transaction):
        return seen[1]
    extension = await fixed_statements.first(Extension, campaign_id=campaign.id,
                                             organization_id=org_id)
    window = window_of(campaign, extension, now_utc())
    _window_seen.set((key, window, transaction))
    return window


def _extension_changed() -> None:
    """An extension was written: the next window_for reads it again."""
    _window_seen.set(None)


# The window window_for read last in this task: for which (organisation, campaign), and in
# which transaction (None: outside one). Inside a writing transaction that is the one it
# checked, and an operation that changes no extension (a save, a submit) answers with it
# rather than reading the extension again.
_window_seen: ContextVar[tuple[tuple[int, int], Window, object | None] | None] = ContextVar(
    "window_seen", default=None)


async def with_window_seen(operation: Awaitable[T], org_id: int, campaign_id: int
                           ) -> tuple[T, Window | None]:
    """`operation`'s result, and the window it last read for the organisation's form (None
    when it read none)."""
    token = _window_seen.set(None)
    try:
        result = await operation
        seen = _window_seen.get()
    finally:
        _window_seen.reset(token)
    return result, (seen[1] if seen is not None and seen[0] == (org_id, campaign_id) else None)


async def edit_lock(org_id: int, campaign: Campaign, status: DeclarationStatus
                    ) -> DomainError | None:
    """Why the organisation's form cannot be edited now, or None when it can."""
    return edit_lock_of(status, await window_for(org_id, campaign), now_utc())


def eligibility_error(org: Organization, item: TaskEntry) -> DomainError | None:
    field = "itemNumber"
    if item.is_group:
        return DomainError(Code.ITEM_NOT_ELIGIBLE,
                           f"{item.number} 是任务分组，请填报其下的具体任务", field)
    if item.retired_at is not None:
        return DomainError(Code.ITEM_NOT_ELIGIBLE, f"任务 {item.number} 已停用", field)
    if org.kind is OrgKind.PROVINCE:
        if item.level is not TaskLevel.PROVINCE:
            return DomainError(Code.ITEM_NOT_ELIGIBLE,
                               f"任务 {item.number} 由学校承接，省教育厅不填报", field)
        return None
    if org.kind is not OrgKind.SCHOOL:
        return DomainError(Code.ITEM_NOT_ELIGIBLE, "地市教育局不直接承接任务", field)
    if item.level is TaskLevel.PROVINCE:
        return DomainError(Code.PROVINCIAL_ITEM,
                           f"任务 {item.number} 为省级承接任务，学校不用承接", field)
    if not item.eligible_for(org.school_type):
        return DomainError(Code.ITEM_NOT_ELIGIBLE,
                           f"任务 {item.number} 不面向本校类型", field)
    return None


async def form_and_window(org_id: int, campaign: Campaign) -> Declaration | None:
    """The organisation's stored form, its window's extension read in the same statement:
    the window is kept for window_for, as if it had read it (a save and a submit ask for
    both)."""
    declaration, extension = await fixed_statements.first_pair(
        Declaration, Extension, organization_id=org_id, campaign_id=campaign.id)
    _window_seen.set(((org_id, campaign.id), window_of(campaign, extension, now_utc()),
                      open_transaction()))
    return declaration


def current_status(declaration: Declaration | None) -> DeclarationStatus:
    return declaration.status if declaration else S.NOT_STARTED


async def _claim(org_id: int, campaign_id: int, version: int, at: datetime) -> Declaration:
    return await claim(Declaration, {"organization_id": org_id, "campaign_id": campaign_id},
                       version, updated_at=at)


async def save_rows(actor_id: int, org: Organization, campaign: Campaign, version: int,
                    rows: Sequence[RowInput]) -> Declaration:
    """Apply a batch of rows of the form at once, or nothing at all."""
    existing_decl = await form_and_window(org.id, campaign)
    lock = await edit_lock(org.id, campaign, current_status(existing_decl))
    if lock:
        raise lock
    items = {e.number: e for e in await fixed_statements.among(
        TaskEntry, "number", list({r.item_number.strip() for r in rows}),
        campaign_id=campaign.id)}
    items_read_in = open_transaction()
    current = {u.item_id: u for u in await fixed_statements.among(
        Undertaking, "item_id", [e.id for e in items.values()], organization_id=org.id)}
    errors: list[DomainError] = []
    plan: list[tuple[TaskEntry, RowInput, dict[str, Decimal]]] = []
    seen: set[str] = set()
    for i, row in enumerate(rows):
        path: list[Any] = ["rows", str(i)]
        number = row.item_number.strip()
        item = items.get(number)
        if number in seen:
            errors.append(DomainError(Code.DUPLICATE_ROW, f"任务 {number} 在本次提交中重复",
                                      [*path, "itemNumber"]))
            continue
        seen.add(number)
        if item is None:
            errors.append(DomainError(Code.ITEM_NOT_FOUND, f"任务 {number} 不存在",
                                      [*path, "itemNumber"]))
            continue
        if row.remove:
            plan.append((item, row, {}))
            continue
        problem = eligibility_error(org, item)
        if problem:
            errors.append(DomainError(problem.code, problem.message, [*path, "itemNumber"]))
            continue
        check_quantity(row.quantity, [*path, "quantity"], errors)
        amounts = parse_funding(row.funding, [*path, "funding"], errors)
        plan.append((item, row, amounts))
    if errors:
        raise DomainErrors(errors)

    # The check above answers early; the one that holds is inside the writing transaction.
    async with within_window(lambda: window_for(org.id, campaign)) as at:
        declaration = await _claim(org.id, campaign.id, version, at)
        await _write_rows(declaration, org, plan, current, actor_id, at)
        if not _still_serializable(items_read_in):
            await _recheck_items(org, [item for item, row, _ in plan if not row.remove])
    return declaration


async def _write_rows(declaration: Declaration, org: Organization,
                      plan: list[tuple[TaskEntry, RowInput, dict[str, Decimal]]],
                      current: dict[int, Undertaking], actor_id: int, at: datetime) -> None:
    """The batch as a handful of statements whatever its size: one upsert of the new and
    changed rows, one delete of the removed ones, one insert of their history. Rows are
    written as field values, not built as models (the answer reads them afresh)."""
    upserts: list[dict[str, Any]] = []  # Undertaking rows, stamped with the transaction's time
    removed: list[int] = []
    history: list[dict[str, Any]] = []  # UndertakingChange rows

    def change(item: TaskEntry, action: RowAction, before: dict[str, Any] | None,
               after: dict[str, Any] | None) -> None:
        history.append({"declaration_id": declaration.id, "item_id": item.id,
                        "action": action, "before": before, "after": after,
                        "actor_id": actor_id, "at": at})
        audit.note(f"item {item.number} of {org.code}", before, after)

    def upsert(item: TaskEntry, row: RowInput, amounts: dict[str, Decimal]) -> None:
        upserts.append({"organization_id": org.id, "item_id": item.id,
                        "quantity": row.quantity, **amounts, "withdrawn_at": None,
                        "created_at": at, "updated_at": at})

    for item, row, amounts in plan:
        before = current.get(item.id)
        if row.remove:
            if before is not None:
                removed.append(before.id)
                change(item, RowAction.DELETE, snapshot(before), None)
            continue
        after = snapshot_of(row.quantity, amounts)
        if before is None:
            upsert(item, row, amounts)
            change(item, RowAction.CREATE, None, after)
            continue
        old = snapshot(before)
        # Declared again (inside an extension) after a withdrawal counts as a change too.
        if after != old or before.withdrawn_at is not None:
            upsert(item, row, amounts)
            change(item, RowAction.UPDATE, old, after)
    if removed:
        await Undertaking.filter(id__in=removed).delete()
    # The unique (organisation, item) key finds the existing rows: no select per row. An
    # existing row keeps its created_at (not in the update).
    await insert_fields(Undertaking, upserts, conflict=("organization_id", "item_id"),
                        update=("quantity", *FUNDING_SOURCES, "withdrawn_at", "updated_at"))
    await insert_fields(UndertakingChange, history)


def _still_serializable(read_in: object | None) -> bool:
    """Whether what was read in `read_in` still holds: on SQLite, inside the same
    transaction (models/transaction.py open_transaction); on PostgreSQL, never."""
    return (read_in is not None and open_transaction() is read_in
            and connections.get("default").capabilities.dialect == "sqlite")


async def _recheck_items(org: Organization, items: list[TaskEntry]) -> None:
    """Eligibility once more, after the rows are written, from the items as they are now.

    On PostgreSQL a new row's foreign key holds a share lock on its item until commit, and
    the province's catalog changes lock the item first (catalog_upkeep): whichever comes
    second sees the other's work. Read before the write, a concurrent retirement would slip
    through. On SQLite, items read in the same transaction are as they are now (save_rows
    skips this then).
    """
    fresh = {e.id: e for e in await fixed_statements.among(TaskEntry, "id",
                                                            [i.id for i in items])}
    errors = [DomainError(p.code, p.message, "itemNumber") for p in (
        eligibility_error(org, fresh[i.id]) for i in items) if p is not None]
    if errors:
        raise DomainErrors(errors)


async def missing_mandatory_items(org: Organization, campaign: Campaign) -> list[TaskEntry]:
    """For a school that must undertake every item shown to it: the shown items it lacks
    (other than those the province confirmed it may lack): models/mandatory.py's rule."""
    return await missing_items(org.id, campaign.id)


def _flow(org: Organization, campaign: Campaign) -> Flow[Declaration]:
    async def late_return(actor_id: int, reason: str, at: datetime) -> None:
        window = await window_for(org.id, campaign)
        if window.closes_at is not None and at <= window.closes_at:
            return  # still open: the school corrects it inside its window
        await Extension.update_or_create(
            defaults={"until": at + timedelta(days=campaign.late_return_days),
                      "reason": f"退回修改：{reason}", "granted_by_id": actor_id},
            campaign_id=campaign.id, organization_id=org.id)
        _extension_changed()

    return Flow(Declaration, {"organization_id": org.id, "campaign_id": campaign.id},
                DeclarationEvent, "declaration", lambda: window_for(org.id, campaign),
                lambda: city_review_applies(org, campaign), late_return,
                announce=status_feed.notify, read=lambda: form_and_window(org.id, campaign))


async def submit(actor_id: int, org: Organization, campaign: Campaign,
                 version: int) -> Declaration:
    async def ready() -> None:
        await rule_lock(exclusive=False)
        missing = await missing_mandatory_items(org, campaign)
        if missing:
            numbers = "、".join(e.number for e in missing)
            raise DomainError(Code.MANDATORY_ITEMS_MISSING,
                              f"本校须承接全部显示的任务，尚缺：{numbers}", "rows",
                              missing=[e.number for e in missing])

    return await _flow(org, campaign).submit(actor_id, version, ready)


async def withdraw(actor_id: int, org: Organization, campaign: Campaign,
                   version: int) -> Declaration:
    return await _flow(org, campaign).withdraw(actor_id, version)


async def approve(actor_id: int, org: Organization, campaign: Campaign, version: int | None,
                  remark: str | None = None) -> Declaration:
    return await _flow(org, campaign).approve(actor_id, version, remark)


async def return_(actor_id: int, org: Organization, campaign: Campaign, version: int | None,
                  reason: str) -> Declaration:
    return await _flow(org, campaign).return_(actor_id, version, reason)


async def accept(actor_id: int, org: Organization, campaign: Campaign,
                 version: int | None) -> Declaration:
    return await _flow(org, campaign).accept(actor_id, version)


async def reopen(actor_id: int, org: Organization, campaign: Campaign, version: int | None,
                 reason: str) -> Declaration:
    return await _flow(org, campaign).reopen(actor_id, version, reason)


async def set_window(campaign: Campaign, opens_at: datetime, closes_at: datetime) -> Campaign:
    if closes_at <= opens_at:
        raise DomainError(Code.INVALID_VALUE, "截止时间必须晚于开始时间", "closesAt")
    campaign.declaration_opens_at = opens_at
    campaign.declaration_closes_at = closes_at
    await campaign.save(update_fields=["declaration_opens_at", "declaration_closes_at"])
    return campaign


async def grant_extension(actor_id: int, org: Organization, campaign: Campaign,
                          until: datetime, reason: str | None) -> Extension:
    if until <= now_utc():
        raise DomainError(Code.INVALID_VALUE, "延期截止时间必须晚于当前时间", "until")
    text = (reason or "").strip() or None
    async with write_transaction():
        old = await Extension.get_or_none(campaign_id=campaign.id, organization_id=org.id)
        audit.note(f"extension of {org.code}",
                   {"until": old.until, "reason": old.reason} if old else None,
                   {"until": until, "reason": text})
        extension, _ = await Extension.update_or_create(
            defaults={"until": until, "reason": text, "granted_by_id": actor_id},
            campaign_id=campaign.id, organization_id=org.id)
        _extension_changed()
        await object_history.record(declaration_subject(org.id, campaign.id),
                                    HistoryEvent.EXTENSION_GRANTED, reason=text, until=until)
    return extension


async def revoke_extension(org: Organization, campaign: Campaign) -> None:
    async with write_transaction():
        ended = await Extension.filter(campaign_id=campaign.id,
                                       organization_id=org.id).delete()
        _extension_changed()
        if ended:
            await object_history.record(declaration_subject(org.id, campaign.id),
                                        HistoryEvent.EXTENSION_REVOKED)
