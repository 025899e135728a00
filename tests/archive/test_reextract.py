"""`archive reextract`: a parser run again over the stored raw pages, predicted exactly by its dry run,
reversible, idempotent, resumable after SIGKILL, and safe beside a crawl."""

from __future__ import annotations

import hashlib
import json
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from archive.cli import cli
from archive.database import Archive
from archive.extract import PARSER_VERSION
from archive.ingest import Ingestor
from archive.locks import RunLock
from archive.models import SearchDoc
from archive.reextract import Scope, run
from archive.search import index as search_index
from archive.urls import UrlRules, parse_aliases
from tests.archive.feed import ingest_all
from tests.archive.index_answers import answers
from tests.replica import Replica

CANDIDATE = "tests.archive.parsers:without_editors_note"
QUERIES = ("doanh nghiep", "chuyen doi so", '"thi truong vang"', "Thanh Hóa")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An archive of a replica's articles fetched twice, three weeks apart: edits made versions, some by
    a paragraph or correction note added at the end."""
    path = tmp_path_factory.mktemp("reextract") / "built.sqlite"
    archive = Archive(f"sqlite:///{path}")
    with Replica(articles=160, seed=51) as rep:
        ingestor = Ingestor(archive, UrlRules.from_env().with_aliases(parse_aliases(rep.host_alias)))
        for _ in range(2):
            ingest_all(ingestor, [rep.base_url + a.path for a in rep.site.visible() if a.kind == "normal"])
            rep.advance(21 * 24)
    archive.close()
    return path


@pytest.fixture
def db(built: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "a.sqlite"
    shutil.copy(built, copy)
    return copy


def reextract(db: Path, *args: str) -> dict[str, Any]:
    result = CliRunner().invoke(cli, ["--db", f"sqlite:///{db}", "reextract", "--format", "json", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.output.strip().splitlines()[-1])  # type: ignore[no-any-return]


def snapshot(db: Path) -> dict[str, Any]:
    """The archive as a reader sees it: versions, the search index, and what searches find (as sets: an
    index that followed updates ranks ties in another order, and its statistics count replaced documents
    until segments merge)."""
    conn = sqlite3.connect(db)
    try:
        versions = conn.execute("SELECT article_id, number, fingerprint, extraction_id, seen_at, title, published "
                                "FROM versions ORDER BY article_id, number").fetchall()
        docs = conn.execute("SELECT article_id, extraction_id, title, section, authors, published, status "
                            "FROM search_docs ORDER BY article_id").fetchall()
        fetches = conn.execute("SELECT * FROM fetches ORDER BY id").fetchall()
        raw = conn.execute("SELECT sha256, data FROM raw_bodies ORDER BY sha256").fetchall()
    finally:
        conn.close()
    found = {}
    for query in QUERIES:
        out = CliRunner().invoke(cli, ["--db", f"sqlite:///{db}", "search", query, "--limit", "10000",
                                       "--format", "json"])
        found[query] = sorted(hit["id"] for hit in json.loads(out.output))
    return {"versions": versions, "docs": docs, "fetches": fetches, "raw": raw, "found": found}


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_dry_run_writes_nothing_and_predicts_the_real_run(db: Path) -> None:
    before = snapshot(db)
    file_before = digest(db)
    predicted = reextract(db, "--parser", CANDIDATE, "--dry-run")
    assert digest(db) == file_before, "a dry run leaves the database file byte-identical"
    assert predicted["parser_version"] == PARSER_VERSION + "+without-editors-note"
    assert predicted["versions_after"] < predicted["versions_before"] and predicted["versions_merge"] > 0
    assert 0 < predicted["fields_changed"]["text"] < predicted["articles"] and predicted["examples"]
    assert "[-Ghi chú của Tòa soạn" in predicted["examples"][0]["diff"]
    done = reextract(db, "--parser", CANDIDATE)
    assert {**done, "dry_run": True} == predicted
    after = snapshot(db)
    assert after["fetches"] == before["fetches"] and after["raw"] == before["raw"], "raw store never written"
    assert len(after["versions"]) == predicted["versions_after"]


def test_reextracting_back_with_the_default_parser_restores_the_archive_exactly(db: Path) -> None:
    before = snapshot(db)
    reextract(db, "--parser", CANDIDATE)
    assert snapshot(db)["versions"] != before["versions"]
    back = reextract(db)
    assert back["extractions_written"] == 0, "the default parser's extractions were kept"
    assert snapshot(db) == before


def test_a_second_run_changes_nothing(db: Path) -> None:
    first = reextract(db, "--parser", CANDIDATE, "--workers", "2")
    state = snapshot(db)
    second = reextract(db, "--parser", CANDIDATE)
    assert first["extractions_written"] == first["fetches"] > 0
    assert second["extractions_written"] == 0 and second["articles_changed"] == 0
    assert second["versions_before"] == second["versions_after"] == first["versions_after"]
    assert snapshot(db) == state


def test_scope_by_url_and_section(db: Path) -> None:
    conn = sqlite3.connect(db)
    url, section = conn.execute("SELECT a.canonical_url, d.section FROM articles a JOIN search_docs d "
                                "ON d.article_id = a.id ORDER BY a.id LIMIT 1").fetchone()
    conn.close()
    one = reextract(db, "--parser", CANDIDATE, "--dry-run", "--url", url)
    assert one["articles"] == 1
    by_section = reextract(db, "--parser", CANDIDATE, "--dry-run", "--section", section)
    assert 1 <= by_section["articles"] < reextract(db, "--parser", CANDIDATE, "--dry-run")["articles"]


def test_stats_and_runs_say_which_parser_made_the_data(db: Path) -> None:
    reextract(db, "--parser", CANDIDATE)
    stats = json.loads(CliRunner().invoke(cli, ["--db", f"sqlite:///{db}", "stats", "--format", "json"]).output)
    assert set(stats["parser_versions"]) == {PARSER_VERSION + "+without-editors-note"}
    runs = json.loads(CliRunner().invoke(cli, ["--db", f"sqlite:///{db}", "runs", "--format", "json"]).output)
    assert runs[0]["kind"] == "reextract" and runs[0]["outcome"] == "ok"
    assert runs[0]["counts"]["parser_version"] == PARSER_VERSION + "+without-editors-note"
    text = CliRunner().invoke(cli, ["--db", f"sqlite:///{db}", "runs"]).output
    assert "reextract" in text and "articles changed" in text


@pytest.fixture(scope="module")
def unsharded(built: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], Path]:
    """The candidate run over everything, once: what the shards must add up to."""
    whole = tmp_path_factory.mktemp("whole") / "whole.sqlite"
    shutil.copy(built, whole)
    return reextract(whole, "--parser", CANDIDATE), whole


@pytest.mark.parametrize("count", [1, 2, 3])
def test_shards_cover_every_fetch_exactly_once(db: Path, unsharded: tuple[dict[str, Any], Path], count: int) -> None:
    expected, whole = unsharded
    # the shards side by side, as on `count` machines, each its own process
    procs = [subprocess.Popen([sys.executable, "-m", "archive", "--db", f"sqlite:///{db}", "reextract", "--parser",
                               CANDIDATE, "--shard", f"{k}/{count}", "--format", "json"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for k in range(1, count + 1)]
    reports = []
    for proc in procs:
        out, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err
        reports.append(json.loads(out.strip().splitlines()[-1]))
    assert sum(r["fetches"] for r in reports) == expected["fetches"] > 0
    assert sum(r["articles"] for r in reports) == expected["articles"]
    assert all(r["articles"] > 0 for r in reports)
    conn = sqlite3.connect(db)
    made = conn.execute("SELECT fetch_id, count(*) FROM extractions WHERE parser_version = ? GROUP BY fetch_id",
                        (expected["parser_version"],)).fetchall()
    shards = conn.execute("SELECT args FROM runs WHERE kind = 'reextract' ORDER BY id").fetchall()
    conn.close()
    assert len(made) == expected["fetches"] and {n for _, n in made} == {1}, "every fetch once, none twice"
    assert sorted(json.loads(a)["shard"] for (a,) in shards) == [f"{k}/{count}" for k in range(1, count + 1)]
    def without_ids(state: dict[str, Any]) -> dict[str, Any]:  # extraction ids follow the order of writing
        return {**state, "versions": [v[:3] + v[4:] for v in state["versions"]],
                "docs": [d[:1] + d[2:] for d in state["docs"]]}

    assert without_ids(snapshot(db)) == without_ids(snapshot(whole)), "the shards end as one run over everything"


@pytest.mark.parametrize("shard", ["0/3", "4/3", "2", "a/b", "1/0"])
def test_a_bad_shard_is_one_line(db: Path, shard: str) -> None:
    before = digest(db)
    result = CliRunner().invoke(cli, ["--db", f"sqlite:///{db}", "reextract", "--shard", shard])
    assert result.exit_code == 1 and result.output.count("\n") == 1 and "is not K/N" in result.output
    assert digest(db) == before


@pytest.mark.parametrize(("parser", "message"), [
    ("nowhere.module:extract", "cannot load the parser nowhere.module:extract"),
    ("tests.archive.parsers", "is not MODULE:FUNCTION"),
    ("tests.archive.parsers:not_a_parser", "is not a parser"),
])
def test_a_bad_parser_is_one_line_and_leaves_the_archive_untouched(db: Path, parser: str, message: str) -> None:
    before = digest(db)
    result = CliRunner().invoke(cli, ["--db", f"sqlite:///{db}", "reextract", "--parser", parser])
    assert result.exit_code == 1 and result.output.count("\n") == 1 and message in result.output
    assert digest(db) == before


def test_a_parser_that_wraps_extract_with_args_and_kwargs_is_accepted(db: Path) -> None:
    before = digest(db)
    result = CliRunner().invoke(cli, ["--db", f"sqlite:///{db}", "reextract", "--dry-run", "--format", "json",
                                      "--parser", "tests.archive.parsers:wrapped"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["parser_version"].endswith("+wrapped"), result.output
    assert digest(db) == before


@pytest.mark.slow
def test_sigkill_then_resume_ends_as_an_uninterrupted_run(db: Path, tmp_path: Path) -> None:
    whole = tmp_path / "whole.sqlite"
    shutil.copy(db, whole)
    reextract(whole, "--parser", CANDIDATE)
    command = [sys.executable, "-m", "archive", "--db", f"sqlite:///{db}", "reextract", "--parser", CANDIDATE]
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    conn = sqlite3.connect(db, timeout=30)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        done = conn.execute("SELECT count(*) FROM extractions WHERE parser_version LIKE '%+without-editors-note'"
                            ).fetchone()[0]
        if done >= 100:
            break
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    total = conn.execute("SELECT count(*) FROM extractions WHERE parser_version = ?", (PARSER_VERSION,)).fetchone()[0]
    conn.close()
    assert 100 <= done < total, "the kill should land mid-run"
    resumed = reextract(db, "--parser", CANDIDATE)
    assert resumed["extractions_written"] == total - done
    assert snapshot(db) == snapshot(whole)
    runs = json.loads(CliRunner().invoke(cli, ["--db", f"sqlite:///{db}", "runs", "--format", "json"]).output)
    assert [r["outcome"] for r in runs[:2]] == ["ok", "interrupted"]
    assert "killed or crashed" in runs[1]["counts"]["problems"][0]


def test_a_second_run_is_refused_and_says_so_in_its_record(db: Path) -> None:
    archive = Archive(f"sqlite:///{db}")
    lock = RunLock(archive, "reextract")
    lock.acquire()
    try:
        result = CliRunner().invoke(cli, ["--db", f"sqlite:///{db}", "reextract", "--parser", CANDIDATE])
    finally:
        lock.release()
        archive.close()
    assert result.exit_code == 1 and "another reextract run is using" in result.output
    runs = json.loads(CliRunner().invoke(cli, ["--db", f"sqlite:///{db}", "runs", "--format", "json"]).output)
    assert runs[0]["outcome"] == "refused" and runs[0]["kind"] == "reextract"
    assert runs[0]["counts"]["problems"][0].startswith("not started: another reextract run is using")


def indexed(url: str) -> dict[str, Any]:
    """Every search row, and what the search index that follows them answers."""
    arch = Archive(url)
    try:
        with arch.transaction(write=False) as s:
            docs = s.execute(select(SearchDoc).order_by(SearchDoc.article_id)).scalars().all()
            rows = [(d.article_id, d.extraction_id, d.status, d.title, d.section, d.authors, d.published,
                     d.sections_key, d.authors_key, d.tags_key) for d in docs]
    finally:
        arch.close()
    return {"docs": rows, "answers": answers(url)}


def test_the_search_index_after_a_run_is_the_one_a_rebuild_makes(archive_url: str) -> None:
    """Re-extraction updates the index for a batch of articles at once: on both databases it must hold
    exactly what rebuilding the whole index from the versions gives, both ways (candidate and back)."""
    archive = Archive(archive_url)
    with Replica(articles=50, seed=52) as rep:
        rules = UrlRules.from_env().with_aliases(parse_aliases(rep.host_alias))
        for _ in range(2):
            ingest_all(Ingestor(archive, rules), [rep.base_url + a.path for a in rep.site.visible()
                                                   if a.kind == "normal"])
            rep.advance(21 * 24)
    try:
        for parser in (CANDIDATE, "archive.extract:extract"):
            report = run(archive, Scope(), parser, rules, workers=1)
            assert report.extractions_written > 0 or parser != CANDIDATE
            after_run = indexed(archive_url)
            with archive.transaction() as session:
                search_index.rebuild(session)
            assert indexed(archive_url) == after_run and after_run["docs"]
            assert len(after_run["answers"]["all"]) == len(after_run["docs"])
            assert answers(archive_url, rebuild=True) == after_run["answers"]
    finally:
        archive.close()
