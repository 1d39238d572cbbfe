"""The backup's manifest: what was saved and the checksums restore verifies."""

from __future__ import annotations

import hashlib
import json
import os
import pkgutil
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

FORMAT = 1
NAME = "manifest.json"


class BackupError(Exception):
    """A backup that cannot be made or restored; the message says why, in Chinese."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class Table:
    rows: int
    sha256: str


@dataclass
class Manifest:
    dialect: str  # "sqlite" or "postgres"
    created_at: str
    migrations: list[str]
    database_file: str
    database_sha256: str
    tables: dict[str, Table]
    evidence: dict[str, int] = field(default_factory=dict)  # sha256 -> size
    missing_evidence: list[str] = field(default_factory=list)
    format: int = FORMAT

    def write(self, folder: Path) -> None:
        temporary = folder / f"{NAME}.part"
        temporary.write_text(json.dumps(asdict(self), ensure_ascii=False, indent=2,
                                        sort_keys=True), encoding="utf-8")
        os.replace(temporary, folder / NAME)  # a manifest means the backup is complete

    @classmethod
    def read(cls, folder: Path) -> Manifest:
        path = folder / NAME
        if not path.is_file():
            raise BackupError(f"{folder} 中没有 {NAME}：不是备份目录，或备份未完成")
        try:
            raw: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
            if raw.get("format") != FORMAT:
                raise BackupError(f"无法识别的备份格式：{raw.get('format')}")
            raw["tables"] = {name: Table(**t) for name, t in raw["tables"].items()}
            return cls(**raw)
        except (ValueError, TypeError, KeyError, AttributeError) as e:
            raise BackupError(f"{NAME} 已损坏，无法读取：{e}") from e


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def rows_sha256(row_digests: list[str]) -> str:
    """A table's checksum from one digest per row, independent of the order rows come in."""
    digest = hashlib.sha256()
    for row in sorted(row_digests):
        digest.update(row.encode())
        digest.update(b"\n")
    return digest.hexdigest()


# Every stored file the database names: evidence and notice attachments share the store.
STORED_FILES_SQL = ("SELECT sha256, MAX(size) FROM (SELECT sha256, size FROM evidence"
                    " UNION ALL SELECT sha256, size FROM notice_attachment) AS stored"
                    " GROUP BY sha256")


def evidence_path(folder: Path, sha256: str) -> Path:
    return folder / "evidence" / sha256[:2] / sha256


def known_migrations() -> set[str]:
    from models import migrations

    return {m.name for m in pkgutil.iter_modules(migrations.__path__) if m.name[:4].isdigit()}


def verify_files(folder: Path, manifest: Manifest) -> None:
    """Every file of the backup against its checksum, and its migrations against the code's,
    before anything is restored."""
    unknown = sorted(set(manifest.migrations) - known_migrations())
    if unknown:
        raise BackupError(f"备份来自更新的版本（本程序不认识迁移 {', '.join(unknown)}），"
                          "请用相同或更新的版本恢复")
    database = folder / manifest.database_file
    if not database.is_file():
        raise BackupError(f"备份已损坏：缺少数据库文件 {manifest.database_file}")
    if file_sha256(database) != manifest.database_sha256:
        raise BackupError(f"备份已损坏：{manifest.database_file} 的校验和与 {NAME} 不符")
    for sha256, size in manifest.evidence.items():
        path = evidence_path(folder, sha256)
        if not path.is_file():
            raise BackupError(f"备份已损坏：缺少证明材料文件 {sha256}")
        if path.stat().st_size != size or file_sha256(path) != sha256:
            raise BackupError(f"备份已损坏：证明材料文件 {sha256} 的内容与校验和不符")


def compare_tables(expected: dict[str, Table], restored: dict[str, Table]) -> None:
    wrong = [f"{name}（备份 {t.rows} 行，恢复后 "
             f"{restored[name].rows if name in restored else '无此表'}）"
             for name, t in sorted(expected.items())
             if name not in restored or restored[name] != t]
    if wrong:
        raise BackupError("恢复后的数据与备份清单不符：" + "；".join(wrong))
