"""SIGKILL at any moment of a batch ingest leaves a consistent archive that a rerun completes; readers
keep working while a writer ingests."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from archive.database import Archive
from archive.queries import stats
from tests.archive.feed import record, write_warc
from tests.replica import Replica

TRIALS = 6


@pytest.fixture(scope="module")
def capture(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    path = tmp_path_factory.mktemp("crash") / "site.warc.gz"
    with Replica(articles=220, seed=13) as rep:
        urls = [t["canonical_url"] for t in rep.truth() if t["status"] == "live" and t["kind"] == "normal"][:80]
        write_warc(str(path), [record(u) for u in urls])
        alias = rep.host_alias
    return path, alias


def start_import(db: Path, capture: tuple[Path, str]) -> subprocess.Popen[bytes]:
    path, alias = capture
    return subprocess.Popen([sys.executable, "-m", "archive", "--db", f"sqlite:///{db}", "import", str(path),
                             "--alias", alias], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def check_consistent(db: Path) -> dict[str, int]:
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if not tables:  # killed before its first migration committed: an empty file, never half a schema
            return dict.fromkeys(("fetches", "articles", "versions", "raw_bodies"), 0)
        assert {"alembic_version", "fetches", "articles", "versions", "raw_bodies"} <= tables, tables
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        one = conn.execute
        assert one("SELECT count(*) FROM fetches f LEFT JOIN extractions e ON e.fetch_id = f.id "
                   "WHERE f.status = 200 AND e.id IS NULL").fetchone()[0] == 0, "a fetch without its extraction"
        assert one("SELECT count(*) FROM articles a WHERE NOT EXISTS (SELECT 1 FROM versions v "
                   "WHERE v.article_id = a.id)").fetchone()[0] == 0, "an article without versions"
        assert one("SELECT count(*) FROM (SELECT article_id, max(number) m, count(*) c FROM versions "
                   "GROUP BY article_id) WHERE m != c").fetchone()[0] == 0, "a gap in version numbers"
        tables = ("fetches", "articles", "versions", "raw_bodies")
        return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}
    finally:
        conn.close()


@pytest.mark.slow
def test_sigkill_at_random_moments(capture: tuple[Path, str], tmp_path: Path) -> None:
    reference = tmp_path / "reference.sqlite"
    started = time.monotonic()
    assert start_import(reference, capture).wait(timeout=600) == 0
    duration = time.monotonic() - started
    complete = check_consistent(reference)
    rng = random.Random(2026)
    for trial in range(TRIALS):
        db = tmp_path / f"trial-{trial}.sqlite"
        proc = start_import(db, capture)
        time.sleep(rng.uniform(0.1, duration))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        if db.exists():
            partial = check_consistent(db)
            assert all(partial[k] <= complete[k] for k in complete)
        assert start_import(db, capture).wait(timeout=600) == 0
        assert check_consistent(db) == complete, f"trial {trial}: the rerun did not complete the archive"


@pytest.mark.slow
def test_a_reader_works_while_a_writer_ingests(capture: tuple[Path, str], tmp_path: Path) -> None:
    db = tmp_path / "busy.sqlite"
    Archive(f"sqlite:///{db}").close()  # migrated before the writer starts
    writer = start_import(db, capture)
    seen: list[int] = []
    try:
        while writer.poll() is None:
            reader = Archive(f"sqlite:///{db}")
            with reader.transaction(write=False) as session:
                seen.append(stats(session).fetches)
            reader.close()
            time.sleep(0.05)
    finally:
        os.kill(writer.pid, signal.SIGTERM) if writer.poll() is None else None
    assert writer.returncode == 0
    assert len(seen) > 5 and seen == sorted(seen) and seen[-1] > seen[0]
