"""What declarations and annual reports share: a window with extensions, a status flow
DRAFT -> SUBMITTED -> RETURNED/ACCEPTED, and an optimistic version.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from tortoise.exceptions import IntegrityError
from tortoise.models import Model

from models.clock import beijing, now_utc
from models.declaration import DeclarationAction, DeclarationStatus
from models.errors import Code, DomainError
from models.transaction import write_transaction

S = DeclarationStatus
M = TypeVar("M", bound=Model)


@dataclass(frozen=True)
class Window:
    opens_at: datetime | None
    closes_at: datetime | None  # the deadline, or the organisation's extension if later
    extension_until: datetime | None

    @classmethod
    def of(cls, opens_at: datetime | None, closes_at: datetime | None,
           extension_until: datetime | None, now: datetime) -> Window:
        """An extension counts only while it runs."""
        until = extension_until if extension_until and extension_until > now else None
        closes = max(closes_at, until) if (until and closes_at) else (until or closes_at)
        return cls(opens_at, closes, until)

    def lock(self, now: datetime) -> DomainError | None:
        if self.opens_at is None or self.closes_at is None:
            return DomainError(Code.NOT_OPEN_YET, "填报尚未开放")
        if now < self.opens_at:
            return DomainError(Code.NOT_OPEN_YET,
                               f"填报尚未开始，开始时间为 {beijing(self.opens_at)}（北京时间）")
        if now > self.closes_at:
            return DomainError(Code.DEADLINE_PASSED,
                               f"填报已于 {beijing(self.closes_at)}（北京时间）截止，平台已关闭")
        return None


def status_lock(status: DeclarationStatus) -> DomainError | None:
    if status is S.SUBMITTED:
        return DomainError(Code.DECLARATION_SUBMITTED,
                           "已提交，等待审核；如需修改，请先撤回或由上级退回")
    if status is S.ACCEPTED:
        return DomainError(Code.DECLARATION_ACCEPTED, "已由省教育厅确认，不能再修改")
    return None


def edit_lock_of(status: DeclarationStatus, window: Window, now: datetime
                 ) -> DomainError | None:
    """Why a form cannot be edited now. Acceptance is final; then the window, which closes
    everything at once; then a submission waiting for review."""
    if status is S.ACCEPTED:
        return status_lock(status)
    return window.lock(now) or status_lock(status)


@asynccontextmanager
async def within_window(window: Callable[[], Awaitable[Window]]) -> AsyncIterator[datetime]:
    """A writing transaction that holds only inside the window; yields the time to stamp
    rows and history with.

    The window is read and checked inside the transaction, at its time, and once more just
    before the commit: a write that waited for a lock (another writer, a busy database)
    until after the deadline raises DEADLINE_PASSED and keeps nothing. Every time the
    transaction stores lies between the two checks, so none is after the close unless an
    extension covered it.
    """
    async with write_transaction() as at:
        current = await window()
        lock = current.lock(at)
        if lock:
            raise lock
        yield at
        lock = current.lock(now_utc())
        if lock:
            raise lock


CONFLICT_MESSAGE = "已被他人修改，请刷新后重试（您的修改未保存）"


async def claim(model: type[M], keys: dict[str, Any], version: int, **changes: Any) -> M:
    """Take the row at `version` and move it to version + 1, or fail with CONFLICT.

    The conditional UPDATE is the lock: of two clerks saving at once, the second finds the
    version already moved and writes nothing. Version 0 means "nothing saved yet": the row
    is created, and of two creators the unique key refuses the second.
    """
    conflict = DomainError(Code.CONFLICT, CONFLICT_MESSAGE, "version")
    if version == 0:
        try:
            return await model.create(**keys, version=1, **changes)
        except IntegrityError as exc:
            raise conflict from exc
    updated = await model.filter(**keys, version=version).update(version=version + 1,
                                                                 **changes)
    if updated != 1:
        raise conflict
    return await model.get(**keys)


STATUS_WORDS = {S.NOT_STARTED: "尚未填报", S.DRAFT: "草稿", S.SUBMITTED: "已提交",
                S.RETURNED: "已退回", S.ACCEPTED: "已确认"}
ACTION_WORDS = {DeclarationAction.SUBMIT: "提交", DeclarationAction.WITHDRAW: "撤回",
                DeclarationAction.RETURN: "退回", DeclarationAction.ACCEPT: "确认"}
# Which statuses each action leaves from, and where it goes.
TRANSITIONS: dict[DeclarationAction, tuple[frozenset[DeclarationStatus], DeclarationStatus]] = {
    DeclarationAction.SUBMIT: (frozenset({S.NOT_STARTED, S.DRAFT, S.RETURNED}), S.SUBMITTED),
    DeclarationAction.WITHDRAW: (frozenset({S.SUBMITTED}), S.DRAFT),
    DeclarationAction.RETURN: (frozenset({S.SUBMITTED}), S.RETURNED),
    DeclarationAction.ACCEPT: (frozenset({S.SUBMITTED}), S.ACCEPTED),
}


def check_transition(action: DeclarationAction, status: DeclarationStatus) -> DeclarationStatus:
    """The status the action leads to, or INVALID_TRANSITION saying why not."""
    allowed, to = TRANSITIONS[action]
    if status not in allowed:
        raise DomainError(Code.INVALID_TRANSITION,
                          f"当前状态为“{STATUS_WORDS[status]}”，不能{ACTION_WORDS[action]}")
    return to


def return_reason(reason: str) -> str:
    reason = reason.strip()
    if not reason:
        raise DomainError(Code.REASON_REQUIRED, "请填写退回原因", "reason")
    if len(reason) > 1000:
        raise DomainError(Code.INVALID_VALUE, "退回原因不能超过1000字", "reason")
    return reason


@dataclass(frozen=True)
class Flow(Generic[M]):
    """One form's status flow: `model` keyed by `keys`, its journal `event` (pointing at the
    form through `event_fk`), and the window the form's organisation works in."""

    model: type[M]
    keys: dict[str, Any]
    event: type[Model]
    event_fk: str
    window: Callable[[], Awaitable[Window]]

    async def status(self) -> DeclarationStatus:
        row = await self.model.get_or_none(**self.keys)
        return row.status if row else S.NOT_STARTED  # type: ignore[attr-defined]

    async def checked(self, action: DeclarationAction, *, check_window: bool = True
                      ) -> DeclarationStatus:
        """The current status, once the window (first: it is what closes everything) and the
        status flow allow `action`."""
        status = await self.status()
        if check_window:
            lock = (await self.window()).lock(now_utc())
            if lock:
                raise lock
        check_transition(action, status)
        return status

    async def apply(self, actor_id: int, version: int, action: DeclarationAction,
                    status: DeclarationStatus, reason: str | None = None, *,
                    check_window: bool = True, stamp: tuple[str, ...] = (),
                    **changes: Any) -> M:
        """Move the form and journal the move in one transaction; `stamp` names the form's
        time fields set to the transaction's time (submitted_at, ...)."""
        to = check_transition(action, status)
        async with self._transaction(check_window) as at:
            times = {name: at for name in ("updated_at", *stamp)}
            claimed = await claim(self.model, self.keys, version, status=to, **times,
                                  **changes)
            fields: dict[str, Any] = {self.event_fk: claimed}
            await self.event.create(**fields, action=action, from_status=status, to_status=to,
                                    reason=reason, actor_id=actor_id, at=at)
        return claimed

    def _transaction(self, check_window: bool) -> AbstractAsyncContextManager[datetime]:
        return within_window(self.window) if check_window else write_transaction()

    async def submit(self, actor_id: int, version: int,
                     ready: Callable[[], Awaitable[None]]) -> M:
        """`ready` raises what still keeps the form from being submitted."""
        status = await self.checked(DeclarationAction.SUBMIT)
        await ready()
        return await self.apply(actor_id, version, DeclarationAction.SUBMIT, status,
                                stamp=("submitted_at",))

    async def withdraw(self, actor_id: int, version: int) -> M:
        status = await self.checked(DeclarationAction.WITHDRAW)
        return await self.apply(actor_id, version, DeclarationAction.WITHDRAW, status)

    async def return_(self, actor_id: int, version: int, reason: str) -> M:
        """Back for correction, with a reason; editing reopens (inside the window)."""
        status = await self.checked(DeclarationAction.RETURN)
        text = return_reason(reason)
        return await self.apply(actor_id, version, DeclarationAction.RETURN, status,
                                reason=text, stamp=("returned_at",), return_reason=text)

    async def accept(self, actor_id: int, version: int) -> M:
        """The province's acceptance freezes the form; allowed after the deadline too."""
        status = await self.checked(DeclarationAction.ACCEPT, check_window=False)
        return await self.apply(actor_id, version, DeclarationAction.ACCEPT, status,
                                check_window=False, stamp=("accepted_at",))
