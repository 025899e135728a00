"""The archive a season built, against the replica's ground truth: completeness, versions, takedowns, run
records, search and the database's integrity. Each check lists what it found wrong; all empty is a pass."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from archive.database import Archive
from archive.parsers import load_parser, reported_version
from archive.search import store
from archive.search.engine import matching_articles
from archive.search.fold import fold
from archive.urls import DEFAULT_RULES
from archive.verify import verify
from tests.archive.parsers import EDITORS_NOTE
from tests.archive.test_export import state
from tests.crawler.harness import ROOT
from tests.replica.site import ArticleMeta, Site
from tests.replica.truth import block_texts
from tests.season.driver import Season, query
from tests.season.plan import OVERLAP

SAYS_WHY = ("failed", "incomplete", "unhealthy", "interrupted", "refused")
COMPLETED = ("ok", "unhealthy")
PHRASE_WORDS = 6
OLD_EDIT = timedelta(days=14)


@dataclass
class Accuracy:
    published: int = 0  # articles the site published that some run could have seen
    archived: int = 0
    versions_expected: int = 0
    versions_archived: int = 0
    edits_checked: int = 0
    old_edits_checked: int = 0  # made two weeks or more after publication
    gone_expected: int = 0
    searched: int = 0
    missing: list[int] = field(default_factory=list)  # site ids
    duplicated: list[int] = field(default_factory=list)
    wrong_url: list[int] = field(default_factory=list)
    versions_missing: list[tuple[int, int, int]] = field(default_factory=list)  # (site id, expected, archived)
    versions_invented: list[tuple[int, int, int]] = field(default_factory=list)
    late_edits: list[tuple[int, str]] = field(default_factory=list)  # (site id, edit time)
    gone_unmarked: list[int] = field(default_factory=list)
    gone_without_history: list[int] = field(default_factory=list)
    run_problems: list[str] = field(default_factory=list)
    search_misses: list[tuple[int, str]] = field(default_factory=list)
    not_reextracted: list[int] = field(default_factory=list)  # article fetches the deployment's parser never read
    integrity: str = ""  # `archive verify` of the whole archive: "ok", or its first problems
    # on the distributed setup
    index_problems: list[str] = field(default_factory=list)  # the follower's index at the end
    backup_problems: list[str] = field(default_factory=list)  # the mid-season backup, restored at the end
    restored_articles: int = 0

    FAILURES = ("missing", "duplicated", "wrong_url", "versions_missing", "versions_invented", "late_edits",
                "gone_unmarked", "gone_without_history", "run_problems", "search_misses", "not_reextracted",
                "index_problems", "backup_problems")

    def failures(self) -> dict[str, list[Any]]:
        found = {name: getattr(self, name) for name in self.FAILURES if getattr(self, name)}
        if self.integrity != "ok":
            found["integrity"] = [self.integrity]
        return found


def content_key(meta: ArticleMeta, version: int, drops_editors_note: bool) -> tuple[Any, ...]:
    """What a version of the article shows a reader, under the parser in use: the replica's edits fix a
    typo in the title, rewrite the lead, or append a paragraph or the newsroom's correction note, which
    the candidate parser does not see when it is the last block."""
    applied = [kind for _, kind in meta.edits[:version]]
    appended = [n for n, kind in enumerate(applied) if kind in ("paragraph", "correction")]
    if drops_editors_note and appended and applied[appended[-1]] == "correction":
        appended = appended[:-1]
    leads = [n for n, kind in enumerate(applied) if kind == "lead"]
    return ("typo" in applied, leads[-1] if leads else None, tuple(appended))


def distinct_in_order(keys: list[tuple[Any, ...]]) -> int:
    return sum(1 for n, key in enumerate(keys) if n == 0 or key != keys[n - 1])


class Checker:
    def __init__(self, season: Season, site: Site, restore_into: str | None = None) -> None:
        """`restore_into`: an empty database to restore the mid-season backup into, if there was one."""
        self.season, self.site, self.restore_into = season, site, restore_into
        self.out = Accuracy()
        self.crawls = sorted({c.clock for c in season.commands if c.kind == "crawl"})
        self.records = season.records()
        completed = [rid for rid, rec in self.records.items() if rec["kind"] == "crawl" and rec["outcome"] in COMPLETED]
        self.completed_clocks = sorted({season.clock_of(rid) for rid in completed})
        self.parser_changed = season.plan.parser_at(season.plan.runs) is not None

    def run(self) -> Accuracy:
        if self.season.plan.cluster:
            self.check_index()  # first: the search check below would otherwise index what is missing
        archived = self.archived()
        self.check_articles(archived)
        self.check_runs()
        self.check_search(archived)
        url = self.season.db_url
        if spec := self.season.plan.parser_at(self.season.plan.runs):
            version = reported_version(load_parser(spec), DEFAULT_RULES)
            self.out.not_reextracted = [row[0] for row in query(
                url, "SELECT f.id FROM fetches f WHERE f.status = 200 AND f.article_id IS NOT NULL AND NOT EXISTS "
                "(SELECT 1 FROM extractions e WHERE e.fetch_id = f.id AND e.parser_version = :version)",
                version=version)]
        archive = Archive(url, read_only=True)
        try:
            problems: list[str] = []
            audit = verify(archive, on_problem=problems.append)
            self.out.integrity = "ok" if audit.ok else "; ".join(problems[:3])
        finally:
            archive.close()
        if self.season.backup is not None:
            self.check_backup()
        return self.out

    def check_index(self) -> None:
        """The follower kept the index: it holds all the archive committed, and stopped cleanly."""
        season = self.season
        archive = Archive(season.db_url, read_only=True)
        try:
            if not store.for_engine(archive.engine, season.db_url).is_current():
                self.out.index_problems.append("the follower's index does not hold all the archive committed")
        finally:
            archive.close()
        if season.follower_exit != 0:
            self.out.index_problems.append(f"archive index follow exited {season.follower_exit}")

    def check_backup(self) -> None:
        """The mid-season WARC backup, imported into an empty database, gives the archive as it was."""
        backup, problems = self.season.backup, self.out.backup_problems
        assert backup is not None
        if backup.exit_code != 0:
            problems.append(f"the backup's export exited {backup.exit_code}")
            return
        if self.restore_into is None:
            problems.append("no database to restore the backup into")
            return
        done = subprocess.run([sys.executable, "-m", "archive", "--db", self.restore_into, "import", str(backup.path)],
                              cwd=ROOT, capture_output=True, text=True, timeout=1800)
        if done.returncode != 0:
            problems.append(f"archive import of the backup exited {done.returncode}: {done.stderr[-300:]}")
            return
        restored = state(self.restore_into)
        self.out.restored_articles = len(restored)
        differing = sorted(u for u in set(restored) | set(backup.state) if restored.get(u) != backup.state.get(u))
        if differing:
            problems.append(f"{len(differing)} articles differ from the archive at the backup, e.g. {differing[:2]}")

    def archived(self) -> dict[int, list[dict[str, Any]]]:
        """site id -> its archived articles (one, when all is well): url, status, versions, and the runs
        whose fetch of it gave a page extraction made an article of."""
        url = self.season.db_url
        out: dict[int, list[dict[str, Any]]] = defaultdict(list)
        versions = Counter(dict(query(url, "SELECT article_id, count(*) FROM versions GROUP BY article_id")))
        fetched: dict[int, set[int]] = defaultdict(set)
        for article_id, run_id in query(
                url, "SELECT DISTINCT f.article_id, f.run_id FROM fetches f JOIN extractions e ON e.fetch_id = f.id "
                "WHERE f.status = 200 AND e.ok AND f.run_id IS NOT NULL"):
            fetched[article_id].add(run_id)
        for aid, site_id, canonical, status in query(url, "SELECT id, site_id, canonical_url, status FROM articles"):
            out[site_id].append({"id": aid, "url": canonical, "status": status, "versions": versions[aid],
                                 "runs": fetched[aid]})
        return out

    def check_articles(self, archived: dict[int, list[dict[str, Any]]]) -> None:
        out, end = self.out, self.season.end
        for meta in self.site.published_before(end):
            seen = any(meta.published <= c and not meta.is_gone(c) for c in self.crawls)
            rows = archived.get(meta.id, [])
            if not seen:
                continue
            out.published += 1
            if not rows:
                out.missing.append(meta.id)
                continue
            out.archived += 1
            if len(rows) > 1:
                out.duplicated.append(meta.id)
            row = rows[0]
            if urlsplit(row["url"]).path != meta.path:
                out.wrong_url.append(meta.id)
            clocks = sorted({self.season.clock_of(r) for r in row["runs"]})
            keys = [content_key(meta, meta.version_at(c), self.parser_changed) for c in clocks]
            expected = distinct_in_order(keys)
            out.versions_expected += expected
            out.versions_archived += row["versions"]
            if row["versions"] < expected:
                out.versions_missing.append((meta.id, expected, row["versions"]))
            elif row["versions"] > expected:
                out.versions_invented.append((meta.id, expected, row["versions"]))
            self.check_edits(meta, clocks)
            if meta.gone_at is not None and meta.gone_at <= self.crawls[-1]:
                out.gone_expected += 1
                if row["status"] != "gone":
                    out.gone_unmarked.append(meta.id)
                if row["versions"] == 0:
                    out.gone_without_history.append(meta.id)

    def check_edits(self, meta: ArticleMeta, fetched: list[datetime]) -> None:
        """Sitemaps announce each edit by its lastmod: the first completed run after an edit must fetch it."""
        for edit, _kind in meta.edits:
            if edit <= self.crawls[0]:
                continue
            due = [c for c in self.completed_clocks if c >= edit]
            if not due or meta.is_gone(due[0]):
                continue
            self.out.edits_checked += 1
            self.out.old_edits_checked += edit - meta.published >= OLD_EDIT
            if not any(edit <= t <= due[0] for t in fetched):
                self.out.late_edits.append((meta.id, edit.isoformat()))

    def check_runs(self) -> None:
        problems = self.out.run_problems
        for command in self.season.commands:
            if len(command.records) != 1:
                problems.append(f"run {command.run} {command.kind}: {len(command.records)} run records")
                continue
            record = self.records[command.records[0]]
            if command.kind == "verify" and (command.exit_code != 0 or record["outcome"] != "ok"):
                problems.append(f"run {command.run}: verify exited {command.exit_code}, recorded {record['outcome']}")
            if command.kind == OVERLAP and (command.exit_code != 3 or record["outcome"] != "refused"):
                problems.append(f"run {command.run}: the overlapping start exited {command.exit_code}, "
                                f"recorded {record['outcome']}")
            if record["outcome"] in SAYS_WHY and not record["counts"].get("problems"):
                problems.append(f"run record {command.records[0]} is {record['outcome']} and does not say why")
            if record["outcome"] == "running":
                problems.append(f"run record {command.records[0]} is still running")

    def check_search(self, archived: dict[int, list[dict[str, Any]]]) -> None:
        archive = Archive(self.season.db_url, read_only=True)
        try:
            with archive.transaction(write=False) as session:
                for site_id, rows in archived.items():
                    meta = self.site.by_id.get(site_id)
                    if meta is None or rows[0]["status"] != "live" or not rows[0]["versions"]:
                        continue
                    phrase = self.phrase(meta, max(self.season.clock_of(r) for r in rows[0]["runs"]))
                    self.out.searched += 1
                    for query in (phrase, fold(phrase)):
                        ids = session.scalars(matching_articles(session, f'"{query}"')).all()
                        if rows[0]["id"] not in ids:
                            self.out.search_misses.append((site_id, query))
        finally:
            archive.close()

    def phrase(self, meta: ArticleMeta, clock: datetime) -> str:
        """Words from the middle of the longest body line of the version last archived."""
        content = self.site.content(meta, meta.version_at(clock))
        lines = [line for line in block_texts(content["blocks"]) if not line.startswith(EDITORS_NOTE)]
        words = max(lines, key=len).split()
        middle = max(0, len(words) // 2 - PHRASE_WORDS // 2)
        return " ".join(w.strip(".,:;!?\"'()“”") for w in words[middle:middle + PHRASE_WORDS])
