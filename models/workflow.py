"""What declarations and annual reports share: a window with extensions, a status flow
DRAFT -> SUBMITTED -> CITY_APPROVED -> ACCEPTED (RETURNED back to the school from any review
step), and an optimistic version.

The city step (审核通过 by the bureau the school is under) applies when the campaign has it
on and the school sits under a city-level unit; schools directly under the province, and
the province's own declaration, go from SUBMITTED straight to the province.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from tortoise.exceptions import IntegrityError
from tortoise.models import Model

from models import audit, fixed_statements
from models.catalog import Campaign
from models.clock import beijing, now_utc
from models.declaration import DeclarationAction, DeclarationStatus
from models.enums import OrgKind
from models.errors import Code, DomainError
from models.org import Organization
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
            return DomainError(Code.NOT_OPEN_YET, NOT_OPEN)
        if now < self.opens_at:
            return DomainError(Code.NOT_OPEN_YET, NOT_STARTED.format(beijing(self.opens_at)))
        if now > self.closes_at:
            return DomainError(Code.DEADLINE_PASSED, CLOSED.format(beijing(self.closes_at)))
        return None


# The words of the locks, shared with their SQL form (gql/compiled/locks.py); `{}` is a
# time as `beijing()` prints it.
NOT_OPEN = "填报尚未开放"
NOT_STARTED = "填报尚未开始，开始时间为 {}（北京时间）"
CLOSED = "填报已于 {}（北京时间）截止，平台已关闭；如需修改，请联系省教育厅"
STATUS_LOCKS: dict[DeclarationStatus, tuple[str, str]] = {
    S.SUBMITTED: (Code.DECLARATION_SUBMITTED, "已提交，等待审核；如需修改，请先撤回或由上级退回"),
    S.CITY_APPROVED: (Code.DECLARATION_CITY_APPROVED,
                      "地市教育局已审核通过，等待省教育厅确认；如需修改，请联系地市教育局退回修改"),
    S.ACCEPTED: (Code.DECLARATION_ACCEPTED,
                 "已由省教育厅确认，不能再修改；如需修改，请联系省教育厅重新打开"),
}


def status_lock(status: DeclarationStatus) -> DomainError | None:
    found = STATUS_LOCKS.get(status)
    return DomainError(*found) if found else None


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
            return await fixed_statements.insert(model(**keys, version=1, **changes))
        except IntegrityError as exc:
            raise conflict from exc
    # UPDATE ... RETURNING: the row as it now is, in the same statement (SQLite >= 3.35).
    rows = await fixed_statements.update_returning(model, {**keys, "version": version},
                                                   {"version": version + 1, **changes})
    if len(rows) != 1:
        raise conflict
    return rows[0]


STATUS_WORDS = {S.NOT_STARTED: "未填报", S.DRAFT: "草稿", S.SUBMITTED: "已提交",
                S.CITY_APPROVED: "地市审核通过", S.RETURNED: "退回修改", S.ACCEPTED: "已确认"}
ACTION_WORDS = {DeclarationAction.SUBMIT: "提交", DeclarationAction.WITHDRAW: "撤回",
                DeclarationAction.APPROVE: "审核通过", DeclarationAction.RETURN: "退回修改",
                DeclarationAction.ACCEPT: "确认", DeclarationAction.REOPEN: "重新打开"}
# Which statuses each action leaves from, and where it goes. Whether the city step applies
# narrows APPROVE and ACCEPT further (check_transition).
TRANSITIONS: dict[DeclarationAction, tuple[frozenset[DeclarationStatus], DeclarationStatus]] = {
    DeclarationAction.SUBMIT: (frozenset({S.NOT_STARTED, S.DRAFT, S.RETURNED}), S.SUBMITTED),
    DeclarationAction.WITHDRAW: (frozenset({S.SUBMITTED}), S.DRAFT),
    DeclarationAction.APPROVE: (frozenset({S.SUBMITTED}), S.CITY_APPROVED),
    DeclarationAction.RETURN: (frozenset({S.SUBMITTED, S.CITY_APPROVED}), S.RETURNED),
    DeclarationAction.ACCEPT: (frozenset({S.SUBMITTED, S.CITY_APPROVED}), S.ACCEPTED),
    DeclarationAction.REOPEN: (frozenset({S.ACCEPTED}), S.RETURNED),
}
# "Submitted or beyond": what totals count unless asked otherwise (models/oversight.py).
SUBMITTED_OR_BEYOND = frozenset({S.SUBMITTED, S.CITY_APPROVED, S.ACCEPTED})
# The actions of reviewers: they act on what the school sent, so they need no version.
REVIEW_ACTIONS = frozenset({DeclarationAction.APPROVE, DeclarationAction.RETURN,
                            DeclarationAction.ACCEPT, DeclarationAction.REOPEN})


def check_transition(action: DeclarationAction, status: DeclarationStatus, *,
                     city_review: bool = False) -> DeclarationStatus:
    """The status the action leads to, or why not (INVALID_TRANSITION, or the city step)."""
    allowed, to = TRANSITIONS[action]
    if status not in allowed:
        raise DomainError(Code.INVALID_TRANSITION,
                          f"当前状态为“{STATUS_WORDS[status]}”，不能{ACTION_WORDS[action]}")
    if action is DeclarationAction.APPROVE and not city_review:
        raise DomainError(Code.CITY_REVIEW_NOT_APPLICABLE,
                          "该单位无需地市审核，由省教育厅直接确认")
    if action is DeclarationAction.ACCEPT and city_review and status is S.SUBMITTED:
        raise DomainError(Code.CITY_REVIEW_PENDING,
                          "须先由所在地市教育局审核通过，省教育厅才能确认")
    return to


async def city_review_applies(org: Organization, campaign: Campaign) -> bool:
    """Whether the organisation's forms go through its city bureau: the campaign has the
    city step on, and the organisation is a school under a city-level unit."""
    if not campaign.city_review or org.kind is not OrgKind.SCHOOL or org.parent_id is None:
        return False
    parent = fixed_statements.read_with(org, "parent")  # (visible_organization reads it)
    if isinstance(parent, Organization):
        return parent.kind is OrgKind.CITY
    return await fixed_statements.exists(Organization, id=org.parent_id, kind=OrgKind.CITY)


def return_reason(reason: str, label: str = "退回") -> str:
    reason = reason.strip()
    if not reason:
        raise DomainError(Code.REASON_REQUIRED, f"请填写{label}原因", "reason")
    if len(reason) > 1000:
        raise DomainError(Code.INVALID_VALUE, f"{label}原因不能超过1000字", "reason")
    return reason


def next_step(status: DeclarationStatus, window: Window, now: datetime) -> str:
    """What the organisation is to do now, in the words it sees beside its form (its SQL form:
    gql/compiled/locks.py)."""
    closes = f"{beijing(window.closes_at)}（北京时间）" if window.closes_at else ""
    closed = window.lock(now) is not None
    if status in NEXT_STEP_WAITING:
        return NEXT_STEP_WAITING[status]
    if closed:
        return NEXT_STEP_CLOSED
    if status is S.RETURNED:
        return NEXT_STEP_RETURNED.format(closes)
    return NEXT_STEP_OPEN.format(closes)


NEXT_STEP_WAITING = {
    S.ACCEPTED: "已确认；如需修改，请联系省教育厅重新打开（截止后也可对单项提出变更申请）",
    S.CITY_APPROVED: "地市教育局已审核通过，等待省教育厅确认",
    S.SUBMITTED: "已提交，等待审核；审核前如需修改，可在截止前撤回",
}
NEXT_STEP_CLOSED = "填报已截止；如需修改，请联系省教育厅申请延期"
NEXT_STEP_RETURNED = "已退回修改：请按退回原因修改，并于 {} 前重新提交"
NEXT_STEP_OPEN = "请于 {} 前填写并提交"


@dataclass(frozen=True)
class Flow(Generic[M]):
    """One form's status flow: `model` keyed by `keys`, its journal `event` (pointing at the
    form through `event_fk`), the window the form's organisation works in, and whether its
    city bureau reviews it."""

    model: type[M]
    keys: dict[str, Any]
    event: type[Model]
    event_fk: str
    window: Callable[[], Awaitable[Window]]
    city_review: Callable[[], Awaitable[bool]]
    # Called inside the transaction of a return or reopening, with (actor, reason, time):
    # past the deadline it grants the organisation the campaign's late-return extension.
    late_return: Callable[[int, str, datetime], Awaitable[None]]
    # Called inside the transaction with the journal row's id: tells other processes at the
    # commit (models/status_feed.py). Declarations have live dashboards; reports not yet.
    announce: Callable[[int], Awaitable[None]] | None = None
    # How the stored form is read (None: by its keys). A declaration reads its window's
    # extension in the same statement (models/declarations.py, form_and_window).
    read: Callable[[], Awaitable[M | None]] | None = None

    async def current(self) -> tuple[DeclarationStatus, int]:
        """The stored status and version (NOT_STARTED and 0 before anything is saved)."""
        row = await (self.read() if self.read is not None else
                     fixed_statements.first(self.model, **self.keys))
        if row is None:
            return S.NOT_STARTED, 0
        return row.status, row.version  # type: ignore[attr-defined]

    async def status(self) -> DeclarationStatus:
        return (await self.current())[0]

    async def checked(self, action: DeclarationAction, *, check_window: bool = True,
                      version: int | None = None) -> tuple[DeclarationStatus, int, bool]:
        """The current status and version, and whether the city step applies, once the window
        (first: it is what closes everything) and the status flow allow `action`. A caller's
        `version` that is no longer current is a CONFLICT before the flow is judged: the form
        moved since it was read, whether the other change committed just before (a mutation
        runs in one transaction with its operation-log record, so it reads committed state)
        or lands in between (the conditional update refuses it)."""
        status, current = await self.current()
        if check_window:
            lock = (await self.window()).lock(now_utc())
            if lock:
                raise lock
        if version is not None and version != current:
            raise DomainError(Code.CONFLICT, CONFLICT_MESSAGE, "version")
        version = current
        city = await self.city_review()
        check_transition(action, status, city_review=city)
        return status, version, city

    async def apply(self, actor_id: int, version: int, action: DeclarationAction,
                    status: DeclarationStatus, reason: str | None = None, *,
                    check_window: bool = True, stamp: tuple[str, ...] = (),
                    city_review: bool = False, reopens: bool = False, **changes: Any) -> M:
        """Move the form and journal the move in one transaction; `stamp` names the form's
        time fields set to the transaction's time (submitted_at, ...). `reopens`: the form
        goes back to the school, with an extension if its deadline has passed."""
        to = check_transition(action, status, city_review=city_review)
        async with self._transaction(check_window) as at:
            times = {name: at for name in ("updated_at", *stamp)}
            claimed = await claim(self.model, self.keys, version, status=to, **times,
                                  **changes)
            fields: dict[str, Any] = {self.event_fk: claimed}
            event = await fixed_statements.insert(self.event(
                **fields, action=action, from_status=status, to_status=to, reason=reason,
                actor_id=actor_id, at=at))
            audit.note(f"{self.model.__name__} {self.keys}",
                       {"status": status, "version": version},
                       {"status": to, "version": version + 1})
            if self.announce is not None:
                await self.announce(event.pk)
            if reopens:
                await self.late_return(actor_id, reason or "", at)
        return claimed

    def _transaction(self, check_window: bool) -> AbstractAsyncContextManager[datetime]:
        return within_window(self.window) if check_window else write_transaction()

    async def review(self, actor_id: int, version: int | None, action: DeclarationAction, *,
                     check_window: bool = False, reason: str | None = None,
                     stamp: tuple[str, ...] = (), **changes: Any) -> M:
        """A reviewer's action. Without a version it acts on the form as it stands: the
        conditional update still refuses it if the form moves in between."""
        status, current, city = await self.checked(action, check_window=check_window,
                                                   version=version)
        return await self.apply(actor_id, current if version is None else version, action,
                                status, reason, check_window=check_window, stamp=stamp,
                                city_review=city, **changes)

    async def submit(self, actor_id: int, version: int,
                     ready: Callable[[], Awaitable[None]]) -> M:
        """`ready` raises what still keeps the form from being submitted. A new submission
        clears the last return's reason (it stays in the history)."""
        status, _, city = await self.checked(DeclarationAction.SUBMIT, version=version)
        await ready()
        return await self.apply(actor_id, version, DeclarationAction.SUBMIT, status,
                                stamp=("submitted_at",), city_review=city, return_reason=None)

    async def withdraw(self, actor_id: int, version: int) -> M:
        status, _, city = await self.checked(DeclarationAction.WITHDRAW, version=version)
        return await self.apply(actor_id, version, DeclarationAction.WITHDRAW, status,
                                city_review=city)

    async def approve(self, actor_id: int, version: int | None, remark: str | None) -> M:
        """The city bureau's 审核通过; allowed after the deadline (review goes on)."""
        text = (remark or "").strip() or None
        if text and len(text) > 1000:
            raise DomainError(Code.INVALID_VALUE, "审核意见不能超过1000字", "remark")
        return await self.review(actor_id, version, DeclarationAction.APPROVE, reason=text,
                                 stamp=("city_approved_at",))

    async def return_(self, actor_id: int, version: int | None, reason: str) -> M:
        """Back for correction (退回修改), with a reason; editing reopens. After the deadline
        too: the school then gets the campaign's late-return extension to correct it."""
        text = return_reason(reason)
        return await self.review(actor_id, version, DeclarationAction.RETURN, reason=text,
                                 stamp=("returned_at",), return_reason=text, reopens=True)

    async def reopen(self, actor_id: int, version: int | None, reason: str) -> M:
        """The province sends an accepted form back (before or after the deadline), with a
        reason; like a return, past the deadline it comes with an extension."""
        text = return_reason(reason, label="重新打开")
        return await self.review(actor_id, version, DeclarationAction.REOPEN, reason=text,
                                 stamp=("returned_at",), return_reason=text, reopens=True)

    async def accept(self, actor_id: int, version: int | None) -> M:
        """The province's acceptance freezes the form; allowed after the deadline too."""
        return await self.review(actor_id, version, DeclarationAction.ACCEPT,
                                 stamp=("accepted_at",))
