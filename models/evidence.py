"""Evidence files: checked by name, size, extension and content (models/file_content.py
parses each kind), stored by their SHA-256.

The bytes live in the evidence store (models/evidence_store.py: a folder by default),
content-addressed, so the same file uploaded twice is stored once.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import unicodedata
from datetime import datetime
from pathlib import Path

from models import object_history
from models.errors import Code, DomainError
from models.evidence_store import evidence_store
from models.file_content import check_content
from models.object_history import HistoryEvent, report_subject
from models.performance import Evidence, PerformanceEntry, PerformanceReport, ReportingRound
from models.reports import report_lock, window_for
from models.transaction import write_transaction
from models.undertaking import Undertaking
from models.workflow import within_window

# Extension -> (content type, the first bytes such a file starts with).
_ZIP = b"PK\x03\x04"  # docx, xlsx, pptx, odt, ods are zip containers
_OLE = b"\xd0\xcf\x11\xe0"  # doc, xls, ppt
ALLOWED: dict[str, tuple[str, tuple[bytes, ...]]] = {
    ".pdf": ("application/pdf", (b"%PDF-",)),
    ".png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    ".jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".doc": ("application/msword", (_OLE,)),
    ".xls": ("application/vnd.ms-excel", (_OLE,)),
    ".ppt": ("application/vnd.ms-powerpoint", (_OLE,)),
    ".docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", (_ZIP,)),
    ".xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (_ZIP,)),
    ".pptx": ("application/vnd.openxmlformats-officedocument.presentationml.presentation",
              (_ZIP,)),
    ".odt": ("application/vnd.oasis.opendocument.text", (_ZIP,)),
    ".ods": ("application/vnd.oasis.opendocument.spreadsheet", (_ZIP,)),
}
MAX_NAME = 120
_BAD_NAME = re.compile(r'[\\/:*?"<>|\x00-\x1f]')
# Control, format (bidi overrides such as U+202E turn "gpj.exe" into "exe.jpg" on screen,
# zero-width characters), separator and private characters have no place in a file name.
_BAD_CATEGORIES = {"Cc", "Cf", "Co", "Cs", "Zl", "Zp"}


def max_bytes() -> int:
    return int(float(os.environ.get("EVIDENCE_MAX_MB", "20")) * 1024 * 1024)


def check_file(filename: str, content: bytes) -> str:
    """The content type of an acceptable file, or the reason it is refused (CPU-bound on
    a large file: call it off the event loop)."""
    size = len(content)
    if (not filename or len(filename) > MAX_NAME or _BAD_NAME.search(filename)
            or any(unicodedata.category(ch) in _BAD_CATEGORIES for ch in filename)
            or filename.strip(". ") != filename.strip() or ".." in filename):
        raise DomainError(Code.INVALID_FILE_NAME,
                          "文件名不能包含路径、控制字符或 \\ / : * ? \" < > | 等字符，"
                          "且不超过120个字",
                          "file")
    if size > max_bytes():
        raise DomainError(Code.FILE_TOO_LARGE,
                          f"文件不能超过 {max_bytes() / (1024 * 1024):g} MB", "file")
    if size == 0:
        raise DomainError(Code.FILE_TYPE_NOT_ALLOWED, "文件是空的", "file")
    extension = Path(filename).suffix.lower()
    if extension not in ALLOWED:
        raise DomainError(Code.FILE_TYPE_NOT_ALLOWED,
                          "只能上传 PDF、图片（PNG/JPG）或 Office 文档", "file")
    content_type, signatures = ALLOWED[extension]
    if not any(content.startswith(sig) for sig in signatures):
        raise DomainError(Code.FILE_TYPE_NOT_ALLOWED,
                          f"文件内容与扩展名 {extension} 不符", "file")
    check_content(extension, content)
    return content_type


async def attach(actor_id: int, entry: PerformanceEntry, filename: str,
                 content: bytes) -> Evidence:
    """Store a file for an editable report line."""
    report = await PerformanceReport.get(id=entry.report_id)
    lock = await report_lock(report)
    if lock:
        raise lock
    content_type = await asyncio.to_thread(check_file, filename.strip(), content)
    sha256 = hashlib.sha256(content).hexdigest()
    await evidence_store().put(sha256, content)
    round_ = await ReportingRound.get(id=report.round_id)
    # Writing a large file takes time: the window that holds is checked at the commit.
    async with within_window(lambda: window_for(report.organization_id, round_)) as at:
        stored = await Evidence.create(entry=entry, filename=filename.strip(),
                                       content_type=content_type, size=len(content),
                                       sha256=sha256, uploaded_by_id=actor_id, uploaded_at=at)
        await _event(report, entry, HistoryEvent.EVIDENCE_UPLOADED, stored.filename, at)
        return stored


async def remove(evidence: Evidence) -> None:
    entry = await PerformanceEntry.get(id=evidence.entry_id)
    report = await PerformanceReport.get(id=entry.report_id)
    lock = await report_lock(report)
    if lock:
        raise lock
    async with write_transaction() as at:
        await evidence.delete()  # the bytes stay: another upload may share them
        await _event(report, entry, HistoryEvent.EVIDENCE_DELETED, evidence.filename, at)


async def _event(report: PerformanceReport, entry: PerformanceEntry, event: HistoryEvent,
                 filename: str, at: datetime) -> None:
    """An upload or a deletion in the history of the report the file belongs to."""
    undertaking = await Undertaking.get(id=entry.undertaking_id).prefetch_related("item")
    await object_history.record(report_subject(report.organization_id, report.round_id), event,
                                item_number=undertaking.item.number, file_name=filename, at=at)


async def read(evidence: Evidence) -> bytes:
    return await read_stored(evidence.sha256)


async def read_stored(sha256: str) -> bytes:
    """Stored bytes (evidence, notice attachments); EVIDENCE_MISSING when the store has lost
    them (restored from a backup without them): a clear 404, not an internal error."""
    content = await evidence_store().get(sha256)
    if content is None:
        raise DomainError(Code.EVIDENCE_MISSING,
                          "文件内容已丢失（存储中找不到），请联系管理员从备份恢复", "id")
    return content
