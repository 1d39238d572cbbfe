"""Uploads are checked by content: each kind is parsed by its library, polyglots (a magic
number, then HTML or a program) are refused, and so are names with control or bidi
characters. Through the multipart endpoint, with nothing stored for a refused file."""

from __future__ import annotations

from pathlib import Path

import pytest

from models import Evidence
from tests import sample_files as files
from tests.conftest import ZZ_SCHOOL_2, Api
from tests.test_evidence import codes, evidence_dir, reporting_school, stored_files, upload

__all__ = ["evidence_dir"]  # the fixture, imported for these tests

REFUSED = [
    ("polyglot.png", files.PNG_THEN_SCRIPT),
    ("照片.png", files.PNG_IMAGE_THEN_SCRIPT),
    ("认定文件.pdf", files.PDF_THEN_HTML),
    ("认定文件.pdf", files.PDF_THEN_EXE),
    ("认定文件.pdf", files.FAKE_PDF),
    ("照片.png", files.FAKE_PNG),
    ("照片.jpg", files.PNG),  # a real PNG is no JPEG
    ("方案.docx", files.DOCX_WITH_MACROS),
    ("方案.docx", b"PK\x03\x04" + b"\x00" * 60),  # zip magic, no archive
    ("方案.xlsx", files.ooxml().replace(b"[Content_Types].xml", b"[Content_Typez].xml")),
    ("方案.doc", b"\xd0\xcf\x11\xe0" + b"\x00" * 60),  # OLE magic, no compound file
]


@pytest.mark.parametrize(("name", "content"), REFUSED,
                         ids=[f"{i}-{n}" for i, (n, _) in enumerate(REFUSED)])
async def test_files_that_are_not_what_they_claim_are_refused(
        api: Api, evidence_dir: Path, name: str, content: bytes) -> None:
    undertaking = await reporting_school(api)

    result = await upload(api, ZZ_SCHOOL_2, undertaking, name, content)

    assert codes(result) == ["FILE_TYPE_NOT_ALLOWED"], result
    assert result["errors"][0]["field"] == ["file"] and result["errors"][0]["message"]
    assert await Evidence.all().count() == 0
    assert stored_files(evidence_dir) == []


@pytest.mark.parametrize(("name", "content"), [
    ("方案.pdf", files.PDF), ("照片.png", files.PNG), ("照片.jpeg", files.JPG),
    ("方案.docx", files.DOCX)])
async def test_real_files_of_each_kind_are_taken(api: Api, evidence_dir: Path, name: str,
                                                content: bytes) -> None:
    undertaking = await reporting_school(api)

    result = await upload(api, ZZ_SCHOOL_2, undertaking, name, content)

    assert result["errors"] == [] and result["evidence"]["size"] == len(content)


@pytest.mark.parametrize("name", ["报告\u202efdp.exe.pdf", "a\u200bb.pdf",
                                  "del\x7f.pdf", "csi\x9b.pdf",
                                  "iso\u2066x\u2069.pdf", "line\u2028break.pdf"])
async def test_names_with_control_or_bidi_characters_are_refused(
        api: Api, evidence_dir: Path, name: str) -> None:
    undertaking = await reporting_school(api)

    result = await upload(api, ZZ_SCHOOL_2, undertaking, name, files.PDF)
    plain = await upload(api, ZZ_SCHOOL_2, undertaking, "报告.pdf", files.PDF)

    assert codes(result) == ["INVALID_FILE_NAME"]
    assert plain["errors"] == [] and plain["evidence"]["filename"] == "报告.pdf"
    assert await Evidence.all().count() == 1
