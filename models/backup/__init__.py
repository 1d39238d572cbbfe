"""Backup and restore: the database and every evidence file, with a manifest to verify.

`taskplatform backup DIR` writes, into a new or empty folder:
  database.sqlite3 | database.dump   SQLite: a copy by the online backup API (one consistent
                                     snapshot while the server saves; a `cp` of a WAL database
                                     misses recent commits). PostgreSQL: pg_dump's custom
                                     format, taken in an exported snapshot
  evidence/<sha[:2]>/<sha>           every file the snapshot's evidence rows name
  manifest.json                      written last: format, dialect, the applied migrations,
                                     per-table row counts and checksums of their contents (of
                                     the same snapshot), the checksum of the database file and
                                     of every evidence file
`taskplatform restore DIR` checks every checksum before it touches anything, refuses a
backup that does not match (BackupError, a Chinese message), restores, and checks the
restored tables against the manifest.
"""

from __future__ import annotations

from models.backup.manifest import BackupError
from models.backup.run import backup, restore

__all__ = ["BackupError", "backup", "restore"]
