"""One run at a time per archive: a lock file beside a SQLite archive, an advisory lock on PostgreSQL.

Both vanish with the process that holds them, so a run killed with SIGKILL never leaves a stale lock.
"""

from __future__ import annotations

import fcntl
import hashlib
from pathlib import Path
from typing import IO, Any

from sqlalchemy import text
from sqlalchemy.engine import make_url

from archive.database import Archive


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
