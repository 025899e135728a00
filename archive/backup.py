"""`archive backup`: a consistent copy of a SQLite archive, taken while crawls write, and its audit.

SQLite's online backup copies the database in one read transaction, so the copy is the archive as it
stood at one moment, whatever writers do meanwhile (in WAL mode they go on, unblocked). The copy then
passes the same fixity audit as the archive itself (`archive.verify`), opened read-only.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

from sqlalchemy.engine import make_url

from archive.database import SQLITE_BUSY_MS, Archive
from archive.verify import Audit, verify


def copy(archive: Archive, dest: Path) -> int:
    """The archive copied into `dest` (a new file) in one step; its size in bytes."""
    source = make_url(archive.url).database
    assert source, "a SQLite archive has a file"
    with sqlite3.connect(f"file:{Path(source).resolve()}?mode=ro", uri=True, timeout=SQLITE_BUSY_MS / 1000) as src, \
            sqlite3.connect(dest) as dst:
        src.backup(dst)  # every page at once: one consistent snapshot
        dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
    return dest.stat().st_size


def check(copy_path: Path, on_bodies: Callable[[int], None] = lambda n: None,
          on_total: Callable[[int], None] = lambda n: None) -> Audit:
    """The full audit of a copy, read-only (a copy is never written, not even a run record)."""
    archive = Archive(f"sqlite:///{copy_path}", read_only=True)
    try:
        return verify(archive, on_bodies=on_bodies, on_total=on_total)
    finally:
        archive.close()
