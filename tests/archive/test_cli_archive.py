"""The research commands in-process: exit codes and output."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from archive import runs
from archive.cli import cli
from archive.database import Archive
from archive.extract import PARSER_VERSION
from archive.importing import import_warcs
from archive.ingest import Ingestor
from archive.models import Article, Run
from archive.urls import DEFAULT_RULES
from archive.vocab import RunKind, RunOutcome
from tests.archive.feed import advance_past_edit, ingest_all, next_lead_edit
from tests.extract_eval import replica_rules
from tests.replica import Replica
from tests.services import create_database


@pytest.fixture(scope="module")
def edited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, object], dict[str, object]]]:
    """An archive holding an article before and after a lead rewrite."""
    db = f"sqlite:///{tmp_path_factory.mktemp('cli') / 'archive.sqlite'}"
    with Replica(articles=150, seed=4) as rep:
        meta = next_lead_edit(rep)
        url = rep.base_url + meta.path
        arch = Archive(db)
        ingestor = Ingestor(arch, replica_rules(rep))
        ingest_all(ingestor, [url])
        old = next(t for t in rep.truth() if t["site_id"] == meta.id)
        advance_past_edit(rep, meta)
        ingest_all(ingestor, [url])
        new = next(t for t in rep.truth() if t["site_id"] == meta.id)
        arch.close()
    yield db, old, new


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


def test_show_latest_and_a_given_version(edited: tuple[str, dict[str, object], dict[str, object]]) -> None:
    db, old, new = edited
    code, out = run("--db", db, "show", str(new["site_id"]), "--format", "json")
    data = json.loads(out)
    assert code == 0 and data["lead"] == new["lead"] and data["version"] == 2 and data["versions"] == 2
    code, out = run("--db", db, "show", str(new["canonical_url"]) + "?utm_source=x", "--version", "1")
    assert code == 0 and str(old["lead"]) in out and "version 1 of 2" in out and "ICT (+07:00)" in out


def test_history_and_diff(edited: tuple[str, dict[str, object], dict[str, object]]) -> None:
    db, old, new = edited
    code, out = run("--db", db, "history", str(new["site_id"]))
    assert code == 0 and "2026-" in out and "-" in out
    code, out = run("--db", db, "diff", str(new["site_id"]), "1", "2")
    assert code == 0 and "── lead ──" in out and "[-" in out and "{+" in out
    removed = out[out.index("[-") + 2: out.index("-]")]
    assert removed.split()[0] in str(old["lead"]) and removed.split()[0] not in str(new["lead"]).split()[:1]


@pytest.mark.parametrize(("args", "message"), [
    (["show", "99999999"], "Error: no article in the archive for '99999999'\n"),
    (["show", "https://diendandoanhnghiep.vn/khong-co-10000001.html"], "no article in the archive"),
    (["diff", "URL", "1", "9"], "not 9"),
    (["show", "URL", "--version", "7"], "has versions 1 to 2, not 7"),
])
def test_bad_references_are_one_line(edited: tuple[str, dict[str, object], dict[str, object]], args: list[str],
                                     message: str) -> None:
    db, _, new = edited
    args = [str(new["canonical_url"]) if a == "URL" else a for a in args]
    code, out = run("--db", db, *args)
    assert code == 1 and out.count("\n") == 1 and message in out


def test_stats_runs_and_db_upgrade(edited: tuple[str, dict[str, object], dict[str, object]]) -> None:
    db, _, _ = edited
    code, out = run("--db", db, "stats", "--format", "json")
    assert code == 0 and set(json.loads(out)) == {"articles", "versions", "fetches", "runs", "raw_bytes",
                                                   "stored_bytes", "parser_versions"}
    assert json.loads(out)["parser_versions"] == {PARSER_VERSION: 2}
    code, out = run("--db", db, "stats")
    assert code == 0 and "versions: 2" in out and f"made by: parser {PARSER_VERSION} (2 versions)" in out
    assert run("--db", db, "runs") [0] == 0
    code, out = run("--db", db, "db", "upgrade")
    assert code == 0 and "schema up to date" in out


def test_unusable_database_urls_are_one_line(tmp_path: object) -> None:
    for url, message in (("mysql://x/y", "unsupported database 'mysql'"), ("::", "not a database URL"),
                         ("postgresql://nobody@127.0.0.1:1/none", "cannot open postgresql")):
        code, out = run("--db", url, "stats")
        assert code == 1 and out.count("\n") == 1 and message in out


@pytest.mark.parametrize("command", [["stats"], ["show", "1"], ["history", "1"], ["diff", "1", "1", "2"], ["runs"]])
def test_reads_of_a_missing_archive_fail_in_one_line_and_create_nothing(tmp_path: Path, command: list[str]) -> None:
    path = tmp_path / "typo" / "archive.sqlite"
    code, out = run("--db", f"sqlite:///{path}", *command)
    assert code == 1 and out == f"Error: no archive at {path}: check --db or ARCHIVE_DB_URL\n"
    assert not (tmp_path / "typo").exists()


def test_reads_of_an_empty_database_fail_in_one_line(postgres: str) -> None:
    url = create_database(postgres, "empty_for_reads")
    code, out = run("--db", url, "stats")
    assert code == 1 and out.count("\n") == 1 and "holds no archive yet" in out


def test_runs_longer_than_a_day_show_their_whole_length(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'a.sqlite'}"
    archive = Archive(db)
    run_id = runs.start(archive, RunKind.CRAWL, {})
    runs.finish(archive, run_id, RunOutcome.OK, {"pages": 1})
    with archive.transaction() as session:
        record = session.get(Run, run_id)
        assert record is not None
        record.finished_at = record.started_at + timedelta(days=1, minutes=30)
    archive.close()
    code, out = run("--db", db, "runs")
    assert code == 0 and "1470.0" in out


def test_an_import_that_fails_midway_closes_its_run(tmp_path: Path) -> None:
    """The run record is closed as failed, with the counts so far, however the import stops."""
    db = f"sqlite:///{tmp_path / 'a.sqlite'}"
    missing = tmp_path / "vanished.warc"
    missing.write_bytes(b"")
    archive = Archive(db)
    missing.unlink()  # checked, then gone before it is read: the import stops with an error
    with pytest.raises(OSError):
        import_warcs(archive, [missing], DEFAULT_RULES, str(missing))
    with archive.transaction(write=False) as session:
        (record,) = session.scalars(select(Run)).all()
    archive.close()
    assert record.outcome == RunOutcome.FAILED and record.finished_at is not None


@pytest.mark.parametrize("column", ["status"])
def test_the_database_refuses_a_value_outside_a_vocabulary(archive_url: str, column: str) -> None:
    archive = Archive(archive_url)
    now = datetime.now(UTC)
    with pytest.raises(IntegrityError), archive.transaction() as session:
        session.add(Article(canonical_url="https://example.com/a-123456.html", first_seen=now, last_seen=now,
                            **{column: "deleted"}))
    with pytest.raises(IntegrityError), archive.transaction() as session:
        session.add(Run(kind="crawl", started_at=now, outcome="done"))
    archive.close()
