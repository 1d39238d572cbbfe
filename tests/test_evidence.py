"""Evidence files of a year's report, over HTTP with real logins: GraphQL multipart uploads
checked by name, size, extension and content, stored by SHA-256 under EVIDENCE_DIR, and
downloaded with the bearer token by whoever sees the undertaking.

Set-up of every test: a school declares, submits, the province accepts, the province opens
the 2021 round, the school saves its report line; evidence hangs off that line.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from tempfile import SpooledTemporaryFile
from typing import Any

import pytest
import starlette.formparsers

from models import Evidence
from tests import sample_files
from tests.chain import confirm
from tests.conftest import LUOYANG, LY_SCHOOL, PROVINCE, ZHENGZHOU, ZZ_SCHOOL_2, Api
from tests.test_declarations import SUBMIT, row, save

YEAR = 2021

DECLARED = """
query($org: String) { declaration(organizationCode: $org) {
  version undertakings { id quantity item { number } } } }"""

OPEN_ROUND = """
mutation($year: Int!, $opens: DateTime!, $closes: DateTime!) {
  openReportingRound(year: $year, opensAt: $opens, closesAt: $closes) {
    round { year open } errors { field code message } } }"""

SAVE_REPORT = """
mutation($input: SaveReportInput!) {
  saveReport(input: $input) {
    report { status version lock { code } } errors { field code message } } }"""

SUBMIT_REPORT = """
mutation($year: Int!, $v: Int!) {
  submitReport(year: $year, version: $v) {
    report { status version lock { code } } errors { field code message } } }"""

RETURN_REPORT = """
mutation($org: String!, $year: Int!, $v: Int!, $reason: String!) {
  returnReport(organizationCode: $org, year: $year, version: $v, reason: $reason) {
    report { status version lock { code } } errors { field code message } } }"""

REPORT = """
query($year: Int!, $org: String) { performanceReport(year: $year, organizationCode: $org) {
  status version
  lines { saved undertaking { id }
          evidence { id filename contentType size sha256 downloadUrl } } } }"""

UPLOAD = """
mutation($u: ID!, $year: Int!, $file: Upload!) {
  uploadEvidence(undertakingId: $u, year: $year, file: $file) {
    evidence { id filename contentType size sha256 uploadedAt downloadUrl }
    errors { field code message } } }"""

DELETE = """
mutation($id: ID!) {
  deleteEvidence(id: $id) { evidence { id filename } errors { field code message } } }"""

# Real files: every upload is parsed (models/file_content.py).
PDF, PNG, JPG, DOCX, HTML = (sample_files.PDF, sample_files.PNG, sample_files.JPG,
                             sample_files.DOCX, sample_files.HTML)


@pytest.fixture(autouse=True)
def evidence_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "evidence"
    monkeypatch.setenv("EVIDENCE_DIR", str(folder))
    monkeypatch.delenv("EVIDENCE_MAX_MB", raising=False)
    return folder


def stored_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def codes(payload: dict[str, Any]) -> list[str]:
    return [e["code"] for e in payload["errors"]]


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


async def accepted_undertaking(api: Api, school: str, number: str = "3.2",
                               quantity: int = 2) -> str:
    """A school's undertaking, declared, submitted and accepted; its global id."""
    token = await api.token(school)
    saved = await save(api, school, school, 0, [row(number, quantity, schoolSelf="5")])
    assert saved["errors"] == [], saved
    submitted = (await api.data(SUBMIT, {"org": school, "v": 1}, token))["submitDeclaration"]
    assert submitted["errors"] == [], submitted
    await confirm(api, school)
    declared = (await api.data(DECLARED, {"org": school}, token))["declaration"]
    return str(next(u["id"] for u in declared["undertakings"] if u["item"]["number"] == number))


async def open_round(api: Api, year: int = YEAR, *, closes_in: timedelta = timedelta(days=30)
                     ) -> dict[str, Any]:
    now = datetime.now(UTC)
    result = (await api.data(OPEN_ROUND, {"year": year, "opens": iso(now - timedelta(days=1)),
                                          "closes": iso(now + closes_in)},
                             await api.token(PROVINCE)))["openReportingRound"]
    assert result["errors"] == [], result
    return dict(result["round"])


async def save_line(api: Api, school: str, undertaking_id: str, version: int = 0
                    ) -> dict[str, Any]:
    entry = {"undertakingId": undertaking_id, "completedQuantity": 1,
             "spent": {"schoolSelf": "2.5"}, "progress": "ON_TRACK", "narrative": "已建成工作室"}
    result = (await api.data(SAVE_REPORT, {"input": {"year": YEAR, "version": version,
                                                     "entries": [entry]}},
                             await api.token(school)))["saveReport"]
    return dict(result)


async def reporting_school(api: Api, school: str = ZZ_SCHOOL_2, quantity: int = 2) -> str:
    """A school with an accepted undertaking whose 2021 line is saved (report version 1)."""
    undertaking = await accepted_undertaking(api, school, quantity=quantity)
    await open_round(api)
    saved = await save_line(api, school, undertaking)
    assert saved["errors"] == [] and saved["report"]["version"] == 1, saved
    return undertaking


async def post_upload(api: Api, user: str | None, undertaking_id: str, filename: str,
                      content: bytes, year: int = YEAR) -> dict[str, Any]:
    """uploadEvidence as a GraphQL multipart request (operations, map, one file part)."""
    operations = {"query": UPLOAD, "variables": {"u": undertaking_id, "year": year,
                                                 "file": None}}
    # Without a token, the header a GraphQL client sends so that a multipart request is no
    # "simple" (CSRF-able) request.
    headers = ({"Authorization": f"Bearer {await api.token(user)}"} if user
               else {"Apollo-Require-Preflight": "true"})
    response = await api.client.post(
        "/graphql", headers=headers,
        data={"operations": json.dumps(operations), "map": json.dumps({"0": ["variables.file"]})},
        files={"0": (filename, content, "application/octet-stream")})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def upload(api: Api, user: str | None, undertaking_id: str, filename: str,
                 content: bytes, year: int = YEAR) -> dict[str, Any]:
    """The payload of an upload that reaches the mutation."""
    body = await post_upload(api, user, undertaking_id, filename, content, year)
    assert "errors" not in body, body
    return dict(body["data"]["uploadEvidence"])


async def download(api: Api, url: str, user: str | None) -> Any:
    headers = {"Authorization": f"Bearer {await api.token(user)}"} if user else {}
    return await api.client.get(url, headers=headers)


async def evidence_of(api: Api, user: str, org: str = ZZ_SCHOOL_2) -> list[dict[str, Any]]:
    report = (await api.data(REPORT, {"year": YEAR, "org": org},
                             await api.token(user)))["performanceReport"]
    return [e for line in report["lines"] for e in line["evidence"]]


async def test_pdf_png_jpg_and_docx_are_stored_by_checksum(api: Api, evidence_dir: Path
                                                           ) -> None:
    # Given a saved report line
    undertaking = await reporting_school(api)
    files = [("名班主任工作室认定文件.pdf", PDF, "application/pdf"),
             ("挂牌照片.PNG", PNG, "image/png"),
             ("现场.jpg", JPG, "image/jpeg"),
             ("建设方案.docx", DOCX,
              "application/vnd.openxmlformats-officedocument.wordprocessingml.document")]

    # When the school uploads four kinds of file
    results = [await upload(api, ZZ_SCHOOL_2, undertaking, name, content)
               for name, content, _ in files]

    # Then each is stored with its size and SHA-256, on disk at EVIDENCE_DIR/sha[:2]/sha
    for (name, content, content_type), result in zip(files, results, strict=True):
        assert result["errors"] == []
        stored = result["evidence"]
        sha = hashlib.sha256(content).hexdigest()
        assert (stored["filename"], stored["contentType"], stored["size"], stored["sha256"]) == (
            name, content_type, len(content), sha)
        assert stored["downloadUrl"].startswith("/files/evidence/")
        assert (evidence_dir / sha[:2] / sha).read_bytes() == content
    listed = await evidence_of(api, ZZ_SCHOOL_2)
    assert [e["sha256"] for e in listed] == [r["evidence"]["sha256"] for r in results]
    assert len(stored_files(evidence_dir)) == 4


async def test_the_same_content_twice_is_stored_once(api: Api, evidence_dir: Path) -> None:
    undertaking = await reporting_school(api)

    first = await upload(api, ZZ_SCHOOL_2, undertaking, "认定文件.pdf", PDF)
    second = await upload(api, ZZ_SCHOOL_2, undertaking, "认定文件（副本）.pdf", PDF)

    assert first["evidence"]["sha256"] == second["evidence"]["sha256"]
    assert first["evidence"]["id"] != second["evidence"]["id"]
    assert len(stored_files(evidence_dir)) == 1
    assert [e["filename"] for e in await evidence_of(api, ZZ_SCHOOL_2)] == [
        "认定文件.pdf", "认定文件（副本）.pdf"]


def slow_disk(monkeypatch: pytest.MonkeyPatch) -> None:
    """Moving a written file into place takes a while, as on a busy disk."""
    replace = Path.replace

    def slow_replace(self: Path, target: Any) -> Path:
        time.sleep(0.3)
        return replace(self, target)

    monkeypatch.setattr(Path, "replace", slow_replace)


async def test_the_same_file_uploaded_at_once_is_stored_once(
        api: Api, evidence_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a saved line, and a disk slow enough that uploads overlap
    undertaking = await reporting_school(api)
    await api.token(ZZ_SCHOOL_2)
    slow_disk(monkeypatch)

    # When the school sends the same file four times at once (a double click, two tabs ...)
    bodies = await asyncio.gather(*[post_upload(api, ZZ_SCHOOL_2, undertaking, f"扫描件{i}.pdf",
                                                PDF) for i in range(4)])

    # Then every upload is answered without an internal error, and one copy is on disk
    assert [b.get("errors") for b in bodies] == [None] * 4
    assert [b["data"]["uploadEvidence"]["errors"] for b in bodies] == [[]] * 4
    sha = hashlib.sha256(PDF).hexdigest()
    assert stored_files(evidence_dir) == [evidence_dir / sha[:2] / sha]
    assert (evidence_dir / sha[:2] / sha).read_bytes() == PDF
    assert await Evidence.filter(sha256=sha).count() == 4


async def test_download_by_who_sees_the_undertaking_only(api: Api) -> None:
    # Given a file of a Zhengzhou school, and a Luoyang school with its own report
    undertaking = await reporting_school(api)
    url = (await upload(api, ZZ_SCHOOL_2, undertaking, "认定文件.pdf", PDF))["evidence"][
        "downloadUrl"]
    await accepted_undertaking(api, LY_SCHOOL)

    # When each asks for it
    allowed = {user: await download(api, url, user) for user in (ZZ_SCHOOL_2, ZHENGZHOU,
                                                                 PROVINCE)}
    denied = {user: await download(api, url, user) for user in (LY_SCHOOL, LUOYANG)}
    anonymous = await download(api, url, None)

    # Then the school, its city and the province get the same bytes; others: not found
    for response in allowed.values():
        assert response.status_code == 200
        assert response.content == PDF
        assert response.headers["content-type"].startswith("application/pdf")
        assert "attachment" in response.headers["content-disposition"]
    assert {u: r.status_code for u, r in denied.items()} == {LY_SCHOOL: 404, LUOYANG: 404}
    assert denied[LY_SCHOOL].json()["error"]["code"] == "NOT_FOUND"
    assert denied[LY_SCHOOL].content != PDF
    assert anonymous.status_code == 401
    assert anonymous.json()["error"]["code"] == "UNAUTHENTICATED"
    for bad in ("/files/evidence/abc", "/files/evidence/999999", "/files/evidence/-1"):
        assert (await download(api, bad, PROVINCE)).status_code == 404


async def test_bad_files_are_refused_and_nothing_is_stored(api: Api, evidence_dir: Path
                                                           ) -> None:
    # Given a saved report line
    undertaking = await reporting_school(api)
    cases = [
        ("setup.exe", b"MZ\x90\x00\x03\x00\x00\x00", "FILE_TYPE_NOT_ALLOWED"),
        ("page.html", HTML, "FILE_TYPE_NOT_ALLOWED"),
        ("认定文件.pdf", HTML, "FILE_TYPE_NOT_ALLOWED"),  # the right extension, HTML inside
        ("照片.png", PDF, "FILE_TYPE_NOT_ALLOWED"),  # a PDF is no PNG either
        ("no-extension", PDF, "FILE_TYPE_NOT_ALLOWED"),
        ("empty.pdf", b"", "FILE_TYPE_NOT_ALLOWED"),
    ]

    # When the school uploads each
    results = [await upload(api, ZZ_SCHOOL_2, undertaking, name, content)
               for name, content, _ in cases]

    # Then each is refused on the file, with a message, and nothing is kept
    for (name, _, code), result in zip(cases, results, strict=True):
        assert result["evidence"] is None, name
        assert [(e["field"], e["code"]) for e in result["errors"]] == [(["file"], code)], name
        assert result["errors"][0]["message"]
    assert await Evidence.all().count() == 0
    assert stored_files(evidence_dir) == []


@pytest.mark.parametrize("filename", ["../x.pdf", "a/b.pdf", "/etc/x.pdf", "..\\..\\x.pdf",
                                      "dir\\x.pdf", "..", "x:y.pdf"])
async def test_names_with_a_path_are_refused(api: Api, evidence_dir: Path,
                                             filename: str) -> None:
    undertaking = await reporting_school(api)

    result = await upload(api, ZZ_SCHOOL_2, undertaking, filename, PDF)

    assert codes(result) == ["INVALID_FILE_NAME"]
    assert result["evidence"] is None
    assert await Evidence.all().count() == 0
    assert stored_files(evidence_dir) == []


@pytest.mark.parametrize("filename", ["C:\\x.pdf", "\\\\server\\share\\x.pdf"])
async def test_a_windows_full_path_arrives_as_its_base_name(api: Api, evidence_dir: Path,
                                                            filename: str) -> None:
    # The multipart parser (python-multipart, for old IE) cuts a drive letter or UNC path off
    # before the API sees the name: the file is kept under its bare name, never the path.
    undertaking = await reporting_school(api)

    result = await upload(api, ZZ_SCHOOL_2, undertaking, filename, PDF)

    assert result["errors"] == [] and result["evidence"]["filename"] == "x.pdf"
    sha = hashlib.sha256(PDF).hexdigest()
    assert stored_files(evidence_dir) == [evidence_dir / sha[:2] / sha]


async def test_a_file_above_the_limit_is_refused(api: Api, evidence_dir: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a limit of 0.01 MB (10485 bytes)
    monkeypatch.setenv("EVIDENCE_MAX_MB", "0.01")
    limit = int(0.01 * 1024 * 1024)
    undertaking = await reporting_school(api)
    at_limit = PDF + b"0" * (limit - len(PDF))
    above = at_limit + b"0"

    # When the school uploads a file one byte above it, then one exactly at it
    refused = await upload(api, ZZ_SCHOOL_2, undertaking, "大文件.pdf", above)
    assert stored_files(evidence_dir) == []
    accepted = await upload(api, ZZ_SCHOOL_2, undertaking, "刚好.pdf", at_limit)

    # Then the first is refused whole, the second kept
    assert [(e["field"], e["code"]) for e in refused["errors"]] == [(["file"], "FILE_TOO_LARGE")]
    assert refused["evidence"] is None
    assert accepted["errors"] == [] and accepted["evidence"]["size"] == limit
    assert [e["filename"] for e in await evidence_of(api, ZZ_SCHOOL_2)] == ["刚好.pdf"]
    assert len(stored_files(evidence_dir)) == 1


async def test_upload_needs_the_line_saved_first(api: Api) -> None:
    # Given an accepted undertaking and an open round, but no saved line
    undertaking = await accepted_undertaking(api, ZZ_SCHOOL_2)
    await open_round(api)

    # When the school uploads before, then after, saving the line
    before = await upload(api, ZZ_SCHOOL_2, undertaking, "认定文件.pdf", PDF)
    await save_line(api, ZZ_SCHOOL_2, undertaking)
    after = await upload(api, ZZ_SCHOOL_2, undertaking, "认定文件.pdf", PDF)

    # Then
    assert [(e["field"], e["code"]) for e in before["errors"]] == [
        (["undertakingId"], "ENTRY_NOT_SAVED")]
    assert before["evidence"] is None
    assert after["errors"] == [] and after["evidence"]["size"] == len(PDF)


async def test_nobody_uploads_for_someone_else(api: Api, evidence_dir: Path) -> None:
    # Given a Zhengzhou school's saved line
    undertaking = await reporting_school(api)

    # When another school, its city, the province and the school itself upload to it
    other_school = await upload(api, LY_SCHOOL, undertaking, "x.pdf", PDF)
    city = await upload(api, ZHENGZHOU, undertaking, "x.pdf", PDF)
    province = await upload(api, PROVINCE, undertaking, "x.pdf", PDF)
    own = await upload(api, ZZ_SCHOOL_2, undertaking, "x.pdf", PDF)

    # Then another school does not even see it; the city and the province may not write
    assert [(e["field"], e["code"]) for e in other_school["errors"]] == [
        (["undertakingId"], "NOT_FOUND")]
    assert codes(city) == ["FORBIDDEN"] and city["evidence"] is None
    assert codes(province) == ["FORBIDDEN"]
    assert own["errors"] == []
    assert await Evidence.all().count() == 1
    assert len(stored_files(evidence_dir)) == 1


async def test_a_submitted_report_locks_its_evidence_until_returned(api: Api) -> None:
    # Given a line with one file, and the report submitted
    undertaking = await reporting_school(api)
    kept = (await upload(api, ZZ_SCHOOL_2, undertaking, "认定文件.pdf", PDF))["evidence"]
    submitted = (await api.data(SUBMIT_REPORT, {"year": YEAR, "v": 1},
                                await api.token(ZZ_SCHOOL_2)))["submitReport"]
    assert submitted["report"]["lock"]["code"] == "DECLARATION_SUBMITTED"

    # When the school uploads and deletes while it waits for review
    locked_upload = await upload(api, ZZ_SCHOOL_2, undertaking, "照片.png", PNG)
    locked_delete = (await api.data(DELETE, {"id": kept["id"]},
                                    await api.token(ZZ_SCHOOL_2)))["deleteEvidence"]

    # Then both are refused and the file stays
    assert codes(locked_upload) == ["DECLARATION_SUBMITTED"]
    assert codes(locked_delete) == ["DECLARATION_SUBMITTED"]
    assert [e["id"] for e in await evidence_of(api, ZZ_SCHOOL_2)] == [kept["id"]]

    # When the city returns it, both work again
    returned = (await api.data(RETURN_REPORT, {"org": ZZ_SCHOOL_2, "year": YEAR, "v": 2,
                                               "reason": "请补充挂牌照片"},
                               await api.token(ZHENGZHOU)))["returnReport"]
    assert returned["errors"] == [] and returned["report"]["lock"] is None
    added = await upload(api, ZZ_SCHOOL_2, undertaking, "照片.png", PNG)
    deleted = (await api.data(DELETE, {"id": kept["id"]},
                              await api.token(ZZ_SCHOOL_2)))["deleteEvidence"]
    assert added["errors"] == [] and deleted["errors"] == []
    assert deleted["evidence"]["id"] == kept["id"]
    assert [e["filename"] for e in await evidence_of(api, ZZ_SCHOOL_2)] == ["照片.png"]


async def test_a_closed_round_refuses_uploads(api: Api) -> None:
    undertaking = await reporting_school(api)
    now = datetime.now(UTC)
    await api.data(OPEN_ROUND, {"year": YEAR, "opens": iso(now - timedelta(days=30)),
                                "closes": iso(now - timedelta(hours=1))},
                   await api.token(PROVINCE))

    result = await upload(api, ZZ_SCHOOL_2, undertaking, "认定文件.pdf", PDF)

    assert codes(result) == ["DEADLINE_PASSED"]
    assert await Evidence.all().count() == 0


async def test_only_the_owner_deletes_evidence(api: Api, evidence_dir: Path) -> None:
    # Given a Zhengzhou school's file
    undertaking = await reporting_school(api)
    stored = (await upload(api, ZZ_SCHOOL_2, undertaking, "认定文件.pdf", PDF))["evidence"]

    # When another school, the school's city, then the school delete it
    by_other = (await api.data(DELETE, {"id": stored["id"]},
                               await api.token(LY_SCHOOL)))["deleteEvidence"]
    by_city = (await api.data(DELETE, {"id": stored["id"]},
                              await api.token(ZHENGZHOU)))["deleteEvidence"]
    still_there = await evidence_of(api, ZZ_SCHOOL_2)
    by_owner = (await api.data(DELETE, {"id": stored["id"]},
                               await api.token(ZZ_SCHOOL_2)))["deleteEvidence"]

    # Then only the owner's delete works; the download is gone with it
    assert [(e["field"], e["code"]) for e in by_other["errors"]] == [(["id"], "NOT_FOUND")]
    assert codes(by_city) == ["FORBIDDEN"]
    assert [e["id"] for e in still_there] == [stored["id"]]
    assert by_owner["errors"] == [] and by_owner["evidence"]["filename"] == "认定文件.pdf"
    assert await evidence_of(api, ZZ_SCHOOL_2) == []
    assert (await download(api, stored["downloadUrl"], ZZ_SCHOOL_2)).status_code == 404
    again = (await api.data(DELETE, {"id": stored["id"]},
                            await api.token(ZZ_SCHOOL_2)))["deleteEvidence"]
    assert codes(again) == ["NOT_FOUND"]


async def test_no_upload_leaves_its_temporary_file_open(api: Api,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a saved line, and every temporary file the multipart parser makes recorded
    undertaking = await reporting_school(api)
    made: list[SpooledTemporaryFile[bytes]] = []

    class Recorded(SpooledTemporaryFile):  # type: ignore[type-arg]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            made.append(self)

    monkeypatch.setattr(starlette.formparsers, "SpooledTemporaryFile", Recorded)

    # When the school uploads, then someone without a token (refused before any resolver)
    own = await post_upload(api, ZZ_SCHOOL_2, undertaking, "认定文件.pdf", PDF)
    anonymous = await post_upload(api, None, undertaking, "认定文件.pdf", PDF)

    # Then both are answered and neither request leaves its file open for the garbage
    # collector (which warns, and holds a descriptor until then for a file above 1 MB)
    still_open = [f for f in made if not f.closed]
    for f in still_open:
        f.close()
    assert own["data"]["uploadEvidence"]["errors"] == []
    assert anonymous["data"] is None
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert await Evidence.all().count() == 1
    assert len(made) == 2
    assert still_open == [], "the unauthenticated upload's temporary file was left open"
