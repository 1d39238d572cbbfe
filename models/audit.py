"""The operation log (操作日志): one record per mutation, login, export and download, each
chained to the one before by SHA-256, so that a changed, removed or reordered record shows.

A record is appended inside the transaction of the change it records (the caller's; nested
transactions are savepoints), so a change and its record are kept or lost together. The
chain has one head row (`audit_chain_head`): the last record's position and hash. Writers
take turns on it: on SQLite the write lock (write_transaction's BEGIN IMMEDIATE) already
serialises every writer, on PostgreSQL a transaction-scoped advisory lock is taken before
the head is read, so two writers can never chain to the same predecessor. The head also
makes a removed tail visible (models/audit_chain.py verifies).

Never holds a password, token or one-time password: the callers pass arguments through
`redacted()`.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from tortoise import connections, fields
from tortoise.models import Model

from models import fixed_statements
from models.clock import now_utc
from models.transaction import within_transaction

GENESIS = "0" * 64
# pg_advisory_xact_lock's key for the chain: any constant no other lock of ours uses.
CHAIN_LOCK_KEY = 812_012
MAX_DETAIL = 20_000  # characters of arguments kept; a larger batch keeps its targets only
OK = "OK"
PARTIAL = "PARTIAL"  # a batch where some items were refused


class Kind:
    MUTATION = "mutation"
    LOGIN = "login"
    EXPORT = "export"
    DOWNLOAD = "download"
    SYSTEM = "system"  # the command line: accounts made at set-up, purges


class AuditRecord(Model):
    """One entry of the operation log: never updated, deleted only by a purge."""

    id = fields.IntField(primary_key=True)
    seq = fields.IntField(unique=True)
    at = fields.DatetimeField()
    kind = fields.CharField(max_length=16)
    operation = fields.CharField(max_length=64, db_index=True)
    outcome = fields.CharField(max_length=40)
    # Plain values, no foreign keys: a record outlives accounts and organisations.
    user_id = fields.IntField(null=True)
    username = fields.CharField(max_length=64, default="", db_index=True)
    role = fields.CharField(max_length=24, null=True)
    organization_id = fields.IntField(null=True)
    organization_code = fields.CharField(max_length=20, null=True, db_index=True)
    client_address = fields.CharField(max_length=64, null=True)
    # Canonical JSON text, hashed as stored: {"organizationCode": "4101..."}.
    targets = fields.TextField(default="{}")
    # Canonical JSON text: the arguments (redacted) and the changes (before/after).
    detail = fields.TextField(default="{}")
    prev_hash = fields.CharField(max_length=64)
    hash = fields.CharField(max_length=64)

    class Meta:
        table = "audit_record"
        indexes = (("at", "seq"),)


class AuditHead(Model):
    """The chain's last position and hash (one row, id 1)."""

    id = fields.IntField(primary_key=True)
    seq = fields.IntField()
    hash = fields.CharField(max_length=64)

    class Meta:
        table = "audit_chain_head"


@dataclass
class Entry:
    """What a caller knows about one operation; the chain adds position, time and hashes."""

    kind: str
    operation: str
    outcome: str = OK
    user_id: int | None = None
    username: str = ""
    role: str | None = None
    organization_id: int | None = None
    organization_code: str | None = None
    client_address: str | None = None
    targets: dict[str, Any] = field(default_factory=dict)
    detail: dict[str, Any] = field(default_factory=dict)


# -- what a domain operation tells the log about its change -------------------------------

_changes: ContextVar[list[dict[str, Any]] | None] = ContextVar("audit_changes", default=None)
_actor: ContextVar[int | None] = ContextVar("audit_actor", default=None)


def collect(actor_id: int | None = None) -> list[dict[str, Any]]:
    """Start collecting the changes of the operation running in this context, done by
    `actor_id` (the object histories name it: models/object_history.py)."""
    found: list[dict[str, Any]] = []
    _changes.set(found)
    _actor.set(actor_id)
    return found


def acting() -> int | None:
    """The user of the operation running in this context (None: the command line)."""
    return _actor.get()


def note(target: str, before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> None:
    """A domain operation's before/after values of one object, for the operation's record.
    Outside a recorded operation (seeding, imports in tests) this does nothing."""
    found = _changes.get()
    if found is not None:
        found.append({"target": target, "before": dict(before) if before else None,
                      "after": dict(after) if after else None})


# -- canonical form and hash -------------------------------------------------------------

SECRET_WORDS = ("password", "token", "secret")


@functools.lru_cache(maxsize=1024)  # argument names: a schema's few, asked per row of input
def _secret(name: str) -> bool:
    return any(w in name.lower() for w in SECRET_WORDS)


def redacted(value: Any) -> Any:
    """Arguments as JSON values, without anything named like a secret (password, token)."""
    # Plain values and dicts first: an isinstance check against the Mapping ABC costs ten
    # times one against a concrete type, and a form's save sends hundreds of values.
    if value is None or type(value) in _PLAIN:
        return value
    if isinstance(value, dict | Mapping):
        return {str(k): "<redacted>" if _secret(str(k)) else redacted(v)
                for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redacted(v) for v in value]
    return plain(value)


_PLAIN = frozenset({str, int, bool})


def plain(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, Decimal | float):
        return str(value)
    if isinstance(value, Enum):
        return plain(value.value)
    if isinstance(value, datetime):
        return stamp(value)
    if isinstance(value, date):
        return value.isoformat()
    filename = getattr(value, "filename", None)  # an upload: its name, never its bytes
    if filename is not None:
        return {"filename": str(filename)}
    return str(value)


def canonical(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def stamp(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def content(r: AuditRecord) -> str:
    """The canonical text of a record, as hashed: every column but the id and the hash."""
    return canonical({
        "seq": r.seq, "at": stamp(r.at), "kind": r.kind, "operation": r.operation,
        "outcome": r.outcome, "user_id": r.user_id, "username": r.username, "role": r.role,
        "organization_id": r.organization_id, "organization_code": r.organization_code,
        "client_address": r.client_address, "targets": r.targets, "detail": r.detail,
        "prev_hash": r.prev_hash,
    })


def chain_hash(prev_hash: str, text: str) -> str:
    return hashlib.sha256((prev_hash + text).encode()).hexdigest()


def _detail_text(detail: dict[str, Any]) -> str:
    """The detail as stored: what is too long goes first the arguments (the targets are
    kept apart), then the changes, each replaced by its size."""
    shown = redacted(detail)
    text = canonical(shown)
    for part in ("arguments", "changes"):
        if len(text) <= MAX_DETAIL:
            break
        if part in shown:
            shown[part] = {"truncated": True, "characters": len(canonical(shown[part]))}
            text = canonical(shown)
    return text


# -- appending ---------------------------------------------------------------------------

# The chain's lock, as a condition of the head's UPDATE: an uncorrelated subquery is
# planned as a one-time filter, evaluated before the table is scanned, so the lock is held
# before the head's row is locked (and whether or not the row still matches); void is not
# NULL, so the condition is true. One round trip a record where the lock was one more.
_LOCK = f"SELECT pg_advisory_xact_lock({CHAIN_LOCK_KEY})"
_LOCKED = f"({_LOCK}) IS NOT NULL"

# (seq, hash) of the head as this process last wrote it: a guess, checked by the UPDATE.
_last_head: tuple[int, str] | None = None


def _remember_head(head: tuple[int, str] | None) -> None:
    global _last_head
    _last_head = head


def _record(entry: Entry, head: tuple[int, str] | None) -> AuditRecord:
    """The record chained after `head` (None: the first), its hash made."""
    record = AuditRecord(
        seq=head[0] + 1 if head else 1, at=now_utc(), kind=entry.kind,
        operation=entry.operation[:64], outcome=entry.outcome[:40],
        user_id=entry.user_id, username=entry.username[:64], role=entry.role,
        organization_id=entry.organization_id,
        organization_code=(entry.organization_code or None) and entry.organization_code[:20],
        client_address=entry.client_address and entry.client_address[:64],
        targets=canonical(redacted(entry.targets)), detail=_detail_text(entry.detail),
        prev_hash=head[1] if head else GENESIS)
    # The time as the database will give it back (microseconds, UTC): hashed that way.
    record.at = record.at.astimezone(UTC)
    record.hash = chain_hash(record.prev_hash, content(record))
    return record


async def append(entry: Entry) -> AuditRecord:
    """Chain one record after the head, inside the caller's transaction (or its own)."""
    async with within_transaction():
        connection = connections.get("default")
        postgres = connection.capabilities.dialect == "postgres"
        head = _last_head
        record = _record(entry, head)
        # The head as this process last wrote it is moved on only if it is still the head
        # (another process, or a rolled-back transaction, may have moved it): one statement
        # where reading it first made two. On PostgreSQL the same statement takes the
        # chain's lock first (_LOCKED), so nobody else moves the head until we commit.
        moved = head is not None and await fixed_statements.update(
            AuditHead, {"id": 1, "seq": head[0], "hash": head[1]},
            {"seq": record.seq, "hash": record.hash}, also=_LOCKED if postgres else "") == 1
        if not moved:
            if postgres:  # (again, if the statement above took it: it is re-entrant)
                await connection.execute_query(_LOCK)
            found = await AuditHead.get_or_none(id=1)
            record = _record(entry, (found.seq, found.hash) if found else None)
            if found is None:
                await AuditHead.create(id=1, seq=record.seq, hash=record.hash)
            else:
                await AuditHead.filter(id=1).update(seq=record.seq, hash=record.hash)
        await fixed_statements.insert(record)
    _remember_head((record.seq, record.hash))
    return record
