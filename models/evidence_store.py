"""Where evidence bytes live, content-addressed by their SHA-256.

One interface, chosen by EVIDENCE_STORE:
- `local` (the default): a folder, EVIDENCE_DIR, `<dir>/<sha[:2]>/<sha>`. One machine, or
  a folder every host mounts.
- `database`: the table evidence_blob in the platform's own database (bytea on PostgreSQL),
  so every server process on every host that reaches the database reads every file, and the
  database's backup holds them too.
The same bytes uploaded twice are stored once, and a stored file can always be checked
against its name.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from pathlib import Path
from typing import Protocol

from tortoise import fields
from tortoise.exceptions import IntegrityError
from tortoise.models import Model

from models.clock import now_utc


class EvidenceStore(Protocol):
    async def put(self, sha256: str, content: bytes) -> None:
        """Store `content` under its checksum (nothing happens if it is stored already)."""

    async def get(self, sha256: str) -> bytes | None:
        """The stored bytes, or None when they are missing (a restore without them)."""


def storage_dir() -> Path:
    return Path(os.environ.get("EVIDENCE_DIR", "data/evidence"))


class LocalStore:
    """A folder on this machine (EVIDENCE_DIR)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def path_of(self, sha256: str) -> Path:
        return self.folder / sha256[:2] / sha256

    async def put(self, sha256: str, content: bytes) -> None:
        await asyncio.to_thread(_write, self.path_of(sha256), content)

    async def get(self, sha256: str) -> bytes | None:
        try:
            return await asyncio.to_thread(self.path_of(sha256).read_bytes)
        except FileNotFoundError:
            return None


def _write(path: Path, content: bytes) -> None:
    if path.exists():
        return  # the same content is stored already
    path.parent.mkdir(parents=True, exist_ok=True)
    # A temporary name of its own: two uploads of the same file at once must not share one.
    fd, temporary = tempfile.mkstemp(dir=path.parent, suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(content)
        os.replace(temporary, path)  # atomic: a reader never sees half a file
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


class EvidenceBlob(Model):
    """An evidence file's bytes, by their SHA-256 (EVIDENCE_STORE=database)."""

    sha256 = fields.CharField(max_length=64, primary_key=True)
    content = fields.BinaryField()
    size = fields.IntField()
    stored_at = fields.DatetimeField()

    class Meta:
        table = "evidence_blob"


class DatabaseStore:
    """The platform's database: what every process on every host already reaches."""

    async def put(self, sha256: str, content: bytes) -> None:
        if await EvidenceBlob.exists(sha256=sha256):
            return  # the same content is stored already
        try:
            await EvidenceBlob.create(sha256=sha256, content=content, size=len(content),
                                      stored_at=now_utc())
        except IntegrityError:
            pass  # the same file uploaded at the same moment by another request

    async def get(self, sha256: str) -> bytes | None:
        rows = await EvidenceBlob.filter(sha256=sha256).values_list("content", flat=True)
        return bytes(rows[0]) if rows else None


STORES = ("local", "database")


def store_name() -> str:
    name = os.environ.get("EVIDENCE_STORE", "local").strip().lower() or "local"
    if name not in STORES:
        raise ValueError(f"EVIDENCE_STORE must be one of {', '.join(STORES)}, not {name!r}")
    return name


def evidence_store() -> EvidenceStore:
    """The store the settings name (read on every call: tests switch it)."""
    return DatabaseStore() if store_name() == "database" else LocalStore(storage_dir())
