"""Exports and the research views: what a researcher takes away, and what Datasette shows unchanged."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import re
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import select
from warcio.archiveiterator import ArchiveIterator

from archive import rawstore
from archive.cli import cli
from archive.database import Archive
from archive.ingest import Ingestor
from archive.models import Article, Fetch, Version
from tests.archive.feed import advance_past_edit, ingest_all, next_lead_edit, record
from tests.extract_eval import replica_rules
from tests.http import fetch
from tests.replica import Replica
from tests.services import pywb_replaying

LATEST_COLUMNS = ["id", "canonical_url", "site_id", "title", "lead", "text", "authors", "published", "updated",
                  "section", "tags", "template", "status", "versions", "first_seen", "last_seen"]


@pytest.fixture(scope="module")
def archived(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, list[dict[str, Any]], int]]:
    """A SQLite archive of 40 articles, one of them edited (two versions); the truth; the edited site id."""
    url = f"sqlite:///{tmp_path_factory.mktemp('export') / 'a.sqlite'}"
    archive = Archive(url)
    with Replica(articles=150, seed=4) as rep:
        ingestor = Ingestor(archive, replica_rules(rep))
        edited = next_lead_edit(rep)
        pages = [t["canonical_url"] for t in rep.truth() if t["status"] == "live" and t["kind"] == "normal"][:39]
        pages.append(rep.base_url + edited.path)
        ingest_all(ingestor, pages)
        advance_past_edit(rep, edited)
        ingest_all(ingestor, [rep.base_url + edited.path])
        truth = {t["site_id"]: t for t in rep.truth()}
    archive.close()
    yield url, [truth[sid] for sid in _site_ids(url)], edited.id


def _site_ids(url: str) -> list[int]:
    archive = Archive(url)
    with archive.transaction(write=False) as session:
        ids = [sid for sid in session.scalars(select(Article.site_id).order_by(Article.id)) if sid]
    archive.close()
    return ids


def export(url: str, *args: str, output: Path | None = None) -> tuple[int, str]:
    command = ["--db", url, "export", *args] + (["-o", str(output)] if output else [])
    result = CliRunner().invoke(cli, command)
    return result.exit_code, result.output


def test_jsonl_has_one_plain_row_per_article(archived: tuple[str, list[dict[str, Any]], int], tmp_path: Path) -> None:
    url, truth, edited = archived
    code, out = export(url, "--format", "jsonl", output=tmp_path / "a.jsonl")
    assert code == 0, out
    rows = [json.loads(line) for line in (tmp_path / "a.jsonl").read_text().splitlines()]
    assert [r["site_id"] for r in rows] == [t["site_id"] for t in truth]
    assert list(rows[0]) == LATEST_COLUMNS
    by_id = {t["site_id"]: t for t in truth}
    for row in rows:
        want = by_id[row["site_id"]]
        assert (row["title"], row["lead"], row["authors"]) == (want["title"], want["lead"], ", ".join(want["authors"]))
        assert row["text"].splitlines()[0] == want["body"][0]
    assert next(r for r in rows if r["site_id"] == edited)["versions"] == 2


def test_all_versions_and_filters(archived: tuple[str, list[dict[str, Any]], int], tmp_path: Path) -> None:
    url, truth, edited = archived
    code, out = export(url, "--versions", "all", "--format", "csv", output=tmp_path / "v.csv")
    assert code == 0, out
    rows = list(csv.DictReader(io.StringIO((tmp_path / "v.csv").read_text())))
    assert len(rows) == len(truth) + 1
    mine = [r for r in rows if int(r["site_id"]) == edited]
    assert [r["number"] for r in mine] == ["1", "2"] and mine[0]["lead"] != mine[1]["lead"]
    section = truth[0]["section_path"][-1]
    code, out = export(url, "--section", section, output=tmp_path / "s.jsonl")
    assert code == 0
    got = {json.loads(line)["site_id"] for line in (tmp_path / "s.jsonl").read_text().splitlines()}
    assert got == {t["site_id"] for t in truth if section in t["section_path"]}
    phrase = " ".join(truth[1]["title"].split()[:5])
    code, out = export(url, "--query", f'"{phrase}"', output=tmp_path / "q.jsonl")
    assert code == 0 and truth[1]["site_id"] in {
        json.loads(line)["site_id"] for line in (tmp_path / "q.jsonl").read_text().splitlines()}


def test_parquet_reads_back_with_pyarrow(archived: tuple[str, list[dict[str, Any]], int], tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    url, truth, _ = archived
    code, out = export(url, "--format", "parquet", output=tmp_path / "a.parquet")
    assert code == 0, out
    table = pq.read_table(tmp_path / "a.parquet")
    assert table.num_rows == len(truth) and table.column_names == LATEST_COLUMNS
    assert table.column("title").to_pylist() == [t["title"] for t in truth]


def test_parquet_without_pyarrow_is_a_one_line_error(archived: tuple[str, list[dict[str, Any]], int],
                                                     tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url, _, _ = archived
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # as if the extra were not installed
    code, out = export(url, "--format", "parquet", output=tmp_path / "a.parquet")
    assert code == 1 and out == "Error: Parquet export needs pyarrow: pip install 'dddn-archive[parquet]'\n"
    assert not list(tmp_path.iterdir()), "no partial file is left behind"


def test_a_bad_query_is_one_line_and_writes_nothing(archived: tuple[str, list[dict[str, Any]], int],
                                                    tmp_path: Path) -> None:
    url, _, _ = archived
    code, out = export(url, "--query", "(unbalanced", output=tmp_path / "x.jsonl")
    assert code == 1 and out.count("\n") == 1 and out.startswith("Error: ")
    assert not list(tmp_path.iterdir())


def test_warc_round_trip_gives_the_same_articles_versions_and_fingerprints(
        archived: tuple[str, list[dict[str, Any]], int], tmp_path: Path) -> None:
    url, _, _ = archived
    code, out = export(url, "--format", "warc", output=tmp_path / "all.warc.gz")
    assert code == 0, out
    fresh = f"sqlite:///{tmp_path / 'fresh.sqlite'}"
    result = CliRunner().invoke(cli, ["--db", fresh, "import", str(tmp_path / "all.warc.gz")])
    assert result.exit_code == 0, result.output
    assert state(fresh) == state(url)


def state(url: str) -> dict[str, list[str]]:
    """canonical URL -> fingerprints of its versions, in order."""
    archive = Archive(url)
    with archive.transaction(write=False) as session:
        out = {a.canonical_url: [v.fingerprint for v in a.versions] for a in session.scalars(select(Article))}
        assert sum(len(v) for v in out.values()) == len(session.scalars(select(Version)).all())
    archive.close()
    return out


def test_the_research_views_need_no_json_extract(archived: tuple[str, list[dict[str, Any]], int]) -> None:
    url, truth, edited = archived
    with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
        latest = conn.execute("SELECT site_id, title, authors, tags, versions FROM articles_latest "
                              "ORDER BY id").fetchall()
        versions = conn.execute("SELECT number, lead FROM article_versions WHERE site_id = ? ORDER BY number",
                                (edited,)).fetchall()
    assert [row[0] for row in latest] == [t["site_id"] for t in truth]
    assert latest[0][1:4] == (truth[0]["title"], ", ".join(truth[0]["authors"]), ", ".join(truth[0]["tags"]))
    assert [n for n, _ in versions] == [1, 2]


def test_datasette_opens_the_archive_and_shows_the_views(archived: tuple[str, list[dict[str, Any]], int]) -> None:
    from datasette.app import Datasette

    url, truth, _ = archived
    path = url.removeprefix("sqlite:///")

    async def get(route: str) -> Any:
        response = await Datasette([path], immutables=[]).client.get(route)
        assert response.status_code == 200, route
        return response.json()

    name = Path(path).stem
    listing = asyncio.run(get(f"/{name}.json"))
    assert {"articles_latest", "article_versions"} <= {v["name"] for v in listing["views"]}
    rows = asyncio.run(get(f"/{name}/articles_latest.json?_shape=array&_size=max"))
    assert sorted(r["title"] for r in rows) == sorted(t["title"] for t in truth)


def test_a_full_warc_export_is_standard_and_restores_every_fetch(tmp_path: Path, replica: Replica) -> None:
    """`--fetches all` holds every fetch (listings, 404s and 304s too) in WARC/1.1 that the usual indexing
    tool reads whole, after a warcinfo record; importing it gives the same archive."""
    url = f"sqlite:///{tmp_path / 'a.sqlite'}"
    archive = Archive(url)
    ingestor = Ingestor(archive, replica_rules(replica))
    pages = [t["canonical_url"] for t in replica.truth() if t["status"] == "live" and t["kind"] == "normal"][:12]
    ingest_all(ingestor, [replica.base_url + "/", replica.base_url + "/sitemap.xml", *pages])
    first = record(pages[0])
    ingestor.ingest(record(pages[0], {"If-None-Match": first.header("etag") or ""}))  # a 304
    archive.close()
    path = tmp_path / "everything.warc.gz"
    code, out = export(url, "--format", "warc", "--fetches", "all", output=path)
    assert code == 0, out
    with path.open("rb") as stream:
        records = list(ArchiveIterator(stream))
    fetches = sqlite3.connect(tmp_path / "a.sqlite").execute("SELECT count(*) FROM fetches").fetchone()[0]
    assert [r.rec_type for r in records] == ["warcinfo", *["response"] * fetches]
    assert all(r.rec_headers.protocol == "WARC/1.1" for r in records)
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", r.rec_headers.get_header("WARC-Date"))
               for r in records)
    indexed = subprocess.run([str(Path(sys.executable).parent / "cdxj-indexer"), str(path)], capture_output=True,
                             text=True, timeout=120, check=True).stdout.splitlines()
    assert len([line for line in indexed if '"status": "' in line]) == fetches, indexed[:3]
    fresh = f"sqlite:///{tmp_path / 'fresh.sqlite'}"
    result = CliRunner().invoke(cli, ["--db", fresh, "import", str(path)])
    assert result.exit_code == 0, result.output
    assert state(fresh) == state(url)
    assert sqlite3.connect(tmp_path / "fresh.sqlite").execute("SELECT count(*) FROM fetches").fetchone()[0] == fetches


@pytest.mark.slow
def test_pywb_replays_exported_pages_byte_for_byte(tmp_path: Path, replica: Replica) -> None:
    """The usual replay tool reads the WARC export whole and serves each page's original bytes (`id_`) as
    the archive stored them."""
    url = f"sqlite:///{tmp_path / 'a.sqlite'}"
    archive = Archive(url)
    pages = [t["canonical_url"] for t in replica.truth() if t["status"] == "live" and t["kind"] == "normal"][:4]
    ingest_all(Ingestor(archive, replica_rules(replica)), pages)
    with archive.transaction(write=False) as session:
        stored = {fetch_url: rawstore.get(session, digest) for fetch_url, digest in session.execute(
            select(Fetch.requested_url, Fetch.body_sha256).where(Fetch.body_sha256.is_not(None)))}
    archive.close()
    path = tmp_path / "pages.warc.gz"
    code, out = export(url, "--format", "warc", "--fetches", "all", output=path)
    assert code == 0, out
    assert set(stored) == set(pages)
    with pywb_replaying(str(path)) as base:
        for page, body in stored.items():
            replayed = fetch(f"{base}/id_/{page}")
            assert replayed.status == 200, (page, replayed.status)
            assert replayed.body == body, page
