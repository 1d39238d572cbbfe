"""Evidence files where every server process on every host reads them (issue 13, point 9):
EVIDENCE_STORE=local keeps them in a folder of the host that received them, =database in
the platform's database (bytea on PostgreSQL), =s3 in an S3-compatible bucket (here moto's
in-process S3, which answers boto3 as AWS would). Every backend through the API, and two
server processes standing for two hosts (each its own EVIDENCE_DIR, one database)."""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest
from moto import mock_aws

from models import Evidence, EvidenceBlob
from models import evidence_store as evidence_store_module
from models.evidence_store import evidence_store
from tests import sample_files
from tests.conftest import PROVINCE, ZZ_SCHOOL_2, Api
from tests.test_evidence import download, reporting_school, stored_files, upload
from tests.test_evidence import evidence_dir as evidence_dir  # a fixture, used by name
from tests.test_server import running_server

PDF = sample_files.PDF
SHA = hashlib.sha256(PDF).hexdigest()


BUCKET = "platform-evidence"


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A bucket in moto's S3, with the settings a server would have."""
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_DEFAULT_REGION": "us-east-1", "EVIDENCE_S3_BUCKET": BUCKET,
                        "EVIDENCE_S3_PREFIX": "evidence/"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("EVIDENCE_S3_ENDPOINT", raising=False)
    with mock_aws():
        evidence_store_module._s3_clients.clear()  # made inside the mock
        client = boto3.client("s3")
        client.create_bucket(Bucket=BUCKET)
        yield client
    evidence_store_module._s3_clients.clear()


def s3_keys(client: Any) -> list[str]:
    return [o["Key"] for o in client.list_objects_v2(Bucket=BUCKET).get("Contents", [])]


@pytest.mark.parametrize("store", ["local", "database", "s3"])
async def test_each_backend_stores_once_serves_and_tells_a_loss(
        api: Api, evidence_dir: Path, store: str, monkeypatch: pytest.MonkeyPatch,
        request: pytest.FixtureRequest) -> None:
    monkeypatch.setenv("EVIDENCE_STORE", store)
    bucket = request.getfixturevalue("s3") if store == "s3" else None
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
    elif store == "s3":
        assert s3_keys(bucket) == [f"evidence/{SHA[:2]}/{SHA}"]
        assert stored_files(evidence_dir) == [] and await EvidenceBlob.all().count() == 0
    else:
        assert stored_files(evidence_dir) == [evidence_dir / SHA[:2] / SHA]
        assert await EvidenceBlob.all().count() == 0
    assert await evidence_store().get(SHA) == PDF

    # When the store loses the bytes
    if store == "database":
        await EvidenceBlob.filter(sha256=SHA).delete()
    elif store == "s3":
        bucket.delete_object(Bucket=BUCKET, Key=f"evidence/{SHA[:2]}/{SHA}")
    else:
        shutil.rmtree(evidence_dir)
    lost = await download(api, first["downloadUrl"], PROVINCE)

    # Then the download answers 404 EVIDENCE_MISSING, not an internal error
    assert lost.status_code == 404 and lost.json()["error"]["code"] == "EVIDENCE_MISSING"


async def test_an_unknown_store_setting_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EVIDENCE_STORE", "s3-someday")
    with pytest.raises(ValueError, match="EVIDENCE_STORE must be one of local, database, s3"):
        evidence_store()
    monkeypatch.setenv("EVIDENCE_STORE", "s3")
    monkeypatch.delenv("EVIDENCE_S3_BUCKET", raising=False)
    with pytest.raises(ValueError, match="needs EVIDENCE_S3_BUCKET"):
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
