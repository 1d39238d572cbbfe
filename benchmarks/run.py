"""Issue 9's benchmark: four nested reads beside their raw-SQL floors, and the rush.

    scripts/benchmark                      # everything: SQLite and a throwaway PostgreSQL
    .venv/bin/python -m benchmarks.run [--databases sqlite] [--scales 1] [--rush 600] ...

For each database (an SQLite file in a temporary folder; PostgreSQL at --postgres or
TEST_DATABASE_URL, where a database per scale is created) and each scale (x1: Henan, 605
schools; x20: 12,100 schools), the data is generated into the product's tables, then each
read is timed through the GraphQL endpoint on both paths (compiled reads on and off) and
as its floor, in the same process run; medians and their ratios to the floor are printed
as Markdown, with the SQL statements of one request and the process's peak memory. At x1
the rush follows. Every step runs in a process of its own (benchmarks/phase.py).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from typing import Any

import asyncpg

from benchmarks.data import SCHOOLS_PER_SCALE
from benchmarks.reads import PAIRED_S


def phase(*args: str) -> Any:
    done = subprocess.run([sys.executable, "-m", "benchmarks.phase", *args], check=True,
                          stdout=subprocess.PIPE, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


async def fresh_postgres(url: str, name: str) -> str:
    """An empty database `name` on the server of `url`."""
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return url.rsplit("/", 1)[0] + "/" + name


def database_url(kind: str, schools: int, postgres: str | None) -> str:
    if kind == "sqlite":
        return f"sqlite://{tempfile.mkdtemp(prefix='bench-')}/bench.sqlite3"
    assert postgres, "PostgreSQL needs --postgres or TEST_DATABASE_URL"
    return asyncio.run(fresh_postgres(postgres, f"bench_{schools}"))


def _cell(t: dict[str, Any], floor_ms: float) -> str:
    if t["runs"] == 0:
        return f"not run (≈{t['median_ms'] / 1000:,.0f} s from x1) | | | "
    return (f"{t['median_ms']:,.1f} ms ({t['runs']}) | **{t['median_ms'] / floor_ms:.2f}x**"
            f" | {t['statements']} | {t['peak_rss_mib']:,.0f} MiB")


def print_reads(title: str, sizes: dict[str, Any], results: list[dict[str, Any]],
                built_s: float) -> None:
    print(f"\n### {title}: {sizes['schools']:,} schools, {sizes['undertakings']:,}"
          f" undertakings, {sizes['report_lines']:,} report lines (built in {built_s:.0f} s)\n")
    print("| read | answer | floor, 1 statement (runs) | compiled (runs) | ratio | statements"
          " | peak RSS | resolvers, COMPILED_READS=0 (runs) | ratio | statements | peak RSS"
          " | same JSON |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for r in results:
        floor, c, s = r["floor"], r["paths"]["compiled"], r["paths"]["resolvers"]
        checked = [t["same_as_floor"] for t in (c, s) if t["runs"]]
        same = "yes" if checked and all(checked) else (
            f"compiled {c['same_as_floor']}, resolvers {s['same_as_floor']}")
        print(f"| {r['read']} | {floor['size_kib']:,.0f} KiB"
              f" | {floor['median_ms']:,.1f} ms ({floor['runs']})"
              f" | {_cell(c, floor['median_ms'])} | {_cell(s, floor['median_ms'])} | {same} |")
    print("\nmedians after six warm-up runs, each (read, path) at most ~20 s of runs; a read"
          " whose floor takes under 50 ms: its floor and compiled path timed side by side, a"
          " run of each in turn (the runs shown); statements: those of one request, the token"
          " lookup included")


def print_rush(title: str, r: dict[str, Any]) -> None:
    print(f"\n### {title}: the rush ({r['schools']} schools, {r['concurrency']} at a time:"
          f" login, save 10 rows, submit)\n")
    print(f"| whole run | {r['schools']} verifications alone | ratio | p50 / p95 per school"
          " | errors | lost | peak RSS | statements: login / save / submit"
          " | hand-written SQL flows: whole run, ratio |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    floor = r.get("floor_s")
    floor_cell = (f"{floor:.1f} s, {floor / r['verifications_s']:.2f}x" if floor
                  else "(PostgreSQL only)")
    print(f"| {r['total_s']:.1f} s | {r['verifications_s']:.1f} s | **{r['ratio']:.2f}x**"
          f" | {r['p50_s']:.2f} s / {r['p95_s']:.2f} s | {len(r['errors'])}"
          f" | {len(r['lost'])} | {r['peak_rss_mib']:.0f} MiB"
          f" | {' / '.join(str(n) for n in r['statements'])} | {floor_cell} |")
    for line in r["errors"][:5] + r["lost"]:
        print(f"- {line}")


# At x20, a (read, path) whose x1 time times 20 exceeds this is not run, only estimated.
LARGE_LIMIT_S = 60.0


def _skips(x1: list[dict[str, Any]] | None, schools: int) -> dict[str, dict[str, float]]:
    factor = schools / SCHOOLS_PER_SCALE
    skip: dict[str, dict[str, float]] = {}
    for r in x1 or []:
        for path, t in r["paths"].items():
            estimate = t["median_ms"] / 1000 * factor
            if estimate > LARGE_LIMIT_S:
                skip.setdefault(r["read"], {})[path] = estimate
    return skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--databases", default=None,
                        help="comma-separated: sqlite,postgres (default: both when a"
                        " PostgreSQL URL is known, else sqlite)")
    parser.add_argument("--postgres", default=os.environ.get("TEST_DATABASE_URL"))
    parser.add_argument("--scales", default="1,20")
    parser.add_argument("--schools", type=int, default=None,
                        help="schools instead of --scales (a quick try)")
    parser.add_argument("--runs", type=int, default=15, help="timed runs per read at x1")
    parser.add_argument("--runs-large", type=int, default=3, help="timed runs at x20")
    parser.add_argument("--resolver-runs-large", type=int, default=1,
                        help="timed runs of the resolver path at x20")
    parser.add_argument("--rush", type=int, default=600, help="schools in the rush (0: none)")
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument("--paired", type=float, default=PAIRED_S,
                        help="seconds a quick read and its floor are timed side by side")
    args = parser.parse_args()
    kinds = (args.databases or ("sqlite,postgres" if args.postgres else "sqlite")).split(",")
    sizes = ([args.schools] if args.schools else
             [SCHOOLS_PER_SCALE * int(s) for s in args.scales.split(",")])
    print(f"# Issue 9 benchmark, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, Python"
          f" {platform.python_version()}, {os.cpu_count()} cores")
    started = time.perf_counter()
    small: dict[str, list[dict[str, Any]]] = {}
    for kind in kinds:
        for schools in sizes:
            large = schools > SCHOOLS_PER_SCALE * 2
            url = database_url(kind, schools, args.postgres)
            t = time.perf_counter()
            # At x20 the report lines (1.2 million, read by none of the four reads) are left out.
            built = phase("build", url, str(schools), "0" if large else "1")
            built_s = time.perf_counter() - t
            runs = args.runs_large if large else args.runs
            resolver_runs = args.resolver_runs_large if large else args.runs
            skip = _skips(small.get(kind), schools) if large else {}
            results = phase("reads", url, json.dumps(built), str(runs), str(resolver_runs),
                            json.dumps(skip), str(args.paired))
            if not large:
                small[kind] = results
            name = "PostgreSQL" if kind == "postgres" else "SQLite"
            scale = f"x{schools // SCHOOLS_PER_SCALE}" if schools % SCHOOLS_PER_SCALE == 0 \
                else f"{schools} schools"
            print_reads(f"{name}, {scale}", built, results, built_s)
            if args.rush and not large:
                print_rush(f"{name}, {scale}", phase("rush", url, str(args.rush),
                                                     str(args.concurrency)))
            sys.stdout.flush()
    print(f"\nwhole benchmark: {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
