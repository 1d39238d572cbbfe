"""Checking the operation log's chain, and purging its oldest records (at least 180 days old).

`verify` walks the records in chain order and names the first that does not hold: its
position is not the next one (a record removed or moved), it does not point at the hash of
the record before it, or its own hash does not match its content (a record edited). The
head row must name the last record (records removed from the end).

A purge removes a prefix of the chain and appends an anchor record that says where the
chain now starts (position and the predecessor hash of the first kept record): the anchor
is chained and hashed like any record, so removing more than the purge did shows.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from models.audit import (
    GENESIS,
    AuditHead,
    AuditRecord,
    Entry,
    Kind,
    append,
    chain_hash,
    content,
)
from models.clock import now_utc
from models.errors import Code, DomainError
from models.transaction import write_transaction

RETENTION = timedelta(days=180)  # 网络安全法 Art. 21: at least six months
PURGE = "audit.purge"
BATCH = 1000


@dataclass(frozen=True)
class Verdict:
    ok: bool
    checked: int
    message: str
    broken_seq: int | None = None
    broken_id: int | None = None


def _broken(record: AuditRecord, checked: int, why: str) -> Verdict:
    return Verdict(False, checked, f"第 {record.seq} 条记录（id {record.id}）{why}",
                   record.seq, record.id)


async def _start(first: AuditRecord) -> tuple[int, str] | str:
    """Where the chain must start: position 1 after the genesis hash, or where the last
    purge's anchor says. A string says why the start does not hold."""
    if first.seq == 1:
        return 1, GENESIS
    anchor = await AuditRecord.filter(operation=PURGE).order_by("-seq").first()
    if anchor is None:
        return "之前的记录被删除（没有清理记录）"
    said = json.loads(anchor.detail)
    if said.get("first_kept_seq") != first.seq:
        return f"之前的记录被删除（最近一次清理保留自第 {said.get('first_kept_seq')} 条）"
    return first.seq, str(said.get("first_kept_prev_hash"))


class _Walk:
    """The chain walked in order from its start, one batch of records at a time."""

    def __init__(self) -> None:
        self.expected_seq, self.expected_prev = 0, GENESIS
        self.checked = 0
        self.last: AuditRecord | None = None

    async def on(self, up_to: int | None = None) -> Verdict | None:
        """Walk the records after the last one walked (to `up_to` when given); a Verdict
        names the first that does not hold."""
        while True:
            after = self.last.seq if self.last else -1
            query = AuditRecord.filter(seq__gt=after)
            if up_to is not None:
                query = query.filter(seq__lte=up_to)
            batch = await query.order_by("seq").limit(BATCH)
            if not batch:
                return None
            for record in batch:
                if (broken := await self._check(record)) is not None:
                    return broken

    async def _check(self, record: AuditRecord) -> Verdict | None:
        if self.last is None:
            start = await _start(record)
            if isinstance(start, str):
                return _broken(record, self.checked, start)
            self.expected_seq, self.expected_prev = start
        if record.seq != self.expected_seq:
            return _broken(record, self.checked, f"不是应有的第 {self.expected_seq} 条"
                           "（其前的记录被删除或顺序被改动）")
        if record.prev_hash != self.expected_prev:
            return _broken(record, self.checked,
                           "与前一条记录的哈希不衔接（记录被删除、插入或调换）")
        if chain_hash(record.prev_hash, content(record)) != record.hash:
            return _broken(record, self.checked, "的内容与其哈希不符（记录被改动）")
        self.checked += 1
        self.expected_seq, self.expected_prev = record.seq + 1, record.hash
        self.last = record
        return None


async def verify() -> Verdict:
    """Walk the whole chain (in batches), stopping at the first record that does not hold;
    then the head must name the last record.

    The head is read after the walk, not before: a server running meanwhile appends, and a
    head read first would be behind the records read after it (a false alarm). A record and
    its head commit together, so a head read later is never behind a record seen earlier
    (one that is, was moved back); when it is ahead, the records appended meanwhile, up to
    the head's, are walked too. Those appended after the head was read are the next run's."""
    walk = _Walk()
    if (broken := await walk.on()) is not None:
        return broken
    head = await AuditHead.get_or_none(id=1)
    if head is not None and (walk.last is None or head.seq > walk.last.seq):
        if (broken := await walk.on(up_to=head.seq)) is not None:
            return broken
    last, checked = walk.last, walk.checked
    if head is None and last is None:
        return Verdict(True, 0, "操作日志为空")
    if head is None or last is None or (head.seq, head.hash) != (last.seq, last.hash):
        said = f"第 {head.seq} 条" if head else "没有记录"
        seen = f"第 {last.seq} 条" if last else "没有记录"
        return Verdict(False, checked, f"链头记录为{said}，实际最后一条为{seen}"
                       "（末尾的记录被删除或链头被改动）", head.seq if head else None)
    return Verdict(True, checked, f"已校验 {checked} 条记录，哈希链完整；"
                   f"最后一条：第 {last.seq} 条，哈希 {last.hash}")


def purge_limit(now: datetime) -> datetime:
    return now - RETENTION


async def purge(before: datetime, *, now: datetime | None = None) -> tuple[int, AuditRecord]:
    """Remove the records older than `before` (which must be at least 180 days ago) as a
    prefix of the chain, and append the anchor. Returns how many went and the anchor."""
    now = now or now_utc()
    before = before.astimezone(UTC)  # SQLite compares the stored UTC text
    if before > purge_limit(now):
        raise DomainError(Code.INVALID_VALUE,
                          f"操作日志至少保留{RETENTION.days}天：只能清理"
                          f"{purge_limit(now).date().isoformat()}之前的记录", "before")
    async with write_transaction():
        # The prefix ends at the first record at or after `before`: records are chained in
        # the order they committed, which a concurrent writer's clock need not follow.
        first_young = await AuditRecord.filter(at__gte=before).order_by("seq").first()
        doomed = AuditRecord.filter(seq__lt=first_young.seq) if first_young else \
            AuditRecord.all()
        count = await doomed.count()
        await doomed.delete()
        head = await AuditHead.get_or_none(id=1)
        kept_seq = first_young.seq if first_young else (head.seq + 1 if head else 1)
        kept_prev = first_young.prev_hash if first_young else (head.hash if head else GENESIS)
        anchor = await append(Entry(
            kind=Kind.SYSTEM, operation=PURGE, username="taskplatform",
            detail={"before": before, "deleted": count, "first_kept_seq": kept_seq,
                    "first_kept_prev_hash": kept_prev}))
    return count, anchor
