"""The operation log (操作日志): one record per mutation, login, export and download, each
chained to the one before by SHA-256, so that a changed, removed or reordered record shows.

A record is appended inside the transaction of the change it records (the caller's; nested
transactions are savepoints), so a change and its record are kept or lost together. The
chain has one head row (`audit_chain_head`): the last record's position and hash. Writers
take turns on it: on SQLite the write lock (write_transaction's BEGIN IMMEDIATE) already
serialises every writer; on PostgreSQL one statement takes a transaction-scoped advisory
lock, moves the head and inserts the record chained to it (hashed in the database), so two
writers can never chain to the same predecessor. The head also
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
from models.bulk import insertable
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
    # The last record's prev_hash: what the statement that moves the head on PostgreSQL
    # hands to the record it inserts (an UPDATE's RETURNING sees only the new values).
    prev_hash = fields.CharField(max_length=64, default=GENESIS)

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
    """The canonical text of a record, as hashed: every column but the id and the hash,
    as canonical JSON, keys sorted."""
    before, between, after = content_around(r)
    return f"{before}{r.prev_hash}{between}{r.seq}{after}"


def content_around(r: AuditRecord) -> tuple[str, str, str]:
    """content(r) as the text around its prev_hash and seq: before + prev_hash + between
    + seq + after. On PostgreSQL the statement that moves the head fills them in, and
    hashes, where it knows them (_append_sql)."""
    # The keys in canonical (sorted) order: those before "prev_hash", "role", then those
    # after "seq". tests/test_audit_chain.py checks the text against canonical() of all.
    first = canonical({
        "at": stamp(r.at), "client_address": r.client_address, "detail": r.detail,
        "kind": r.kind, "operation": r.operation, "organization_code": r.organization_code,
        "organization_id": r.organization_id, "outcome": r.outcome})
    last = canonical({"targets": r.targets, "user_id": r.user_id, "username": r.username})
    return (f'{first[:-1]},"prev_hash":"', f'","role":{canonical(r.role)},"seq":',
            f",{last[1:]}")


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


def _unchained(entry: Entry) -> AuditRecord:
    """The record of `entry`, without its place in the chain (seq, prev_hash, hash)."""
    return AuditRecord(
        at=now_utc().astimezone(UTC),  # as the database gives it back: hashed that way
        kind=entry.kind, operation=entry.operation[:64], outcome=entry.outcome[:40],
        user_id=entry.user_id, username=entry.username[:64], role=entry.role,
        organization_id=entry.organization_id,
        organization_code=(entry.organization_code or None) and entry.organization_code[:20],
        client_address=entry.client_address and entry.client_address[:64],
        targets=canonical(redacted(entry.targets)), detail=_detail_text(entry.detail))


def _chain(record: AuditRecord, head: tuple[int, str] | None) -> AuditRecord:
    """`record` placed after `head` (None: the first), its hash made."""
    record.seq = head[0] + 1 if head else 1
    record.prev_hash = head[1] if head else GENESIS
    record.hash = chain_hash(record.prev_hash, content(record))
    return record


# The columns an appended record is given by the caller; the chain's three by _append_sql.
_CHAIN_COLUMNS = ("seq", "prev_hash", "hash")


@functools.cache
def _given() -> tuple[str, ...]:
    return tuple(n for n in insertable(AuditRecord) if n not in _CHAIN_COLUMNS)


@functools.cache
def _append_sql() -> str:
    """PostgreSQL: move the head and insert the record chained to it, in one statement.

    The UPDATE takes the chain's lock first (_LOCKED), then computes the new head from
    the head's newest version (a row another transaction moved meanwhile is re-read
    before the SET is evaluated), hashing as chain_hash(prev_hash, content(record)) does:
    $1..$3 are the text around prev_hash and seq (content_around). No guess of the head,
    nothing read first: under concurrent writers every record is one round trip."""
    fields_map = AuditRecord._meta.fields_map
    values = []
    for index, name in enumerate(_given(), start=4):
        sql_type = str(fields_map[name].get_for_dialect("postgres", "SQL_TYPE")).upper()
        # (the SELECT's parameters have no column to take a type from; text goes as is)
        cast = "" if sql_type.startswith(("VARCHAR", "TEXT")) else f"::{sql_type}"
        values.append(f"${index}{cast}")
    projection = AuditRecord._meta.fields_db_projection
    columns = ", ".join(f'"{projection[n]}"' for n in (*_given(), *_CHAIN_COLUMNS))
    return (
        "WITH head AS (UPDATE audit_chain_head SET seq = seq + 1, prev_hash = hash, hash ="
        " encode(sha256(convert_to(hash || $1 || hash || $2 || (seq + 1)::text || $3,"
        f" 'UTF8')), 'hex') WHERE id = 1 AND {_LOCKED} RETURNING seq, prev_hash, hash)"
        f' INSERT INTO "audit_record" ({columns}) SELECT {", ".join(values)},'
        " head.seq, head.prev_hash, head.hash FROM head RETURNING id, seq, prev_hash, hash")


async def _append_postgres(connection: Any, record: AuditRecord) -> bool:
    """Chain `record` after the head in one statement (_append_sql); False when there is
    no head yet."""
    fields_map = AuditRecord._meta.fields_map
    _, rows = await connection.execute_query(_append_sql(), [
        *content_around(record),
        *[fields_map[n].to_db_value(getattr(record, n), record) for n in _given()]])
    if not rows:
        return False
    row = rows[0]
    record.id, record.seq, record.prev_hash, record.hash = (
        row["id"], row["seq"], row["prev_hash"], row["hash"])
    record._saved_in_db = True
    return True


async def append(entry: Entry) -> AuditRecord:
    """Chain one record after the head, inside the caller's transaction (or its own)."""
    async with within_transaction():
        connection = connections.get("default")
        record = _unchained(entry)
        if connection.capabilities.dialect == "postgres":
            if await _append_postgres(connection, record):
                return record
            await connection.execute_query(_LOCK)  # the first record: nobody else's head
            await _append_first_or_after_found(record)
            return record
        # SQLite: one writer at a time (the write lock). The head as this process last
        # wrote it is moved on only if it is still the head (another process, or a
        # rolled-back transaction, may have moved it): one statement where reading it
        # first made two.
        head = _last_head
        moved = head is not None and await fixed_statements.update(
            AuditHead, {"id": 1, "seq": head[0], "hash": head[1]},
            _head_values(_chain(record, head))) == 1
        if moved:
            await fixed_statements.insert(record)
        else:
            await _append_first_or_after_found(record)
    _remember_head((record.seq, record.hash))
    return record


def _head_values(record: AuditRecord) -> dict[str, Any]:
    return {"seq": record.seq, "hash": record.hash, "prev_hash": record.prev_hash}


async def _append_first_or_after_found(record: AuditRecord) -> None:
    """Chain `record` after the head as read now (the chain's lock or the write lock
    held), making the head if there is none."""
    found = await AuditHead.get_or_none(id=1)
    _chain(record, (found.seq, found.hash) if found else None)
    if found is None:
        await AuditHead.create(id=1, **_head_values(record))
    else:
        await AuditHead.filter(id=1).update(**_head_values(record))
    await fixed_statements.insert(record)
