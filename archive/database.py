"""Opening an archive: one SQLAlchemy URL decides SQLite (default, one file) or PostgreSQL."""

from __future__ import annotations

import errno
import importlib.util
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session, sessionmaker

DEFAULT_URL = "sqlite:///data/dddn-archive.sqlite"
URL_ENV = "ARCHIVE_DB_URL"
SQLITE_BUSY_MS = 30_000


def _json_text(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()  # as json.dumps: 1 -> "1"


# Extractions' fields are most of what the archive writes and reads back. orjson is several times faster
# than the standard library both ways, and stores Vietnamese as UTF-8 (2–3 bytes a letter) instead of
# \uXXXX escapes (6 bytes), so rows, pages and WAL checkpoints shrink with it.
JSON_CODEC: dict[str, Any] = {"json_serializer": _json_text, "json_deserializer": orjson.loads}


class ArchiveError(Exception):
    """A problem the user can act on; the CLI prints it as one line."""


# What the databases say when the disk is full: SQLite's SQLITE_FULL, PostgreSQL's disk_full (53100)
DISK_FULL = ("database or disk is full", "no space left on device", "could not extend file", "disk full")


RESERVE_BYTES = 256 * 1024  # ample for the last writes of a run: its record, a checkpoint's pages


def first_line(exc: BaseException) -> str:
    """An error's message cut to its first line (a driver's carries the statement after it)."""
    return (str(exc).splitlines() or [type(exc).__name__])[0]


def out_of_space(exc: BaseException) -> bool:
    """Whether a write to the archive failed for lack of space, on either database."""
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        return True
    return getattr(exc, "sqlstate", None) == "53100" or any(f in str(exc).lower() for f in DISK_FULL)


def database_url(url: str | None = None) -> str:
    return url or os.environ.get(URL_ENV) or DEFAULT_URL


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    config.attributes["engine"] = engine
    return config


def make_engine(url: str, create: bool = True, read_only: bool = False) -> Engine:
    """`create=False` opens only an archive that exists: a mistyped path is an error, never a new file.
    `read_only` asks the database itself to refuse writes (SQLite `mode=ro`, a read-only PostgreSQL
    session), so that nothing a reader runs can change the archive, by mistake or by attack. An SQLite
    file this process cannot write is opened so whatever is asked."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ArchiveError(f"not a database URL: {url!r} (try sqlite:///path/file.sqlite)") from None
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            path = Path(parsed.database)
            if (not create or read_only) and not path.is_file():
                raise ArchiveError(f"no archive at {path}: check --db or ARCHIVE_DB_URL")
            # One this process cannot write (read-only media, or a file or folder it may not write, where
            # SQLite keeps its journal) is opened as read-only as asked for.
            read_only = read_only or (path.is_file() and not (os.access(path, os.W_OK)
                                                               and os.access(path.parent, os.W_OK)))
            if read_only:
                query = {"mode": "ro", "uri": "true"}
                if not os.access(path.parent, os.W_OK) and not _has_wal(path):
                    # No -shm can be made beside it, and no writer can exist: SQLite reads it as it stands.
                    query["immutable"] = "1"
                parsed = parsed.set(database=f"file:{path.resolve()}", query=query)
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(parsed, connect_args={"timeout": SQLITE_BUSY_MS / 1000}, **JSON_CODEC)
        event.listen(engine, "connect", _sqlite_read_only if read_only else _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    if parsed.get_backend_name() == "postgresql":
        if importlib.util.find_spec("psycopg") is None:
            raise ArchiveError("a PostgreSQL archive needs psycopg: pip install 'dddn-archive[postgres]'")
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        options = {"options": "-c default_transaction_read_only=on"} if read_only else {}
        return create_engine(parsed, pool_pre_ping=True, connect_args=options, **JSON_CODEC)
    raise ArchiveError(f"unsupported database {parsed.get_backend_name()!r}: use sqlite:/// or postgresql://")


def _has_wal(path: Path) -> bool:
    wal = path.with_name(path.name + "-wal")
    return wal.is_file() and wal.stat().st_size > 0


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    dbapi_conn.isolation_level = None  # transactions are begun explicitly (BEGIN IMMEDIATE) by the "begin" hook
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")  # readers never wait for the writer
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_MS}")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def _sqlite_read_only(dbapi_conn: Any, _record: Any) -> None:
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA query_only=ON")  # a second lock besides mode=ro, which a writable file would not need
    cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_MS}")
    cur.close()


def _sqlite_begin(conn: Any) -> None:
    # Writers take the write lock up front, so that two writers queue (busy timeout) instead of one
    # failing on a stale snapshot; readers begin deferred and never wait in WAL mode.
    conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("write") else "BEGIN")


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision(engine: Engine) -> str | None:
    return ScriptDirectory.from_config(alembic_config(engine)).get_current_head()


def upgrade(engine: Engine) -> None:
    logging.getLogger("alembic").setLevel(logging.WARNING)  # a crawl's log is not the place for DDL chatter
    command.upgrade(alembic_config(engine), "head")


class Archive:
    """An open archive: its engine and a session factory. New databases are migrated on open, unless
    `create` is False: then only an existing archive opens (what every read-only command wants).
    `read_only` also has the database refuse every write: what a server of the archive wants."""

    def __init__(self, url: str | None = None, migrate: bool = True, create: bool = True,
                 read_only: bool = False) -> None:
        self.url = database_url(url)
        self.engine = make_engine(self.url, create and not read_only, read_only)
        self.read_only = read_only or self.engine.url.query.get("mode") == "ro"
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        try:
            revision = current_revision(self.engine)
        except Exception as exc:  # a wrong password, a refused connection, a file that is not SQLite
            raise ArchiveError(f"cannot open {self.safe_url}: {first_line(exc)}") from None
        if revision is None and (self.read_only or not create):
            self.engine.dispose()
            raise ArchiveError(f"{self.safe_url} holds no archive yet: a crawl or `archive import` creates one")
        if revision is None and migrate and not self.read_only:
            upgrade(self.engine)
        elif revision != head_revision(self.engine) and (migrate or self.read_only):
            raise ArchiveError(f"{self.safe_url} is at schema {revision}; run `archive db upgrade`")

    @property
    def safe_url(self) -> str:
        return make_url(self.url).render_as_string(hide_password=True)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def transaction(self, write: bool = True) -> Iterator[Session]:
        """One unit of work: committed whole, or rolled back whole."""
        if write and self.read_only:
            raise ArchiveError(f"{self.safe_url} is read-only (read-only media, or a file this user may not "
                               "write): it can be searched and audited, never changed")
        with self.sessions() as session, session.begin():
            session.connection(execution_options={"write": write})
            yield session

    def keep_reserve(self) -> None:
        """A small file beside a SQLite archive that a full disk can give back (`release_reserve`), so that
        the run that filled it can still record how it ended. Left out when there is no room for it."""
        if (path := self._reserve_path()) is not None and not path.exists():
            try:
                path.write_bytes(bytes(RESERVE_BYTES))
            except OSError:
                path.unlink(missing_ok=True)

    def release_reserve(self) -> None:
        if (path := self._reserve_path()) is not None:
            path.unlink(missing_ok=True)

    def _reserve_path(self) -> Path | None:
        database = make_url(self.url).database
        if self.dialect != "sqlite" or self.read_only or not database or database == ":memory:":
            return None
        return Path(database + ".reserve")

    def close(self) -> None:
        self.engine.dispose()
