"""ingest() against the replica, on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import String, cast, func, select

from archive.database import Archive
from archive.ingest import Ingestor
from archive.models import Article, Extraction, Fetch, RawBody, Version
from archive.records import FetchRecord
from archive.urls import UrlRules
from tests.archive.feed import ingest_all, record
from tests.conftest import LEGACY_NOW
from tests.extract_eval import replica_rules
from tests.replica import Replica


@pytest.fixture
def archive(archive_url: str) -> Iterator[Archive]:
    arch = Archive(archive_url)
    yield arch
    arch.close()


def count(arch: Archive, model: type) -> int:
    with arch.transaction(write=False) as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


def versions_by_site_id(arch: Archive) -> dict[int, int]:
    with arch.transaction(write=False) as s:
        rows = s.execute(select(Article.site_id, func.count(Version.id)).join(Version).group_by(Article.site_id))
        return {site_id: n for site_id, n in rows}


def live_urls(rep: Replica, kinds: tuple[str, ...] = ("normal", "seed")) -> list[str]:
    return [t["canonical_url"] for t in rep.truth() if t["status"] == "live" and t["kind"] in kinds]


@pytest.mark.slow
def test_every_page_of_a_500_article_replica(archive: Archive) -> None:
    with Replica(articles=500, seed=4) as rep:
        ingestor = Ingestor(archive, replica_rules(rep))
        urls = live_urls(rep)
        variants = [u + "?utm_source=facebook&fbclid=x" for u in urls[:40]]
        variants += [rep.alias_url + u[len(rep.base_url):] for u in urls[40:60]]
        outcomes = ingest_all(ingestor, urls + variants)
    assert outcomes["version"] == len(urls) and outcomes["unchanged"] == len(variants)
    assert count(archive, Article) == len(urls)
    assert set(versions_by_site_id(archive).values()) == {1}


def test_edits_make_versions_and_noise_does_not(archive: Archive) -> None:
    with Replica(articles=150, seed=4) as rep:
        ingestor = Ingestor(archive, replica_rules(rep))
        urls = live_urls(rep)
        ingest_all(ingestor, urls)
        before = {t["site_id"]: t["version"] for t in rep.truth()}
        rep.advance(240)  # edits land, comment counts and "Đọc nhiều" move, articles are taken down
        after = {t["site_id"]: t for t in rep.truth()}
        outcomes = ingest_all(ingestor, urls)
    edited = {sid for sid, t in after.items() if sid in before and t["status"] == "live"
              and t["version"] > before[sid] and t["kind"] != "emagazine"}
    assert edited, "the replica scheduled no edit in ten days"
    grew = {sid for sid, n in versions_by_site_id(archive).items() if n > 1}
    assert grew == edited
    assert outcomes["version"] == len(edited)
    gone = {sid for sid, t in after.items() if t["status"] == "gone" and t["canonical_url"] in urls}
    with archive.transaction(write=False) as s:
        marked = set(s.scalars(select(Article.site_id).where(Article.status == "gone")))
    assert marked == gone


def test_sql_echo_and_template_switch_make_no_version(archive: Archive) -> None:
    now = LEGACY_NOW
    with Replica(articles=80, seed=4, now=now, redesign=now + timedelta(hours=1)) as rep:
        ingestor = Ingestor(archive, replica_rules(rep))
        urls = live_urls(rep)
        assert ingest_all(ingestor, urls)["version"] == len(urls)
        assert ingest_all(ingestor, urls)["unchanged"] == len(urls), "the SQL echo differs, the article does not"
        rep.advance(0.5)  # before the redesign: only the clock-driven noise moves
        ingest_all(ingestor, urls)
        rep.advance(1)  # the site-wide switch to OneCMS
        outcomes = ingest_all(ingestor, urls)
    edited_meanwhile = outcomes["version"]
    assert count(archive, Version) == len(urls) + edited_meanwhile
    assert edited_meanwhile <= 2, "1.5 hours of the replica's clock edit at most a couple of articles"
    with archive.transaction(write=False) as s:
        templates = set(s.scalars(select(Extraction.fields["template"].as_string())))
    assert templates == {"legacy", "generic", "current"}, "legacy pages in other forms are read by the fallback"


def test_same_fetch_twice_changes_nothing(archive: Archive, replica: Replica) -> None:
    ingestor = Ingestor(archive, replica_rules(replica))
    rec = record(live_urls(replica)[0])
    first, second = ingestor.ingest(rec), ingestor.ingest(rec)
    assert (first.outcome, second.outcome) == ("version", "duplicate")
    assert count(archive, Fetch) == 1 and count(archive, Version) == 1


def test_identical_bodies_are_stored_once(archive: Archive, replica: Replica) -> None:
    ingestor = Ingestor(archive, replica_rules(replica))
    url = live_urls(replica)[1]
    results = [ingestor.ingest(record(url)) for _ in range(3)]
    assert [r.new_body for r in results] == [True, False, False]
    assert count(archive, RawBody) == 1 and count(archive, Fetch) == 3


def test_fields_are_stored_as_utf8_json_that_the_database_reads(archive: Archive, replica: Replica) -> None:
    """Vietnamese as its letters, not \\u escapes (a third of the size), and still JSON to the database's own
    functions, which the research views use."""
    Ingestor(archive, replica_rules(replica)).ingest(record(live_urls(replica)[2]))
    with archive.transaction(write=False) as s:
        title = s.scalar(select(Extraction.fields["title"].as_string()))
        stored = s.scalar(select(cast(Extraction.fields, String)))
    assert title and not title.isascii()
    assert stored and title in stored and "\\u" not in stored


def test_not_modified_updates_last_seen_only(archive: Archive, replica: Replica) -> None:
    ingestor = Ingestor(archive, replica_rules(replica))
    url = live_urls(replica)[2]
    first = record(url)
    ingestor.ingest(first)
    again = record(url, {"If-None-Match": first.header("etag") or ""})
    assert again.status == 304
    result = ingestor.ingest(again)
    assert result.outcome == "not_modified" and result.article_id is not None
    assert count(archive, Version) == 1


def test_an_older_capture_arriving_late_reorders_versions(archive: Archive) -> None:
    with Replica(articles=120, seed=4) as rep:
        ingestor = Ingestor(archive, replica_rules(rep))
        meta = next(a for a in rep.site.visible() if a.kind == "normal" and
                    any(when > rep.now and kind != "typo" for when, kind in a.edits[:1]))
        url = rep.base_url + meta.path
        old = record(url)
        rep.advance((meta.edits[0][0] - rep.now).total_seconds() / 3600 + 1)
        new = record(url)
    assert ingestor.ingest(new).outcome == "version"
    assert ingestor.ingest(old).outcome == "version"
    with archive.transaction(write=False) as s:
        article = s.scalars(select(Article)).one()
        assert [v.seen_at for v in article.versions] == sorted(v.seen_at for v in article.versions)
        assert article.versions[-1].fingerprint != article.versions[0].fingerprint


def test_browser_pages_fetched_plainly_are_failures_not_versions(archive: Archive, replica: Replica) -> None:
    ingestor = Ingestor(archive, replica_rules(replica))
    result = ingestor.ingest(record(live_urls(replica, ("emagazine",))[0]))
    assert result.outcome == "failed" and "needs_browser" in result.flags
    assert count(archive, Version) == 0 and count(archive, Fetch) == 1


def test_naive_time_is_refused(archive: Archive) -> None:
    from datetime import datetime

    with pytest.raises(ValueError, match="timezone-aware"):
        Ingestor(archive).ingest(FetchRecord("https://x.vn/a-1234567.html", "https://x.vn/a-1234567.html", 200, {},
                                             b"<html></html>", datetime(2026, 1, 1)))


class CountingRules(UrlRules):
    """The replica's URL rules, counting how often a URL is canonicalized."""

    calls = 0

    def canonical(self, url: str) -> str:
        CountingRules.calls += 1
        return super().canonical(url)


@pytest.mark.parametrize("status", [200, 304, 404])
def test_a_record_is_canonicalized_where_it_is_prepared_and_never_while_written(
        archive: Archive, replica: Replica, status: int) -> None:
    rules = CountingRules(replica_rules(replica).aliases)
    ingestor = Ingestor(archive, rules)
    url = live_urls(replica)[3]
    first = record(url)
    ingestor.ingest(first)
    later = replace(first, status=status, body=None if status != 200 else first.body,
                    fetched_at=first.fetched_at + timedelta(hours=1))
    prepared = ingestor.prepare(later)
    CountingRules.calls = 0
    result = ingestor.write([prepared])[0]
    assert CountingRules.calls == 0 and result.article_id is not None
    assert prepared.article_url == prepared.final_canonical == rules.canonical(url)
