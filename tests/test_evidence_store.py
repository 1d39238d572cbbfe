"""Evidence files where every server process on every host reads them (issue 13, point 9):
EVIDENCE_STORE=local keeps them in a folder of the host that received them, =database in
the platform's database (bytea on PostgreSQL). Both backends through the API, and two
server processes standing for two hosts (each its own EVIDENCE_DIR, one database)."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import httpx
import pytest

from models import Evidence, EvidenceBlob
from models.evidence_store import evidence_store
from tests import sample_files
from tests.conftest import PROVINCE, ZZ_SCHOOL_2, Api
from tests.test_evidence import download, reporting_school, stored_files, upload
from tests.test_evidence import evidence_dir as evidence_dir  # a fixture, used by name
from tests.test_server import running_server

PDF = sample_files.PDF
SHA = hashlib.sha256(PDF).hexdigest()


@pytest.mark.parametrize("store", ["local", "database"])
async def test_each_backend_stores_once_serves_and_tells_a_loss(
        api: Api, evidence_dir: Path, store: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EVIDENCE_STORE", store)
    # Given a school's report line
    undertaking = await reporting_school(api)

    # When it uploads the same file twice, and the province downloads it
    first = (await upload(api, ZZ_SCHOOL_2, undertaking, "认定文件.pdf", PDF))["evidence"]
    await upload(api, ZZ_SCHOOL_2, undertaking, "认定文件-副本.pdf", PDF)
    fetched = await download(api, first["downloadUrl"], PROVINCE)

    # Then the bytes are kept once, in the chosen store only, and served as they were
    assert fetched.status_code == 200 and fetched.content == PDF
    assert await Evidence.filter(sha256=SHA).count() == 2
    if store == "database":
        assert await EvidenceBlob.filter(sha256=SHA).count() == 1
        assert stored_files(evidence_dir) == []
    else:
        assert stored_files(evidence_dir) == [evidence_dir / SHA[:2] / SHA]
        assert await EvidenceBlob.all().count() == 0
    assert await evidence_store().get(SHA) == PDF

    # When the store loses the bytes
    if store == "database":
        await EvidenceBlob.filter(sha256=SHA).delete()
    else:
        shutil.rmtree(evidence_dir)
    lost = await download(api, first["downloadUrl"], PROVINCE)

    # Then the download answers 404 EVIDENCE_MISSING, not an internal error
    assert lost.status_code == 404 and lost.json()["error"]["code"] == "EVIDENCE_MISSING"


async def test_an_unknown_store_setting_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EVIDENCE_STORE", "s3-someday")
    with pytest.raises(ValueError, match="EVIDENCE_STORE must be one of local, database"):
        evidence_store()


@pytest.mark.parametrize(("store", "other_host_status"), [("database", 200), ("local", 404)])
async def test_a_file_uploaded_on_one_host_is_served_by_the_other(
        api: Api, database_url: str, tmp_path: Path, store: str,
        other_host_status: int) -> None:
    # Given a school ready to report, and two server processes on one database, each with a
    # folder of its own (two hosts behind a reverse proxy)
    undertaking = await reporting_school(api)
    token = await api.token(ZZ_SCHOOL_2)
    with running_server(tmp_path / "a", DATABASE_URL=database_url, EVIDENCE_STORE=store,
                        EVIDENCE_DIR=str(tmp_path / "a" / "evidence")) as a, \
            running_server(tmp_path / "b", DATABASE_URL=database_url, EVIDENCE_STORE=store,
                           EVIDENCE_DIR=str(tmp_path / "b" / "evidence")) as b:
        async with httpx.AsyncClient(base_url=a.base) as on_a, \
                httpx.AsyncClient(base_url=b.base) as on_b:
            # When the school uploads through host A and the province downloads from host B
            api_a = Api(on_a, tokens=dict(api.tokens))
            url = (await upload(api_a, ZZ_SCHOOL_2, undertaking, "认定文件.pdf", PDF))[
                "evidence"]["downloadUrl"]
            from_b = await on_b.get(url, headers={"Authorization": f"Bearer {token}"})

    # Then with the database store host B serves the very bytes; with folders it cannot
    assert from_b.status_code == other_host_status
    if store == "database":
        assert from_b.content == PDF
    else:
        assert from_b.json()["error"]["code"] == "EVIDENCE_MISSING"
