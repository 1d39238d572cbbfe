"""SQLite: the online backup API, which copies one consistent snapshot while others write."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path

from tortoise.backends.base.config_generator import expand_db_url

from models.backup.manifest import STORED_FILES_SQL, BackupError, Table, rows_sha256

FILE = "database.sqlite3"


def database_path(db_url: str) -> Path:
    return Path(expand_db_url(db_url)["credentials"]["file_path"])


def copy(source: Path, target: Path, *, self_contained: bool = False) -> None:
    """Copy a whole database by the backup API: in one step, so it is one snapshot (a step
    at a time would restart whenever another connection writes). `self_contained`: the copy
    leaves WAL mode, so it is one file without -wal and -shm beside it (a backup's copy;
    never the live database, whose mode its servers chose)."""
    if not source.is_file():
        raise BackupError(f"数据库文件不存在：{source}")
    target.parent.mkdir(parents=True, exist_ok=True)
    # Read-only on the source: a backup must never create an empty database by mistake.
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
    dst = sqlite3.connect(target, timeout=30)
    try:
        src.backup(dst)
        if self_contained:
            dst.execute("PRAGMA journal_mode = DELETE")
    except sqlite3.OperationalError as e:
        raise BackupError(f"无法复制数据库 {source}：{e}") from e
    finally:
        dst.close()
        src.close()


def _row_digest(row: tuple[object, ...]) -> str:
    values = [v.hex() if isinstance(v, bytes) else v for v in row]
    return hashlib.sha256(json.dumps(values, default=str).encode()).hexdigest()


def describe(path: Path) -> tuple[dict[str, Table], list[str], dict[str, int]]:
    """Per-table rows and checksums, the applied migrations and the evidence files named
    (sha256 -> size) of one database file."""
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        names = [r[0] for r in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' "
            "AND name NOT LIKE 'sqlite_%' ORDER BY name")]
        tables = {}
        for name in names:
            digests = [_row_digest(row) for row in connection.execute(f'SELECT * FROM "{name}"')]
            tables[name] = Table(rows=len(digests), sha256=rows_sha256(digests))
        migrations = sorted(r[0] for r in connection.execute(
            "SELECT name FROM tortoise_migrations WHERE app = 'models'"))
        evidence = dict(connection.execute(STORED_FILES_SQL).fetchall())
        return tables, migrations, evidence
    except sqlite3.DatabaseError as e:
        raise BackupError(f"数据库文件无法读取：{e}") from e
    finally:
        connection.close()
