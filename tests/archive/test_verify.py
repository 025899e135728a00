"""`archive verify` on a real archive: clean, then with each kind of damage it must name."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from archive.cli import cli
from archive.database import Archive
from archive.ingest import Ingestor
from tests.archive.feed import ingest_all
from tests.extract_eval import replica_rules
from tests.replica import Replica


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """An archive of 60 replica articles, one of them taken down after it was archived."""
    path = tmp_path_factory.mktemp("verify") / "archive.sqlite"
    with Replica(articles=150, seed=9) as rep:
        archive = Archive(f"sqlite:///{path}")
        ingestor = Ingestor(archive, replica_rules(rep))
        live = [m for m in rep.site.visible() if m.kind == "normal"]
        soon_gone = min((m for m in live if m.gone_at), key=lambda m: m.gone_at or rep.now)
        ingest_all(ingestor, [rep.base_url + m.path for m in [*live[:60], soon_gone]])
        assert soon_gone.gone_at is not None
        rep.advance((soon_gone.gone_at - rep.now).total_seconds() / 3600 + 1)
        ingest_all(ingestor, [rep.base_url + soon_gone.path])
        archive.close()
    yield path


@pytest.fixture
def db(built: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "archive.sqlite"
    shutil.copy(built, copy)
    return copy


def audit(db: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--db", f"sqlite:///{db}", "verify", *args])


def damage(db: Path, *statements: str) -> None:
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA foreign_keys=OFF")
    for statement in statements:
        conn.execute(statement)
    conn.commit()
    conn.close()


def test_a_clean_archive_passes_and_leaves_a_run_record(db: Path) -> None:
    result = audit(db)
    assert result.exit_code == 0, result.output
    bodies = sqlite3.connect(db).execute("SELECT count(*) FROM raw_bodies").fetchone()[0]
    assert "0 problems" in result.output and f"checked bodies {bodies}," in result.output
    runs = CliRunner().invoke(cli, ["--db", f"sqlite:///{db}", "runs", "--format", "json"])
    assert '"kind": "verify"' in runs.output and '"outcome": "ok"' in runs.output


def test_a_flipped_byte_names_the_body_and_the_article_still_shows(db: Path) -> None:
    conn = sqlite3.connect(db)
    digest, data = conn.execute("SELECT sha256, data FROM raw_bodies ORDER BY sha256 LIMIT 1 OFFSET 7").fetchone()
    article = conn.execute("SELECT article_id FROM fetches WHERE body_sha256 = ? AND article_id IS NOT NULL",
                           (digest,)).fetchone()[0]
    conn.close()
    flipped = bytearray(data)
    flipped[len(flipped) // 2] ^= 0x20
    conn = sqlite3.connect(db)
    conn.execute("UPDATE raw_bodies SET data = ? WHERE sha256 = ?", (bytes(flipped), digest))
    conn.commit()
    conn.close()
    result = audit(db)
    assert result.exit_code == 1
    assert [line for line in result.output.splitlines() if line.startswith("raw_bodies")] == [
        line for line in result.output.splitlines() if digest in line]
    assert "1 problem" in result.output
    shown = CliRunner().invoke(cli, ["--db", f"sqlite:///{db}", "show", str(article), "--format", "json"])
    assert shown.exit_code == 0 and '"title"' in shown.output  # read from the extraction, not the body


@pytest.mark.parametrize(("statements", "named"), [
    (["UPDATE versions SET fingerprint = 'x' WHERE id = 3"], "versions 3 (article"),
    (["UPDATE extractions SET fields = '{\"title\": \"other\"}' WHERE id = (SELECT extraction_id FROM versions "
      "WHERE id = 4)"], "fields give"),
    (["UPDATE versions SET number = 3 WHERE id = 5"], "versions are numbered 3..3, not 1..1"),
    (["UPDATE articles SET status = 'gone' WHERE id = 6"], "articles 6: is gone, but its fetches say live"),
    (["DELETE FROM search_docs WHERE article_id = 7"], "article 7 is not in the search index"),
    (["UPDATE extractions SET fields = '{' WHERE id = 8"], "extractions 8: its fields or flags do not decode"),
    (["DELETE FROM raw_bodies WHERE sha256 = (SELECT body_sha256 FROM fetches WHERE id = 9)"],
     "fetches 9: names raw body"),
])
def test_each_kind_of_damage_is_named(db: Path, statements: list[str], named: str) -> None:
    damage(db, *statements)
    result = audit(db)
    assert result.exit_code == 1, result.output
    assert any(named in line for line in result.output.splitlines()), result.output
    assert "Traceback" not in result.output


def test_a_sample_checks_a_share(db: Path) -> None:
    result = audit(db, "--sample", "0.5")
    assert result.exit_code == 0 and "a sample of 50.00%" in result.output
    checked = int(result.output.split("checked bodies ")[-1].split(",")[0])
    assert 10 < checked < 55


@pytest.mark.parametrize("args", [["--sample", "0"], ["--sample", "2"], ["--sample", "x"]])
def test_a_bad_sample_is_one_line(db: Path, args: list[str]) -> None:
    result = audit(db, *args)
    assert result.exit_code == 2 and "Traceback" not in result.output


def test_an_archive_on_a_read_only_filesystem_is_audited_and_left_as_it_was(db: Path, tmp_path: Path) -> None:
    """A restored copy on read-only media: the audit runs in full, and says why it kept no record."""
    disk = tmp_path / "ro"
    disk.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", str(disk)], capture_output=True,
                             text=True)
    if mounted.returncode != 0:
        pytest.fail(f"cannot mount a filesystem for the test (run as root): {mounted.stderr.strip()}")
    try:
        shutil.copy(db, disk / "archive.sqlite")
        subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
        before = (disk / "archive.sqlite").read_bytes()
        result = audit(disk / "archive.sqlite")
        assert result.exit_code == 0, result.output
        assert "0 problems (not recorded: the archive takes no writes)" in result.output
        assert (disk / "archive.sqlite").read_bytes() == before
        assert sorted(p.name for p in disk.iterdir()) == ["archive.sqlite"]
    finally:
        subprocess.run(["umount", str(disk)], check=False)


def test_a_missing_archive_is_one_line_and_nothing_is_written(tmp_path: Path) -> None:
    result = audit(tmp_path / "nothing.sqlite")
    assert result.exit_code == 1 and result.output.count("\n") == 1 and "no archive" in result.output
    assert not list(tmp_path.iterdir())


@pytest.mark.slow
def test_a_postgresql_archive_passes(archive_url: str, replica: Replica) -> None:
    archive = Archive(archive_url)
    ingest_all(Ingestor(archive, replica_rules(replica)),
               [t["canonical_url"] for t in replica.truth() if t["status"] == "live"][:20])
    archive.close()
    result = CliRunner().invoke(cli, ["--db", archive_url, "verify"])
    assert result.exit_code == 0 and "0 problems" in result.output, result.output
