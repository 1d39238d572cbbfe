"""Retention (issue 12, point 3): records are kept at least 180 days; `taskplatform audit purge
--before DATE` refuses anything younger, removes the older records as a prefix of the chain
and leaves an anchor record, so `audit verify` still passes, and still sees a record removed
by hand after the purge."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import pytest

from models import audit
from models.audit import AuditRecord, Entry, Kind
from models.audit_chain import PURGE, purge, verify
from models.clock import now_utc
from models.errors import DomainError
from tests.test_audit_chain import cli, sql


async def _aged(monkeypatch: pytest.MonkeyPatch, days: list[int]) -> None:
    """One record per age (in days), oldest first, chained as they would have been."""
    now = now_utc()
    for age in days:
        monkeypatch.setattr(audit, "now_utc", lambda age=age: now - timedelta(days=age))
        await audit.append(Entry(kind=Kind.MUTATION, operation=f"aged-{age}"))
    monkeypatch.setattr(audit, "now_utc", now_utc)


async def test_a_purge_keeps_the_chain_verifiable(db: None, monkeypatch: pytest.MonkeyPatch
                                                  ) -> None:
    await _aged(monkeypatch, [400, 300, 200, 190, 100, 10, 1])

    deleted, anchor = await purge(now_utc() - timedelta(days=185))

    assert deleted == 4
    remaining = await AuditRecord.all().order_by("seq")
    assert [r.operation for r in remaining] == ["aged-100", "aged-10", "aged-1", PURGE]
    said = json.loads(anchor.detail)
    assert said["deleted"] == 4 and said["first_kept_seq"] == remaining[0].seq == 5
    verdict = await verify()
    assert verdict.ok, verdict.message

    # What the purge did not remove is still protected: one more record gone shows.
    await sql("DELETE FROM audit_record WHERE seq = 5")
    broken = await verify()
    assert not broken.ok and broken.broken_seq == 6


async def test_nothing_younger_than_180_days_is_purged(db: None,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    await _aged(monkeypatch, [200, 179, 1])

    with pytest.raises(DomainError) as refused:
        await purge(now_utc() - timedelta(days=179))

    assert refused.value.code == "INVALID_VALUE" and "180" in refused.value.message
    assert await AuditRecord.all().count() == 3


async def test_purges_in_a_row_and_a_purge_of_everything_verify(
        db: None, monkeypatch: pytest.MonkeyPatch) -> None:
    await _aged(monkeypatch, [500, 400, 300])
    await purge(now_utc() - timedelta(days=450))
    await _aged(monkeypatch, [250, 200])

    # A purge removes a prefix of the chain: up to the first record younger than the date
    # (here the first anchor), never a record in the middle.
    await purge(now_utc() - timedelta(days=190))
    await purge(now_utc() - timedelta(days=181))
    verdict = await verify()

    assert verdict.ok, verdict.message
    assert [r.operation for r in await AuditRecord.all().order_by("seq")] == [
        PURGE, "aged-250", "aged-200", PURGE, PURGE]


async def test_a_hand_made_purge_without_an_anchor_is_seen(db: None,
                                                          monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    await _aged(monkeypatch, [300, 250, 10])
    await sql("DELETE FROM audit_record WHERE seq < 3")

    verdict = await verify()

    assert not verdict.ok and verdict.broken_seq == 3 and "删除" in verdict.message


async def test_the_purge_command_refuses_then_purges(db: None, orm: str,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    await _aged(monkeypatch, [365, 30])
    young = (now_utc() - timedelta(days=90)).date().isoformat()
    old = (now_utc() - timedelta(days=200)).date().isoformat()

    refused = await asyncio.to_thread(cli, orm, "audit", "purge", "--before", young)
    purged = await asyncio.to_thread(cli, orm, "audit", "purge", "--before", old)
    verified = await asyncio.to_thread(cli, orm, "audit", "verify")
    nonsense = await asyncio.to_thread(cli, orm, "audit", "purge", "--before", "yesterday")

    assert refused.returncode == 2 and "180" in refused.stderr
    assert purged.returncode == 0 and "已清理 1 条" in purged.stdout, purged.stderr
    assert verified.returncode == 0, verified.stdout
    assert nonsense.returncode == 2
