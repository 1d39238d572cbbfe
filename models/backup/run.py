"""The two commands: backup into a folder, restore from one."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from models.backup import postgres, sqlite
from models.backup.manifest import (
    BackupError,
    Manifest,
    Table,
    compare_tables,
    evidence_path,
    file_sha256,
    verify_files,
)
from models.clock import now_utc
from models.evidence_store import evidence_store


def dialect_of(db_url: str) -> str:
    if db_url.startswith("sqlite://"):
        return "sqlite"
    if db_url.startswith(("postgres://", "asyncpg://", "psycopg://")):
        return "postgres"
    raise BackupError(f"不支持的数据库地址：{db_url.split('://')[0]}")


async def backup(folder: Path, db_url: str, say: Callable[[str], None] = print) -> Manifest:
    """Back up the database and its evidence files into `folder` (new or empty)."""
    dialect = dialect_of(db_url)
    await asyncio.to_thread(_prepare, folder)
    if dialect == "sqlite":
        database = folder / sqlite.FILE
        await asyncio.to_thread(sqlite.copy, sqlite.database_path(db_url), database,
                                self_contained=True)
        tables, migrations, named = await asyncio.to_thread(sqlite.describe, database)
    else:
        database = folder / postgres.FILE
        tables, migrations, named = await postgres.dump(db_url, database)
    # Files are stored before their row commits, so every row of the snapshot has its file
    # unless the store lost it; such files are listed, not silently skipped.
    store = evidence_store()
    evidence: dict[str, int] = {}
    missing: list[str] = []
    for sha256 in sorted(named):
        content = await store.get(sha256)
        if content is None:
            missing.append(sha256)
            continue
        path = evidence_path(folder, sha256)
        await asyncio.to_thread(_write, path, content)
        evidence[sha256] = len(content)
    manifest = Manifest(dialect=dialect, created_at=now_utc().isoformat(),
                        migrations=migrations, database_file=database.name,
                        database_sha256=await asyncio.to_thread(file_sha256, database),
                        tables=tables, evidence=evidence, missing_evidence=missing)
    manifest.write(folder)
    rows = sum(t.rows for t in tables.values())
    say(f"备份完成：{folder}（{len(tables)} 张表，{rows} 行，{len(evidence)} 个证明材料文件）")
    if missing:
        say(f"警告：存储中缺少 {len(missing)} 个证明材料文件，已记入 manifest.json："
            + ", ".join(missing[:5]))
    return manifest


def _prepare(folder: Path) -> None:
    if folder.exists() and any(folder.iterdir()):
        raise BackupError(f"{folder} 不是空目录：请为每次备份指定一个新目录")
    folder.mkdir(parents=True, exist_ok=True)


def _write(path: Path, content: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)


async def restore(folder: Path, db_url: str, say: Callable[[str], None] = print) -> Manifest:
    """Verify the backup in `folder`, then replace the database and put back its files.
    Stop the servers first: they would keep answering from what they hold."""
    manifest = Manifest.read(folder)
    dialect = dialect_of(db_url)
    if manifest.dialect != dialect:
        raise BackupError(f"这是 {manifest.dialect} 数据库的备份，不能恢复到 {dialect} 数据库")
    await asyncio.to_thread(verify_files, folder, manifest)
    database = folder / manifest.database_file
    restored: dict[str, Table]
    if dialect == "sqlite":
        target = sqlite.database_path(db_url)
        await asyncio.to_thread(sqlite.copy, database, target)
        restored, _, _ = await asyncio.to_thread(sqlite.describe, target)
    else:
        await postgres.load(db_url, database)
        restored = await postgres.restored(db_url)
    compare_tables(manifest.tables, restored)
    # After the database: the database store's table exists only once it is restored.
    store = evidence_store()
    for sha256 in manifest.evidence:
        content = await asyncio.to_thread(evidence_path(folder, sha256).read_bytes)
        await store.put(sha256, content)
    say(f"恢复完成：{len(restored)} 张表与备份清单一致，"
        f"{len(manifest.evidence)} 个证明材料文件已放回（备份时间 {manifest.created_at}）")
    if manifest.missing_evidence:
        say(f"注意：备份时已缺少 {len(manifest.missing_evidence)} 个证明材料文件，下载它们会答 "
            "EVIDENCE_MISSING")
    return manifest


__all__ = ["BackupError", "backup", "restore"]
