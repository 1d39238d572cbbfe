"""One step of the benchmark in a process of its own, answering JSON on its last line.

    python -m benchmarks.phase build URL SCHOOLS REPORTS(0|1)
    python -m benchmarks.phase reads URL SIZES_JSON RUNS RESOLVER_RUNS SKIP_JSON PAIRED_S
    python -m benchmarks.phase rush URL SCHOOLS CONCURRENCY

Each step gets a fresh process so that its peak memory is its own (building the data
leaves a large heap behind) and nothing is cached between the two read paths' runs.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import sys
from typing import Any

from tortoise import Tortoise

from benchmarks.data import Sizes, build
from benchmarks.instrument import start_orm
from models.database import migrate_database
from models.passwords import hash_password_sync

SCHOOL_PASSWORD = "Bench-2020-school"


def floor_target(url: str) -> str:
    """What the floor connects to: the PostgreSQL URL, or the SQLite file's path."""
    return url if url.startswith("postgres") else url.removeprefix("sqlite://")


async def main(step: str, url: str, *args: str) -> Any:
    if step == "build":
        await migrate_database(url)
    await start_orm(url)
    try:
        if step == "build":
            return dataclasses.asdict(await build(int(args[0]),
                                                  hash_password_sync(SCHOOL_PASSWORD),
                                                  reports=args[1] == "1"))
        if step == "reads":
            from benchmarks.reads import measure_reads

            dialect = "postgres" if url.startswith("postgres") else "sqlite"
            results = await measure_reads(dialect, floor_target(url), Sizes(**json.loads(
                args[0])), int(args[1]), int(args[2]), json.loads(args[3]), float(args[4]))
            return [dataclasses.asdict(r) for r in results]
        if step == "rush":
            from benchmarks.rush import run_rush

            result = await run_rush(int(args[0]), int(args[1]))
            return {**dataclasses.asdict(result), "ratio": result.ratio}
        raise SystemExit(f"unknown step {step}")
    finally:
        await Tortoise.close_connections()


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main(*sys.argv[1:]))))
