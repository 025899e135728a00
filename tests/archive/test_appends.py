"""Batches write what one fetch at a time writes: the set-wise path (`archive.appends`) against ingest's
one-at-a-time path, on a story that mixes everything a batch can hold."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from archive.bulk import ingest_many
from archive.database import Archive
from archive.ingest import Ingestor
from archive.models import Article, Extraction, Fetch, RawBody, SearchDoc, Version
from archive.records import FetchRecord, IngestResult
from tests.archive.feed import record
from tests.archive.index_answers import answers
from tests.extract_eval import replica_rules
from tests.replica import Replica
from tests.services import create_database


@pytest.fixture
def reference_url(archive_url: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """A second fresh archive on the same database system as `archive_url`."""
    if archive_url.startswith("sqlite"):
        return f"sqlite:///{tmp_path / 'reference.sqlite'}"
    return create_database(request.getfixturevalue("postgres"), f"reference_{uuid.uuid4().hex[:8]}")


def story() -> tuple[list[FetchRecord], Any]:
    """After enough pages for the archive to train its compression dictionary (before it, bodies are
    written one at a time), each article's page fetched twice in a row, nine days apart (edits between),
    so that a batch often holds both; and among them: listings, a fetch repeated, a 304, an article 404
    met before the article (which its first 200 then adopts), and an older capture arriving late."""
    with Replica(articles=200, seed=11) as rep:
        live = [t["canonical_url"] for t in rep.truth() if t["status"] == "live" and t["kind"] == "normal"]
        warm_up, urls = [record(u) for u in live[70:150]], live[:70]
        listings = [rep.base_url + "/", rep.base_url + "/rss/home.rss"]
        first = [record(u) for u in urls + listings]
        rep.advance(24 * 9)
        second = [record(u) for u in urls + listings]
        not_modified = record(urls[5], {"If-None-Match": second[5].header("etag") or ""})
        rules = replica_rules(rep)
    assert not_modified.status == 304
    records: list[FetchRecord] = []
    for a, b in zip(first, second, strict=True):
        records += [a, b]
    gone_first = replace(first[30], status=404, body=b"", fetched_at=first[30].fetched_at - timedelta(hours=2))
    older = replace(first[12], fetched_at=first[12].fetched_at - timedelta(hours=1))
    records.insert(60, gone_first)  # in the batch before the article's first 200
    records[90:90] = [records[89], not_modified, older]  # a repeat, a 304, a capture older than the latest
    return warm_up + records, rules


def contents(url: str) -> dict[str, list[Any]]:
    arch = Archive(url)
    try:
        with arch.transaction(write=False) as s:
            out = {
                "fetches": s.execute(select(Fetch.id, Fetch.key, Fetch.status, Fetch.canonical_url, Fetch.article_id,
                                            Fetch.body_sha256).order_by(Fetch.id)).all(),
                "extractions": s.execute(select(Extraction.id, Extraction.fetch_id, Extraction.fingerprint,
                                                Extraction.ok).order_by(Extraction.id)).all(),
                "articles": s.execute(select(Article.id, Article.canonical_url, Article.site_id, Article.status,
                                             Article.first_seen, Article.last_seen, Article.gone_at)
                                      .order_by(Article.id)).all(),
                "versions": s.execute(select(Version.article_id, Version.number, Version.extraction_id,
                                             Version.fingerprint, Version.seen_at, Version.title)
                                      .order_by(Version.article_id, Version.number)).all(),
                "bodies": s.execute(select(RawBody.sha256, RawBody.size).order_by(RawBody.sha256)).all(),
                "search": s.execute(select(SearchDoc.article_id, SearchDoc.extraction_id, SearchDoc.status,
                                           SearchDoc.title, SearchDoc.tags_key)
                                    .order_by(SearchDoc.article_id)).all(),
            }
    finally:
        arch.close()
    out["answers"] = answers(url)
    return out


def summary(result: IngestResult) -> tuple[Any, ...]:
    return (result.outcome, result.fetch_id, result.article_id, result.new_article, result.version,
            result.new_body, result.extracted)


def test_a_batch_writes_what_single_fetches_write(archive_url: str, reference_url: str) -> None:
    records, rules = story()
    one: list[IngestResult] = []
    ingestor = Ingestor(Archive(reference_url), rules, set_wise=False)
    for rec in records:
        one.append(ingestor.ingest(rec))
    ingestor.archive.close()
    batched: list[IngestResult] = []
    ingestor = Ingestor(Archive(archive_url), rules)
    ingest_many(ingestor, records, on_result=batched.append)
    ingestor.archive.close()

    assert [summary(r) for r in batched] == [summary(r) for r in one]
    outcomes = {r.outcome for r in one}
    assert {"version", "unchanged", "duplicate", "not_modified", "page", "failed"} <= outcomes
    expected, got = contents(reference_url), contents(archive_url)
    for table in expected:
        assert got[table] == expected[table], table
    adopted = [f for f in expected["fetches"] if f[2] == 404]
    assert adopted and adopted[0][4] is not None  # the early 404 belongs to its article
