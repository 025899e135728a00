"""One run at a time per archive: a lock file beside a SQLite archive, an advisory lock on PostgreSQL.
Both vanish with the process that holds them, so a run killed with SIGKILL never leaves a stale lock.

And one writer at a time per article: concurrent ingest (several crawler processes, a re-extraction
beside a crawl) serialises on each article it touches, so versions are numbered by one writer at a time.
"""

from __future__ import annotations

import fcntl
import hashlib
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from archive.database import Archive

LOCK_ARTICLE = text("SELECT pg_advisory_xact_lock(:k)")


class Locked(Exception):
    """Another run holds the archive."""


class RunLock:
    def __init__(self, archive: Archive, name: str = "crawl") -> None:
        self.archive, self.name = archive, name
        self._file: IO[str] | None = None
        self._conn: Any = None

    def acquire(self) -> None:
        if self.archive.dialect == "sqlite":
            database = make_url(self.archive.url).database or ":memory:"
            path = Path(f"{database}.{self.name}.lock")
            self._file = path.open("a+")
            try:
                fcntl.flock(self._file, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                self._file.close()
                self._file = None
                raise Locked(f"another {self.name} run is using {self.archive.safe_url} (lock {path})") from None
            return
        key = int.from_bytes(hashlib.sha256(f"dddn-archive:{self.name}".encode()).digest()[:8], "big", signed=True)
        self._conn = self.archive.engine.connect()
        if not self._conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar():
            self._conn.close()
            self._conn = None
            raise Locked(f"another {self.name} run is using {self.archive.safe_url}")
        self._conn.commit()

    def release(self) -> None:
        if self._file is not None:
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None
        if self._conn is not None:
            self._conn.close()  # the advisory lock goes with the session
            self._conn = None


def article_key(site_id: int | None, canonical_url: str) -> int:
    """The advisory-lock key of one article: its site id when the URL carries one (aliases of an article
    share it), else its canonical URL."""
    identity = f"site:{site_id}" if site_id is not None else f"url:{canonical_url}"
    return int.from_bytes(hashlib.sha256(f"dddn-archive:article:{identity}".encode()).digest()[:8], "big", signed=True)


def lock_articles(session: Session, keys: Iterable[int]) -> None:
    """Serialises writers of the same articles until the transaction ends: on PostgreSQL, transaction
    advisory locks, taken in one order so that two writers never deadlock. SQLite needs none: its
    writers take the database's one write lock (BEGIN IMMEDIATE)."""
    if session.get_bind().dialect.name != "postgresql":
        return
    conn = session.connection()
    for key in sorted(set(keys)):
        conn.execute(LOCK_ARTICLE, {"k": key})
