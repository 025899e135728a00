"""The change log against the replica's truth: several rounds of fetching every article while the site
edits, takes down and restores them; then each kind of edit made by hand on real pages."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

import pytest
from alembic import command
from click.testing import CliRunner
from sqlalchemy import select

from archive import changes
from archive.change_summary import summarize
from archive.changes import ChangeError, ChangeFilters
from archive.cli import cli
from archive.database import Archive, alembic_config
from archive.ingest import Ingestor
from archive.models import Article
from archive.records import FetchRecord
from archive.search.fold import words
from tests.archive.feed import record
from tests.extract_eval import replica_rules
from tests.replica import Replica
from tests.replica.site import ArticleMeta

pytestmark = pytest.mark.slow  # a replica fetched in full five times

EDIT_KIND = {"typo": "title", "lead": "lead", "paragraph": "body", "correction": "body"}
ROUNDS, STEP_HOURS = 5, 60


@dataclass
class Seen:
    """What the archive was shown of one article, fetch by fetch: (time, version or None when gone)."""

    meta: ArticleMeta
    states: list[tuple[datetime, int | None, int]] = field(default_factory=list)  # (fetched_at, version, status)


@dataclass
class Story:
    url: str
    seen: dict[int, Seen]  # by the site's id
    ids: dict[int, int]  # site id -> archive id
    restored: int  # the site id of the article taken down and put back


@pytest.fixture(scope="module")
def story(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Story]:
    path = tmp_path_factory.mktemp("changes") / "archive.sqlite"
    with Replica(articles=240, seed=11) as rep:
        archive = Archive(f"sqlite:///{path}")
        ingestor = Ingestor(archive, replica_rules(rep))
        seen: dict[int, Seen] = {}
        restored: ArticleMeta | None = None
        for _ in range(ROUNDS):
            for meta in rep.site.published_before(rep.now):
                if meta.kind == "emagazine" or (meta.id not in seen and meta.is_gone(rep.now)):
                    continue  # a page for the browser, or never archived
                got = record(rep.base_url + meta.path)
                ingestor.ingest(got)
                entry = seen.setdefault(meta.id, Seen(meta))
                entry.states.append((got.fetched_at, None if meta.is_gone(rep.now) else meta.version_at(rep.now),
                                     got.status))
            if restored is None:  # the first archived article taken down is put back
                restored = next((s.meta for s in seen.values() if s.meta.is_gone(rep.now)
                                 and any(v is not None for _, v, _ in s.states)), None)
                if restored is not None:
                    rep.site.restore(restored)
            rep.advance(STEP_HOURS)
        assert restored is not None
        with archive.transaction(write=False) as session:
            ids = {site_id: id_ for site_id, id_ in session.execute(select(Article.site_id, Article.id))}
        archive.close()
    yield Story(f"sqlite:///{path}", seen, ids, restored.id)


def expected(story: Story) -> list[tuple[int, tuple[str, ...], datetime]]:
    """(archive id, kinds, seen at) of every change the fetches could show, from the replica's truth."""
    out = []
    for site_id, seen in story.seen.items():
        version, live = None, None
        for at, now_version, _ in seen.states:
            now_live = now_version is not None
            if live is not None and now_live != live:
                out.append((story.ids[site_id], ("return",) if now_live else ("takedown",), at))
            if now_live and version is not None and now_version != version:
                kinds = {EDIT_KIND[kind] for _, kind in seen.meta.edits[version:now_version]}
                out.append((story.ids[site_id], tuple(k for k in changes.KINDS if k in kinds), at))
            if now_live:
                version = now_version
            live = now_live
    return sorted(out, key=lambda e: e[2], reverse=True)


def log(story: Story, filters: ChangeFilters | None = None) -> list[changes.Entry]:
    archive = Archive(story.url, read_only=True)
    with archive.transaction(write=False) as session:
        return list(changes.Log(session, filters or ChangeFilters()).stream())


def test_every_edit_takedown_and_return_appears_once_with_its_kinds(story: Story) -> None:
    found = [(e.article_id, tuple(e.kinds), e.seen_at) for e in log(story)]
    wanted = expected(story)
    assert {k for _, kinds, _ in wanted for k in kinds} == {"title", "lead", "body", "takedown", "return"}
    assert found == wanted


def test_each_edit_counts_the_words_it_removed_and_added(story: Story) -> None:
    edits = [e for e in log(story) if e.number]
    assert edits
    for entry in edits:
        seen = story.seen[next(s for s, a in story.ids.items() if a == entry.article_id)]
        kinds = [kind for _, kind in seen.meta.edits]
        assert entry.removed + entry.added > 0
        assert entry.removed == sum(r for r, _ in entry.words.values())
        if "title" in entry.kinds:  # a typo fixed: one word for another
            assert entry.words["title"] == [1, 1] and entry.title_before != entry.title
        if entry.kinds == ["body"] and "lead" not in kinds and "typo" not in kinds:
            assert entry.words["body"][0] == 0 and entry.words["body"][1] >= 5  # a paragraph or note added
        assert entry.lag is not None and entry.lag > timedelta(0)


def test_a_takedown_says_its_status_and_the_restored_article_returns(story: Story) -> None:
    entries = log(story)
    restored = story.ids[story.restored]
    mine = [e.kinds[0] for e in reversed(entries) if e.article_id == restored and e.kinds[0] in changes.EVENTS]
    assert mine == ["takedown", "return"]
    assert all(e.status in (404, 410) for e in entries if e.kinds == ["takedown"])


def test_filters_choose_by_kind_size_time_and_article(story: Story) -> None:
    everything = log(story)
    titles = log(story, ChangeFilters(kinds=("title",)))
    assert titles and titles == [e for e in everything if "title" in e.kinds]
    big = log(story, ChangeFilters(min_words=20))
    assert big == [e for e in everything if e.number and e.removed + e.added >= 20]
    middle = everything[len(everything) // 2].seen_at
    assert log(story, ChangeFilters(since=middle)) == [e for e in everything if e.seen_at >= middle]
    assert log(story, ChangeFilters(until=middle)) == [e for e in everything if e.seen_at < middle]
    one = everything[0]
    in_section = log(story, ChangeFilters(section=one.section))
    assert [e for e in everything if e.section == one.section] == [e for e in in_section if e.section == one.section]
    assert set(e.id for e in in_section) < set(e.id for e in everything)
    found = log(story, ChangeFilters(query=f'"{" ".join(words(one.title))}"'))  # a title may hold quote marks
    assert one in found and {e.article_id for e in found} == {one.article_id}


def test_a_page_shows_the_log_in_order_and_counts_add_up(story: Story) -> None:
    archive = Archive(story.url, read_only=True)
    with archive.transaction(write=False) as session:
        everything = list(changes.Log(session, ChangeFilters()).stream())
        assert changes.Log(session, ChangeFilters()).page(5, 5) == everything[5:10]
        counted = changes.Log(session, ChangeFilters()).counts()
    assert counted.total == len(everything)
    for kind in changes.KINDS:
        assert counted.kinds.get(kind, 0) == sum(kind in e.kinds for e in everything)
    assert sum(n for _, week in counted.weeks for n in week.values()) == sum(len(e.kinds) for e in everything)


def test_the_summary_matches_the_truth(story: Story) -> None:
    archive = Archive(story.url, read_only=True)
    with archive.transaction(write=False) as session:
        groups = summarize(session, ChangeFilters())
    overall = groups[0]
    edited = {site_id for site_id, s in story.seen.items()
              if len({v for _, v, _ in s.states if v is not None}) > 1}
    archived = {s for s, seen in story.seen.items() if any(v is not None for _, v, _ in seen.states)}
    assert overall.articles == len(archived)
    assert overall.edited == len(edited)
    lags = sorted(next(at for at, v, _ in s.states if v is not None and v != next(
        v0 for _, v0, _ in s.states if v0 is not None)).timestamp() - s.meta.published.timestamp()
        for site_id, s in story.seen.items() if site_id in edited)
    middle = len(lags) // 2
    median = lags[middle] if len(lags) % 2 else (lags[middle - 1] + lags[middle]) / 2
    assert overall.median_lag_hours == pytest.approx(median / 3600, abs=0.01)
    sections = [g for g in groups if g.scope == "section"]
    assert sum(g.articles for g in sections) == overall.articles
    assert sum(g.edited for g in sections) == overall.edited
    assert overall.kinds["takedown"] == sum(1 for e in expected(story) if e[1] == ("takedown",))


def test_the_command_streams_text_json_and_csv(story: Story) -> None:
    runner = CliRunner()
    as_json = runner.invoke(cli, ["--db", story.url, "changes", "--format", "json"])
    assert as_json.exit_code == 0, as_json.output
    rows = [json.loads(line) for line in as_json.output.splitlines()]
    assert [r["id"] for r in rows] == [e.id for e in log(story)]
    as_csv = runner.invoke(cli, ["--db", story.url, "changes", "--format", "csv", "--kind", "takedown"])
    assert [r["kinds"] for r in csv.DictReader(io.StringIO(as_csv.output))] == ["takedown"] * sum(
        r["kinds"] == ["takedown"] for r in rows)
    text = runner.invoke(cli, ["--db", story.url, "changes", "--kind", "title"])
    assert text.exit_code == 0 and "title: " in text.output and " → " in text.output
    summary = runner.invoke(cli, ["--db", story.url, "changes", "--summary", "--format", "csv"])
    table = list(csv.DictReader(io.StringIO(summary.output)))
    assert table[0]["scope"] == "all" and {r["scope"] for r in table} == {"all", "section", "month"}


@pytest.mark.parametrize("args", [["--since", "yesterday"], ["--kind", "typo"], ["--min-words", "-1"],
                                  ["--query", "(unbalanced"], ["--since", "2026-06-02", "--until", "2026-06-01"]])
def test_bad_filters_are_one_line_and_exit_2(story: Story, args: list[str]) -> None:
    result = CliRunner().invoke(cli, ["--db", story.url, "changes", *args])
    assert result.exit_code == 2
    assert "Traceback" not in result.output and result.output.strip().splitlines()[-1].startswith("Error")


def test_an_unknown_kind_is_refused_by_the_library_too() -> None:
    with pytest.raises(ChangeError, match="unknown kind"):
        ChangeFilters(kinds=("typo",))


# -- each kind of edit, made by hand on a real page ---------------------------------------------------

def _edited(page: FetchRecord, later: timedelta, *swaps: tuple[str, str]) -> FetchRecord:
    assert page.body is not None
    html = page.body.decode("utf-8")
    for old, new in swaps:
        assert old in html, old
        html = html.replace(old, new)
    return replace(page, body=html.encode("utf-8"), fetched_at=page.fetched_at + later)


@pytest.fixture
def hand_edits(replica: Replica, archive_url: str) -> tuple[Archive, dict[str, Any], list[str]]:
    truth = next(t for t in replica.truth() if t["status"] == "live" and t["template"] == "current"
                 and t["kind"] == "normal" and len(t["authors"]) == 1 and len(t["tags"]) >= 2)
    page = record(truth["canonical_url"])
    published = datetime.fromisoformat(truth["published"])
    moved = published - timedelta(minutes=47)
    steps = [
        _edited(page, timedelta(hours=1),
                ('"dateModified":"' + truth["updated"], '"dateModified":"2099-01-01T00:00:00+07:00')),
        _edited(page, timedelta(hours=2), (truth["authors"][0], "Trần Thị Mới"), (truth["section"], "Mục Mới")),
        _edited(page, timedelta(hours=3), (truth["authors"][0], "Trần Thị Mới"), (truth["section"], "Mục Mới"),
                (f'>{truth["tags"][0]}<', ">thuế quan<")),
        _edited(page, timedelta(hours=4), (truth["authors"][0], "Trần Thị Mới"), (truth["section"], "Mục Mới"),
                (f'>{truth["tags"][0]}<', ">thuế quan<"), (truth["published"], moved.isoformat()),
                *[(published.strftime(f), moved.strftime(f)) for f in ("%d/%m/%Y - %H:%M", "%d/%m/%Y %H:%M")
                  if published.strftime(f) in page.body.decode("utf-8")]),
    ]
    archive = Archive(archive_url)
    ingestor = Ingestor(archive, replica_rules(replica))
    for fetched in [page, *steps]:
        ingestor.ingest(fetched)
    with archive.transaction(write=False) as session:
        kinds = [",".join(e.kinds) for e in reversed(list(changes.Log(session, ChangeFilters()).stream()))]
        counted = changes.Log(session, ChangeFilters()).counts()
    assert counted.total == len(kinds) and sum(n for _, week in counted.weeks for n in week.values()) == 4
    return archive, truth, kinds


def test_authors_tags_publication_and_section_changes_are_named_and_a_new_updated_stamp_is_none(
        hand_edits: tuple[Archive, dict[str, Any], list[str]]) -> None:
    _, _, kinds = hand_edits
    assert kinds == ["authors,section", "tags", "published"]


def test_upgrading_an_archive_made_before_the_log_measures_its_versions(
        hand_edits: tuple[Archive, dict[str, Any], list[str]]) -> None:
    archive, _, kinds = hand_edits
    command.downgrade(alembic_config(archive.engine), "0005")
    command.upgrade(alembic_config(archive.engine), "head")
    with archive.transaction(write=False) as session:
        assert list(changes.Log(session, ChangeFilters()).stream()) == []  # unmeasured: nothing to show yet
    result = CliRunner().invoke(cli, ["--db", archive.url, "db", "upgrade"])
    assert result.exit_code == 0 and "measured what 3 versions changed" in result.output
    with archive.transaction(write=False) as session:
        assert [",".join(e.kinds) for e in reversed(list(changes.Log(session, ChangeFilters()).stream()))] == kinds
