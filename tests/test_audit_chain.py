"""Tamper evidence (issue 12, point 2): each record is chained to the one before by SHA-256;
`taskplatform audit verify` walks the chain and names the first broken record. Records are
edited, removed, inserted and reordered by hand in the database, each way detected; writers
in several processes at once never fork the chain."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Awaitable, Callable

import pytest
from tortoise import connections

from models import audit
from models.audit import AuditHead, AuditRecord, Entry, Kind
from models.audit_chain import Verdict, verify
from tests.conftest import PROVINCE, ZZ_SCHOOL_2, Api

COUNT = 8


async def _records(n: int = COUNT) -> list[AuditRecord]:
    for i in range(n):
        await audit.append(Entry(kind=Kind.MUTATION, operation=f"op{i}", username=f"u{i}",
                                 targets={"organizationCode": f"41{i:08d}"},
                                 detail={"arguments": {"n": i}}))
    return list(await AuditRecord.all().order_by("seq"))


async def sql(statement: str) -> None:
    await connections.get("default").execute_script(statement)


def cli(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": database_url}
    return subprocess.run([sys.executable, "-m", "gql.cli", *args], env=env, text=True,
                          capture_output=True, timeout=120, check=False)


async def test_verify_passes_then_names_the_record_edited_by_hand(api: Api, orm: str) -> None:
    await api.token(ZZ_SCHOOL_2)
    await api.token(PROVINCE)
    assert (await AuditRecord.all().count()) == 4

    ok = await asyncio.to_thread(cli, orm, "audit", "verify")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "完整" in ok.stdout and "4" in ok.stdout

    await sql("UPDATE audit_record SET outcome = 'INVALID_CREDENTIALS' WHERE seq = 3")
    broken = await asyncio.to_thread(cli, orm, "audit", "verify")

    assert broken.returncode == 1
    assert "第 3 条记录" in broken.stdout and "被改动" in broken.stdout


Tamper = Callable[[list[AuditRecord]], Awaitable[None]]


async def _edit(column: str, value: str, seq: int) -> None:
    await sql(f"UPDATE audit_record SET {column} = {value} WHERE seq = {seq}")


TAMPERING: dict[str, tuple[Tamper, int | None]] = {
    # name: (what is done, the seq verify must name; None: the head check at the end)
    "outcome changed": (lambda r: _edit("outcome", "'OK2'", 4), 4),
    "user changed": (lambda r: _edit("username", "'someone'", 1), 1),
    "address changed": (lambda r: _edit("client_address", "'10.0.0.1'", 5), 5),
    "targets changed": (lambda r: _edit("targets", "'{}'", 2), 2),
    "detail changed": (lambda r: _edit("detail", "'{\"arguments\":{}}'", 7), 7),
    "operation changed": (lambda r: _edit("operation", "'other'", 8), 8),
    "own hash recomputed over the edit": (lambda r: _rehash(3, outcome="FORBIDDEN"), 4),
    "middle record deleted": (lambda r: sql("DELETE FROM audit_record WHERE seq = 4"), 5),
    "first record deleted": (lambda r: sql("DELETE FROM audit_record WHERE seq = 1"), 2),
    "last record deleted": (lambda r: sql(f"DELETE FROM audit_record WHERE seq = {COUNT}"),
                            None),
    "last records deleted and the head moved back": (lambda r: _truncate_and_move_head(),
                                                     None),
    "two records swapped": (lambda r: _swap(3, 6), 3),
    "a record renumbered into a gap": (lambda r: _renumber(5, 50), 6),
    "a forged record appended": (lambda r: _forge(COUNT + 1), COUNT + 1),
    "prev hash pointed elsewhere": (lambda r: _edit("prev_hash", f"'{r[0].hash}'", 3), 3),
    "head changed": (lambda r: sql("UPDATE audit_chain_head SET seq = 3"), None),
}


async def _rehash(seq: int, **changes: str) -> None:
    # A careful forger recomputes the record's own hash: the next record no longer links.
    record = await AuditRecord.get(seq=seq)
    for name, value in changes.items():
        setattr(record, name, value)
    record.hash = audit.chain_hash(record.prev_hash, audit.content(record))
    await record.save()


async def _truncate_and_move_head() -> None:
    # The tail deleted and the head set to the new last record: the chain before still
    # holds (what an external copy of the head is for); moving the head to a record that
    # does not match its hash is seen.
    await sql("DELETE FROM audit_record WHERE seq > 6")
    await sql("UPDATE audit_chain_head SET seq = 6")


async def _swap(a: int, b: int) -> None:
    await sql(f"UPDATE audit_record SET seq = -1 WHERE seq = {a}")
    await sql(f"UPDATE audit_record SET seq = {a} WHERE seq = {b}")
    await sql(f"UPDATE audit_record SET seq = {b} WHERE seq = -1")


async def _renumber(seq: int, to: int) -> None:
    await sql(f"UPDATE audit_record SET seq = {to} WHERE seq = {seq}")


async def _forge(seq: int) -> None:
    last = await AuditRecord.get(seq=seq - 1)
    forged = AuditRecord(seq=seq, at=last.at, kind="mutation", operation="forged",
                         outcome="OK", username="x", targets="{}", detail="{}",
                         prev_hash=last.hash, hash="f" * 64)
    await forged.save()


@pytest.mark.parametrize("name", list(TAMPERING))
async def test_each_kind_of_tampering_is_detected(db: None, name: str) -> None:
    records = await _records()
    assert (await verify()).ok
    tamper, seq = TAMPERING[name]

    await tamper(records)
    verdict = await verify()

    assert not verdict.ok, name
    if seq is not None:
        assert verdict.broken_seq == seq, verdict.message
        assert f"第 {seq} 条记录" in verdict.message
    else:
        assert "链头" in verdict.message


async def test_an_empty_log_verifies_and_a_cleared_one_does_not(db: None) -> None:
    assert (await verify()).ok
    await _records(3)
    await sql("DELETE FROM audit_record")

    verdict = await verify()

    assert not verdict.ok and "链头" in verdict.message
    assert await AuditHead.get(id=1)


WRITER = """
import asyncio, sys
from tortoise import Tortoise
from models.config import tortoise_config
from models import audit
from models.audit import Entry, Kind

async def main(url, name, n):
    await Tortoise.init(config=tortoise_config(url))
    try:
        for i in range(n):
            await audit.append(Entry(kind=Kind.MUTATION, operation=f"{name}-{i}"))
    finally:
        await Tortoise.close_connections()

asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
"""


async def test_concurrent_writers_in_several_processes_keep_one_chain(db: None, orm: str
                                                                     ) -> None:
    per_writer, writers = 25, 3
    # In-process writers too: on PostgreSQL each takes its own pool connection.
    tasks = [audit.append(Entry(kind=Kind.MUTATION, operation=f"task-{i}")) for i in range(10)]

    def run(name: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-c", WRITER, orm, name, str(per_writer)],
                              text=True, capture_output=True, timeout=180, check=False)

    results = await asyncio.gather(*[asyncio.to_thread(run, f"w{i}") for i in range(writers)],
                                   *tasks)

    for done in results[:writers]:
        assert done.returncode == 0, done.stderr[-2000:]
    records = await AuditRecord.all().order_by("seq")
    assert len(records) == per_writer * writers + 10
    assert [r.seq for r in records] == list(range(1, len(records) + 1))
    verdict = await verify()
    assert verdict.ok, verdict.message


async def test_a_huge_detail_keeps_its_changes_and_still_verifies(db: None) -> None:
    record = await audit.append(Entry(
        kind=Kind.MUTATION, operation="big", detail={
            "arguments": {"rows": [{"narrative": "长" * 1000}] * 40},
            "changes": [{"target": "x", "before": None, "after": {"q": 1}}]}))

    detail = json.loads(record.detail)

    assert detail["arguments"]["truncated"] is True and detail["changes"][0]["target"] == "x"
    assert len(record.detail) <= audit.MAX_DETAIL
    assert (await verify()).ok


async def test_a_record_rolled_back_or_written_elsewhere_leaves_no_gap(db: None) -> None:
    """append() moves the head it last wrote without reading it first; when that head is
    not the head any more (its transaction rolled back, another process appended), it reads
    the head and chains after it."""
    from models.transaction import write_transaction

    await _records(2)
    with pytest.raises(RuntimeError):
        async with write_transaction():
            await audit.append(Entry(kind=Kind.MUTATION, operation="undone", username="u"))
            raise RuntimeError("rolled back with its record")
    await _records(1)
    # another process appends: this one's idea of the head is then behind
    behind = audit._last_head
    await _records(1)
    audit._remember_head(behind)
    await _records(1)
    records = await AuditRecord.all().order_by("seq")
    assert [r.seq for r in records] == [1, 2, 3, 4, 5]
    assert "undone" not in [r.operation for r in records]
    assert (await verify()).ok


async def _sent(work: Awaitable[object]) -> list[str]:
    """The statements `work` sends on the current connection (a transaction's)."""
    client = connections.get("default")
    execute, sent = client.execute_query, []

    async def counting(sql: str, values: list[object] | None = None) -> object:
        sent.append(sql)
        return await execute(sql, values)

    client.execute_query = counting  # type: ignore[method-assign]
    try:
        await work
    finally:
        del client.execute_query
    return sent


async def test_on_postgresql_a_record_is_one_statement_holding_the_lock_until_commit(
        db: None, orm: str) -> None:
    """On PostgreSQL a record is one statement (the head moved and hashed in the database,
    the record inserted after it), and that statement takes the chain's lock: held by the
    appending transaction until it ends."""
    if not orm.startswith("postgres"):
        pytest.skip("the chain's lock is PostgreSQL's (SQLite has one writer)")
    import asyncpg

    from models.transaction import write_transaction

    other = await asyncpg.connect(orm.replace("postgres://", "postgresql://", 1))

    async def taken_elsewhere() -> bool:
        free = await other.fetchval("SELECT pg_try_advisory_lock($1)", audit.CHAIN_LOCK_KEY)
        if free:
            await other.execute("SELECT pg_advisory_unlock($1)", audit.CHAIN_LOCK_KEY)
        return not free

    try:
        await _records(1)  # the head exists
        async with write_transaction():
            statements = await _sent(audit.append(Entry(
                kind=Kind.MUTATION, operation="one", username="用户",
                detail={"arguments": {"名称": "学校 \"甲\"\n"}})))
            assert await taken_elsewhere()
        assert not await taken_elsewhere()
        assert len(statements) == 1 and statements[0].startswith("WITH head AS"), statements
    finally:
        await other.close()
    assert (await verify()).ok


def test_the_text_around_seq_and_prev_hash_is_the_canonical_text() -> None:
    """content_around, which PostgreSQL's hashing fills in, gives the canonical JSON of
    every column but id and hash, whatever the values (quotes, non-ASCII, nulls)."""
    from datetime import UTC, datetime

    for role, code in ((None, None), ("school", '41"\\x'), ("城市", "4101")):
        record = AuditRecord(seq=12, at=datetime(2020, 11, 13, 15, 59, tzinfo=UTC),
                             kind="mutation", operation="save", outcome="OK", user_id=None,
                             username="学校", role=role, organization_id=7,
                             organization_code=code, client_address=None, targets="{}",
                             detail='{"a":"\\u0000 ,\\"seq\\":"}', prev_hash="ab" * 32)
        assert audit.content(record) == audit.canonical({
            "seq": record.seq, "at": audit.stamp(record.at), "kind": record.kind,
            "operation": record.operation, "outcome": record.outcome,
            "user_id": record.user_id, "username": record.username, "role": record.role,
            "organization_id": record.organization_id,
            "organization_code": record.organization_code,
            "client_address": record.client_address, "targets": record.targets,
            "detail": record.detail, "prev_hash": record.prev_hash})


@pytest.mark.parametrize("appended", ["before the head is read", "after the head is read"])
async def test_records_appended_while_verify_runs_are_no_alarm(
        db: None, monkeypatch: pytest.MonkeyPatch, appended: str) -> None:
    """A live server appends while `audit verify` runs: three records commit when the head
    is asked for, just before it is read or just after. Those before are walked too (the
    head is then ahead of the walk); those after are the next run's, and no alarm either."""
    from models import audit_chain

    await _records(3)
    read_head, asked = AuditHead.get_or_none, []

    async def head_while_writing(**where: object) -> AuditHead | None:
        if asked:
            return await read_head(**where)
        asked.append(True)
        if appended.startswith("before"):
            await _records(3)
            return await read_head(**where)
        head = await read_head(**where)
        await _records(3)
        return head

    monkeypatch.setattr(audit_chain.AuditHead, "get_or_none", head_while_writing)
    verdict = await verify()

    assert verdict.ok, verdict.message
    assert verdict.checked == (6 if appended.startswith("before") else 3) and asked


async def test_verify_holds_against_a_writer_running_beside_it(db: None) -> None:
    await _records(5)
    stop = asyncio.Event()

    async def writer() -> int:
        written = 0
        while not stop.is_set():
            await audit.append(Entry(kind=Kind.MUTATION, operation="live", username="w"))
            written += 1
            await asyncio.sleep(0)
        return written

    async def verdicts_meanwhile() -> list[Verdict]:
        verdicts = []
        for _ in range(20):
            verdicts.append(await verify())  # interleaved where its reads wait (PostgreSQL)
            await asyncio.sleep(0)  # and between its runs (SQLite reads on the loop)
        return verdicts

    task = asyncio.create_task(writer())
    try:
        verdicts = await verdicts_meanwhile()
    finally:
        stop.set()
        written = await task
    assert written > 0
    assert all(v.ok for v in verdicts), [v.message for v in verdicts if not v.ok][:1]
    assert (await verify()).checked == 5 + written
