"""PostgreSQL: pg_dump in a snapshot exported by the transaction that checksums the tables,
so the dump and the manifest describe the same moment; pg_restore back."""

from __future__ import annotations

import asyncio
import glob
import os
import shutil
from pathlib import Path
from typing import Any

import asyncpg
from tortoise.backends.base.config_generator import expand_db_url

from models.backup.manifest import STORED_FILES_SQL, BackupError, Table, rows_sha256

FILE = "database.dump"


def _credentials(db_url: str) -> dict[str, Any]:
    c = expand_db_url(db_url)["credentials"]
    return {"host": c.get("host") or "127.0.0.1", "port": int(c.get("port") or 5432),
            "user": c.get("user") or "postgres", "password": c.get("password") or "",
            "database": c["database"]}


def program(name: str) -> str:
    """pg_dump or pg_restore: on PATH, or the newest in /usr/lib/postgresql/*/bin."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
                        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit()
                        else 0)
    if not candidates:
        raise BackupError(f"找不到 {name}：请安装 PostgreSQL 客户端程序"
                          "（与服务器同一大版本或更新）")
    return candidates[-1]


async def _run(db_url: str, name: str, *args: str) -> None:
    c = _credentials(db_url)
    # The password goes through the environment, never the command line (ps shows that).
    env = {**os.environ, "PGPASSWORD": c["password"]}
    process = await asyncio.create_subprocess_exec(
        program(name), "-h", c["host"], "-p", str(c["port"]), "-U", c["user"],
        "-d", c["database"], *args, env=env,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
    _, err = await process.communicate()
    if process.returncode != 0:
        raise BackupError(f"{name} 失败（退出码 {process.returncode}）："
                          f"{err.decode(errors='replace').strip()[-2000:]}")


async def connect(db_url: str) -> asyncpg.Connection:
    try:
        return await asyncpg.connect(**_credentials(db_url))
    except (OSError, asyncpg.PostgresError) as e:
        raise BackupError(f"无法连接数据库：{e}") from e


async def describe(connection: asyncpg.Connection
                   ) -> tuple[dict[str, Table], list[str], dict[str, int]]:
    """Per-table rows and checksums, applied migrations, evidence files named: as the
    connection's transaction sees them."""
    names = [r["tablename"] for r in await connection.fetch(
        "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
        "ORDER BY tablename")]
    tables = {}
    for name in names:
        # One digest per row, of the row's text form; the server does the hashing.
        digests = [r[0] for r in await connection.fetch(f'SELECT md5(t::text) FROM "{name}" t')]
        tables[name] = Table(rows=len(digests), sha256=rows_sha256(digests))
    migrations = sorted(r[0] for r in await connection.fetch(
        "SELECT name FROM tortoise_migrations WHERE app = 'models'"))
    evidence = {r[0]: r[1] for r in await connection.fetch(
        STORED_FILES_SQL)}
    return tables, migrations, evidence


async def dump(db_url: str, target: Path) -> tuple[dict[str, Table], list[str], dict[str, int]]:
    connection = await connect(db_url)
    try:
        async with connection.transaction(isolation="repeatable_read", readonly=True):
            snapshot = await connection.fetchval("SELECT pg_export_snapshot()")
            await _run(db_url, "pg_dump", "--format=custom", f"--snapshot={snapshot}",
                       "--no-owner", "--no-privileges", f"--file={target}")
            return await describe(connection)
    finally:
        await connection.close()


async def load(db_url: str, source: Path) -> None:
    """Replace the database's tables by the dump's, all or nothing."""
    await _run(db_url, "pg_restore", "--clean", "--if-exists", "--no-owner",
               "--no-privileges", "--single-transaction", "--exit-on-error", str(source))


async def restored(db_url: str) -> dict[str, Table]:
    connection = await connect(db_url)
    try:
        async with connection.transaction(isolation="repeatable_read", readonly=True):
            tables, _, _ = await describe(connection)
            return tables
    finally:
        await connection.close()
