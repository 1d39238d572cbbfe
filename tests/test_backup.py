"""Backup and restore (issue 13, point 5): a backup taken while schools save is one
consistent moment; after a wipe, restore brings back every table and every evidence file;
a corrupted backup is refused before anything is touched; a lost evidence file answers 404
EVIDENCE_MISSING, not 500.

Runs on the suite's database: SQLite (the online backup API) or PostgreSQL (pg_dump in an
exported snapshot, pg_restore), whichever TEST_DATABASE_URL names.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest
from tortoise import connections

from models.backup import BackupError, backup, restore
from models.backup.manifest import NAME, evidence_path
from models.evidence_store import evidence_store
from tests import sample_files
from tests.conftest import (
    HIGHER_SCHOOL,
    LY_SCHOOL,
    PROVINCE,
    ZHENGZHOU,
    ZZ_SCHOOL,
    ZZ_SCHOOL_2,
    Api,
)
from tests.test_declarations import row, save
from tests.test_evidence import download, evidence_of, reporting_school, upload
from tests.test_evidence import evidence_dir as evidence_dir  # a fixture, used by name
from tests.test_notices import explicit, post_files

SAVERS = (ZZ_SCHOOL, LY_SCHOOL, HIGHER_SCHOOL)
ROUNDS = 8


def _postgres(database_url: str) -> bool:
    return database_url.startswith("postgres")


async def tables(database_url: str) -> dict[str, list[str]]:
    """Every table's rows, each as JSON text, sorted: what 'equal' means for a database."""
    db = connections.get("default")
    if _postgres(database_url):
        _, names = await db.execute_query(
            "SELECT tablename AS name FROM pg_tables WHERE schemaname = current_schema()")
    else:
        _, names = await db.execute_query(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
    result = {}
    for r in names:
        rows = await db.execute_query_dict(f'SELECT * FROM "{r["name"]}"')
        result[r["name"]] = sorted(json.dumps(x, default=str, sort_keys=True) for x in rows)
    return result


async def wipe(database_url: str, evidence: Path) -> None:
    """What a lost disk leaves: no tables at all, no evidence files."""
    db = connections.get("default")
    if _postgres(database_url):
        await db.execute_script("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
    else:
        names = [r["name"] for r in (await db.execute_query(
            "SELECT name FROM sqlite_master WHERE type = 'table' "
            "AND name NOT LIKE 'sqlite_%'"))[1]]
        await db.execute_script("PRAGMA foreign_keys = OFF; " + "".join(
            f'DROP TABLE "{n}"; ' for n in names) + "PRAGMA foreign_keys = ON;")
    shutil.rmtree(evidence, ignore_errors=True)
    assert await tables(database_url) == {}


async def taskplatform(*args: str) -> tuple[int, str, str]:
    """The command as an operator runs it (its own process, DATABASE_URL from the env)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "gql.cli", *args, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE)
    out, err = await process.communicate()
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


def files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file()}


@pytest.mark.parametrize("store", ["local", "database"])
async def test_backup_while_saving_then_wipe_and_restore(
        api: Api, database_url: str, evidence_dir: Path, tmp_path: Path, store: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EVIDENCE_STORE", store)
    # Given a school's report with two evidence files, and three schools logged in
    undertaking = await reporting_school(api)
    await upload(api, ZZ_SCHOOL_2, undertaking, "认定文件.pdf", sample_files.PDF)
    await upload(api, ZZ_SCHOOL_2, undertaking, "照片.png", sample_files.PNG)
    # ... and a notice with an attachment (the same store holds notice attachments)
    notice = await post_files(api, ZHENGZHOU, explicit(ZZ_SCHOOL), [("填报说明.docx",
                                                                      sample_files.DOCX)])
    [attachment] = notice["notice"]["attachments"]
    for school in SAVERS:
        await api.token(school)
    started, backed_up = asyncio.Event(), asyncio.Event()

    async def keep_saving() -> int:
        saves = 0
        for version in range(ROUNDS):
            results = await asyncio.gather(*[save(api, s, s, version, [
                row("3.2", version + 1, schoolSelf=f"{version}.5")]) for s in SAVERS])
            assert [r["errors"] for r in results] == [[]] * len(SAVERS), results
            saves += len(SAVERS)
            if version == 2:
                started.set()
                # An upload while the backup runs: its file lands before its row commits.
                await upload(api, ZZ_SCHOOL_2, undertaking, "附件.jpg", sample_files.JPG)
            if version >= 4:
                await backed_up.wait()  # saves go on after the backup's moment
        return saves

    async def back_up(folder: Path) -> Any:
        await started.wait()
        manifest = await backup(folder, database_url, say=lambda _: None)
        backed_up.set()
        return manifest

    # When a backup is taken while the saves run, and another once they have stopped
    saves, during = await asyncio.gather(keep_saving(), back_up(tmp_path / "during"))
    after = await tables(database_url)
    stored = files(evidence_dir)  # the folder store's files (none with the database store)
    contents = {hashlib.sha256(c).hexdigest(): c for c in (
        sample_files.PDF, sample_files.PNG, sample_files.JPG, sample_files.DOCX)}
    quiet = await backup(tmp_path / "quiet", database_url, say=lambda _: None)

    # Then the first caught the saves part way, and the second all of them
    assert saves == ROUNDS * len(SAVERS)
    events = during.tables["undertaking_change"].rows
    assert 0 < events < len(after["undertaking_change"]), (events, len(after["undertaking_change"]))
    assert quiet.tables["undertaking_change"].rows == len(after["undertaking_change"])
    assert {n: t.rows for n, t in quiet.tables.items()} == {n: len(r) for n, r in after.items()}
    assert len(quiet.evidence) == 4 and quiet.missing_evidence == []

    # ... each in one folder that holds only the backup (no -wal or -shm beside a copy)
    assert sorted(p.name for p in (tmp_path / "quiet").iterdir()) == sorted(
        [quiet.database_file, "evidence", NAME])

    # When everything is lost and the backup taken while saving is restored
    await wipe(database_url, evidence_dir)
    await restore(tmp_path / "during", database_url, say=lambda _: None)

    # Then each table holds the snapshot's rows: a consistent earlier state of the same data
    restored = await tables(database_url)
    assert {n: len(r) for n, r in restored.items()} == {
        n: t.rows for n, t in during.tables.items()}
    for append_only in ("declaration_event", "undertaking_change", "evidence", "app_user"):
        assert set(restored[append_only]) <= set(after[append_only]), append_only
    versions = {json.loads(r)["id"]: json.loads(r)["version"] for r in restored["declaration"]}
    final = {json.loads(r)["id"]: json.loads(r)["version"] for r in after["declaration"]}
    assert all(v <= final[k] for k, v in versions.items())
    # ... and every file its evidence rows name, byte for byte
    assert set(during.evidence) <= set(quiet.evidence) and len(during.evidence) >= 2
    for sha256 in during.evidence:
        assert await evidence_store().get(sha256) == contents[sha256]

    # When the quiet backup is restored over it (after another wipe)
    await wipe(database_url, evidence_dir)
    await restore(tmp_path / "quiet", database_url, say=lambda _: None)

    # Then every table and every evidence file equals the state before the loss
    assert await tables(database_url) == after
    assert files(evidence_dir) == stored
    # ... and the school downloads its files with the token it had (sessions came back too)
    listed = await evidence_of(api, ZZ_SCHOOL_2)
    assert sorted(e["filename"] for e in listed) == sorted(["认定文件.pdf", "附件.jpg", "照片.png"])
    for e in listed:
        response = await download(api, e["downloadUrl"], ZZ_SCHOOL_2)
        assert response.status_code == 200 and contents[e["sha256"]] == response.content
    response = await download(api, attachment["url"], ZZ_SCHOOL)
    assert response.status_code == 200 and response.content == sample_files.DOCX


async def test_a_corrupted_backup_is_refused_and_nothing_is_touched(
        api: Api, database_url: str, evidence_dir: Path, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a backup with one evidence file, and a save made after it
    undertaking = await reporting_school(api)
    await upload(api, ZZ_SCHOOL_2, undertaking, "认定文件.pdf", sample_files.PDF)
    folder = tmp_path / "backup"
    monkeypatch.setenv("DATABASE_URL", database_url)
    code, out, _ = await taskplatform("backup", str(folder))
    assert code == 0 and "备份完成" in out, out
    manifest = json.loads((folder / NAME).read_text(encoding="utf-8"))
    saved = await save(api, ZZ_SCHOOL, ZZ_SCHOOL, 0, [row("3.2", 1)])
    assert saved["errors"] == []
    now = await tables(database_url)

    # When the database file has one byte changed, an evidence file is altered, the
    # manifest is gone, or the folder is reused for a backup
    database = folder / manifest["database_file"]
    original = database.read_bytes()
    damaged = bytearray(original)
    damaged[len(damaged) // 2] ^= 0xFF
    database.write_bytes(bytes(damaged))
    damaged_db, _, damaged_db_err = await taskplatform("restore", str(folder))
    database.write_bytes(original)

    sha256 = next(iter(manifest["evidence"]))
    evidence_file = evidence_path(folder, sha256)
    evidence_file.write_bytes(evidence_file.read_bytes() + b"tampered")
    with pytest.raises(BackupError, match=r"证明材料文件 [0-9a-f]{64} 的内容与校验和不符"):
        await restore(folder, database_url, say=lambda _: None)
    (folder / NAME).rename(folder / "elsewhere.json")
    with pytest.raises(BackupError, match=r"没有 manifest\.json"):
        await restore(folder, database_url, say=lambda _: None)
    with pytest.raises(BackupError, match="不是空目录"):
        await backup(folder, database_url, say=lambda _: None)

    # Then restore refuses each with a clear message and exit code 4, and nothing changed
    assert damaged_db == 4
    assert "恢复失败：备份已损坏" in damaged_db_err and "校验和" in damaged_db_err
    assert await tables(database_url) == now


async def test_a_lost_evidence_file_answers_404_with_a_code(api: Api, evidence_dir: Path
                                                            ) -> None:
    # Given an uploaded file whose bytes the store lost (a restore without them)
    undertaking = await reporting_school(api)
    evidence = (await upload(api, ZZ_SCHOOL_2, undertaking, "认定文件.pdf",
                             sample_files.PDF))["evidence"]
    shutil.rmtree(evidence_dir)

    # When the school and the province download it
    answers = [await download(api, evidence["downloadUrl"], who)
               for who in (ZZ_SCHOOL_2, PROVINCE)]

    # Then each gets 404 EVIDENCE_MISSING with a Chinese message, not an internal error
    for response in answers:
        assert response.status_code == 404
        error = response.json()["error"]
        assert error["code"] == "EVIDENCE_MISSING" and "备份" in error["message"]
