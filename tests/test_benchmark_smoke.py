"""The benchmark (benchmarks/, BENCHMARKS.md) runs, and its floors stay honest: each
hand-written SQL statement answers exactly the JSON the API answers, on both read paths.
No timing is asserted here."""

from __future__ import annotations

import gc
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from tortoise import connections

from benchmarks.data import build
from benchmarks.phase import floor_target
from benchmarks.reads import measure_reads
from benchmarks.rush import run_rush
from models.passwords import hash_password_sync

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def own_collector() -> Iterator[None]:
    """The benchmark's app settles the collector as a server's startup does (gql/heap.py);
    the rest of the suite keeps the one it had."""
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


async def test_every_floor_answers_what_the_api_answers(db: None, database_url: str) -> None:
    sizes = await build(14, hash_password_sync("Bench-2020-school"))
    assert sizes.schools == 14 and sizes.undertakings > 14 * 20
    assert sizes.report_lines == 3 * sizes.undertakings
    dialect = connections.get("default").capabilities.dialect
    results = await measure_reads(dialect, floor_target(database_url), sizes, 1, 1,
                                  paired_s=0.1)
    assert len(results) == 4
    for result in results:
        assert result.floor.size_kib and result.floor.size_kib > 0.5, result.read
        for path, timing in result.paths.items():
            assert timing.same_as_floor, (result.read, path)


async def test_the_rush_loses_nothing(db: None) -> None:
    # More schools at once than one client address may try logins (models/throttle.py):
    # the rush's schools come from addresses of their own, as real ones do.
    result = await run_rush(40, 40)
    assert result.errors == [] and result.lost == []
    assert result.total_s > 0 and result.verifications_s > 0 and result.p95_s > 0
    # The hand-written flows beside it (PostgreSQL only), checked as the API's (`lost`)
    postgres = connections.get("default").capabilities.dialect == "postgres"
    assert (result.floor_s is not None and result.floor_s > 0) == postgres


def test_the_benchmark_command_runs_and_prints_its_tables() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.run", "--databases", "sqlite", "--schools", "6",
         "--runs", "1", "--rush", "3", "--concurrency", "2", "--paired", "0.1"],
        cwd=ROOT, capture_output=True, text=True, timeout=600, check=True).stdout
    reads = [line for line in out.splitlines() if line.startswith("| ") and " KiB |" in line]
    assert len(reads) == 4, out
    assert all(line.rstrip().endswith("| yes |") for line in reads), out
    rush = next(line for line in out.splitlines() if line.startswith("| ") and "x** |" in line
                and "s / " in line)
    cells = [c.strip() for c in rush.strip().strip("|").split("|")]
    assert (cells[4], cells[5]) == ("0", "0"), rush  # no error, nothing lost
