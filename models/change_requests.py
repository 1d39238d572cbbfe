"""After the deadline an accepted undertaking changes only through a request the province
approves; the approval applies it and the declaration's history keeps before and after."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from tortoise.transactions import in_transaction

from models.amounts import check_quantity, parse_funding, snapshot
from models.catalog import Campaign, TaskEntry
from models.clock import now_utc
from models.declaration import Declaration, DeclarationStatus, RowAction, UndertakingChange
from models.declarations import window_for
from models.errors import Code, DomainError, DomainErrors
from models.mandatory import BreakSource, Confirm, breaks_if_withdrawn, hold
from models.performance import ChangeKind, ChangeRequest, RequestStatus
from models.undertaking import Undertaking


async def request(actor_id: int, undertaking: Undertaking, kind: ChangeKind,
                  quantity: int | None, funding: Mapping[str, Decimal] | None,
                  reason: str) -> ChangeRequest:
    item = await TaskEntry.get(id=undertaking.item_id)
    campaign = await Campaign.get(id=item.campaign_id)
    window = await window_for(undertaking.organization_id, campaign)
    if window.closes_at is None or now_utc() <= window.closes_at:
        raise DomainError(Code.NOT_AFTER_DEADLINE,
                          "填报截止前无需变更申请：未确认的申报请直接修改；已确认的申报请联系"
                          "省教育厅重新打开后修改")
    accepted = await Declaration.exists(organization_id=undertaking.organization_id,
                                        campaign_id=campaign.id,
                                        status=DeclarationStatus.ACCEPTED)
    if not accepted or undertaking.withdrawn_at is not None:
        raise DomainError(Code.INVALID_TRANSITION, "只能对已确认的承接任务提出变更申请",
                          "undertakingId")
    if not reason.strip():
        raise DomainError(Code.REASON_REQUIRED, "请填写变更原因", "reason")
    proposed = None
    if kind is ChangeKind.CHANGE:
        errors: list[DomainError] = []
        check_quantity(quantity, ["quantity"], errors)
        amounts = parse_funding(funding, ["funding"], errors)
        if errors:
            raise DomainErrors(errors)
        proposed = {"quantity": quantity, **{k: str(v) for k, v in amounts.items()}}
    async with in_transaction():
        # One pending request per undertaking: the undertaking's row lock (PostgreSQL;
        # SQLite runs one transaction at a time) makes requests sent at once queue here.
        await Undertaking.filter(id=undertaking.id).select_for_update().get()
        if await ChangeRequest.exists(undertaking_id=undertaking.id,
                                      status=RequestStatus.PENDING):
            raise DomainError(Code.REQUEST_PENDING, "该任务已有待审核的变更申请",
                              "undertakingId")
        return await ChangeRequest.create(undertaking_id=undertaking.id, kind=kind,
                                          proposed=proposed, reason=reason.strip(),
                                          requested_by_id=actor_id)


async def decide(actor_id: int, change: ChangeRequest, approve: bool,
                 reason: str | None, confirm_reason: str | None = None) -> ChangeRequest:
    if change.status is not RequestStatus.PENDING:
        raise DomainError(Code.REQUEST_DECIDED, "该申请已处理", "id")
    if not approve and not (reason or "").strip():
        raise DomainError(Code.REASON_REQUIRED, "驳回时请填写原因", "reason")
    async with in_transaction():
        # Only one decision wins, even with two reviewers at once.
        decided = await ChangeRequest.filter(id=change.id, status=RequestStatus.PENDING).update(
            status=RequestStatus.APPROVED if approve else RequestStatus.REJECTED,
            decided_by_id=actor_id, decided_at=now_utc(),
            decision_reason=(reason or "").strip() or None)
        if not decided:
            raise DomainError(Code.REQUEST_DECIDED, "该申请已处理", "id")
        if approve:
            await _apply(actor_id, change, confirm_reason)
    await change.refresh_from_db()
    return change


async def _apply(actor_id: int, change: ChangeRequest, confirm_reason: str | None) -> None:
    undertaking = await Undertaking.get(id=change.undertaking_id).select_related("item")
    if undertaking.withdrawn_at is not None:
        raise DomainError(Code.INVALID_TRANSITION, "该承接任务已撤销，不能再变更", "id")
    declaration = await Declaration.get(organization_id=undertaking.organization_id,
                                        campaign_id=undertaking.item.campaign_id)
    before = snapshot(undertaking)
    if change.kind is ChangeKind.WITHDRAW:
        # A must-undertake-all school gives an item up only when the province confirms why.
        await hold(await breaks_if_withdrawn(undertaking, undertaking.item),
                   Confirm(actor_id, confirm_reason), BreakSource.CHANGE_REQUEST)
        undertaking.withdrawn_at = now_utc()
        await undertaking.save(update_fields=["withdrawn_at"])
        after = None
        action = RowAction.DELETE
    else:
        proposed = change.proposed or {}
        undertaking.quantity = int(proposed["quantity"])
        for source, value in proposed.items():
            if source != "quantity":
                setattr(undertaking, source, Decimal(value))
        await undertaking.save()
        after = snapshot(undertaking)
        action = RowAction.UPDATE
    await UndertakingChange.create(declaration=declaration, item_id=undertaking.item_id,
                                   action=action, before=before, after=after,
                                   actor_id=actor_id)
