"""Where evidence bytes live, content-addressed by their SHA-256.

One interface, chosen by EVIDENCE_STORE: `local` (the default, a folder under EVIDENCE_DIR:
one machine) keeps every file at `<dir>/<sha[:2]>/<sha>`. The same bytes uploaded twice are
stored once, and a stored file can always be checked against its name.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from pathlib import Path
from typing import Protocol


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


def evidence_store() -> EvidenceStore:
    """The store the settings name (read on every call: tests point EVIDENCE_DIR elsewhere)."""
    return LocalStore(storage_dir())
