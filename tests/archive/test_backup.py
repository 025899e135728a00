"""`archive backup` of a SQLite archive while others write, and the portable backup of any archive (a WARC
of every fetch) restored into a fresh PostgreSQL database."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from archive.cli import cli
from archive.database import Archive
from archive.ingest import Ingestor
from tests.archive.feed import ingest_all, record, write_warc
from tests.archive.test_export import state
from tests.extract_eval import replica_rules
from tests.replica import Replica
from tests.services import create_database


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path]]:
    """An archive of 40 replica articles, and a WARC of 200 more pages for a writer to import meanwhile."""
    folder = tmp_path_factory.mktemp("backup")
    with Replica(articles=400, seed=12) as rep:
        urls = [t["canonical_url"] for t in rep.truth() if t["status"] == "live" and t["kind"] == "normal"]
        archive = Archive(f"sqlite:///{folder / 'archive.sqlite'}")
        ingest_all(Ingestor(archive, replica_rules(rep)), urls[:40])
        archive.close()
        write_warc(str(folder / "more.warc.gz"), [record(u) for u in urls[40:240]])
    yield folder / "archive.sqlite", folder / "more.warc.gz"


def backup(db: Path, dest: Path) -> Result:
    return CliRunner().invoke(cli, ["--db", f"sqlite:///{db}", "backup", str(dest)])


def test_a_backup_is_a_verified_archive_that_restores_by_copying_it_back(pages: tuple[Path, Path],
                                                                         tmp_path: Path) -> None:
    db, _ = pages
    result = backup(db, tmp_path / "copy.sqlite")
    assert result.exit_code == 0, result.output
    assert "verified" in result.output and "0 problems" in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["copy.sqlite"]  # renamed at the end, nothing beside
    restored = tmp_path / "restored.sqlite"
    restored.write_bytes((tmp_path / "copy.sqlite").read_bytes())  # restoring: the copy back in place
    assert state(f"sqlite:///{restored}") == state(f"sqlite:///{db}")


@pytest.mark.slow
def test_a_backup_taken_while_an_import_writes_and_is_killed_is_whole(pages: tuple[Path, Path],
                                                                      tmp_path: Path) -> None:
    source, more = pages
    db = tmp_path / "busy.sqlite"
    db.write_bytes(source.read_bytes())
    writer = subprocess.Popen([sys.executable, "-m", "archive", "--db", f"sqlite:///{db}", "import", str(more)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while _fetches(db) < 60 and time.monotonic() < deadline:
            time.sleep(0.05)
        copies = []
        for n in range(3):
            result = backup(db, tmp_path / f"copy-{n}.sqlite")
            assert result.exit_code == 0, result.output
            copies.append(_fetches(tmp_path / f"copy-{n}.sqlite"))
            if n == 1:
                writer.send_signal(signal.SIGKILL)  # the writer dies while the archive is being copied
    finally:
        writer.kill()
        writer.wait()
    assert copies[0] >= 40 and copies == sorted(copies)  # each a moment of the archive, none torn
    audit = CliRunner().invoke(cli, ["--db", f"sqlite:///{db}", "verify"])
    assert audit.exit_code == 0, audit.output


def _fetches(db: Path) -> int:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    try:
        return int(conn.execute("SELECT count(*) FROM fetches").fetchone()[0])
    except sqlite3.OperationalError:
        return 0
    finally:
        conn.close()


@pytest.mark.parametrize("where", ["exists", "no folder", "no archive"])
def test_bad_input_is_one_line_and_writes_nothing(pages: tuple[Path, Path], tmp_path: Path, where: str) -> None:
    db, _ = pages
    dest = {"exists": tmp_path / "taken.sqlite", "no folder": tmp_path / "missing" / "copy.sqlite",
            "no archive": tmp_path / "copy.sqlite"}[where]
    if where == "exists":
        dest.write_text("mine")
    source = tmp_path / "nothing.sqlite" if where == "no archive" else db
    before = sorted(tmp_path.iterdir())
    result = backup(source, dest)
    assert result.exit_code == 1 and result.output.count("\n") == 1 and "Traceback" not in result.output
    assert sorted(tmp_path.iterdir()) == before


@pytest.mark.slow
def test_a_postgresql_archive_is_pointed_to_pg_dump_and_its_warc_restores_it(postgres: str, replica: Replica,
                                                                            tmp_path: Path) -> None:
    url = create_database(postgres, "backup_source")
    archive = Archive(url)
    ingest_all(Ingestor(archive, replica_rules(replica)),
               [replica.base_url + "/", *[t["canonical_url"] for t in replica.truth() if t["status"] == "live"][:15]])
    archive.close()
    refused = CliRunner().invoke(cli, ["--db", url, "backup", str(tmp_path / "copy.sqlite")])
    assert refused.exit_code == 1 and "pg_dump" in refused.output and "--fetches all" in refused.output
    assert not (tmp_path / "copy.sqlite").exists()
    warc = tmp_path / "everything.warc.gz"
    exported = CliRunner().invoke(cli, ["--db", url, "export", "--format", "warc", "--fetches", "all", "-o", str(warc)])
    assert exported.exit_code == 0, exported.output
    fresh = create_database(postgres, "backup_restored")
    restored = CliRunner().invoke(cli, ["--db", fresh, "import", str(warc)])
    assert restored.exit_code == 0, restored.output
    assert state(fresh) == state(url)
