"""`archive reextract`: a parser run again over the stored raw pages, with no fetching.

The parser is the one `extract()` or a candidate with its signature (`--parser MODULE:FUNCTION`). Work
goes by batches of whole articles:

1. every stored article page of the batch that has no extraction by this parser version yet is read
   from the raw store and extracted, in a pool of worker processes that read the bodies themselves;
2. one writer (this process) adds the new extractions and, in the same transaction, rebuilds each
   article's versions from them by the rule ingest uses (`versions.sequence`), writing only where they
   differ, with the article's search entry.

A batch commits whole, so a killed run resumes where it stopped (pages extracted by this version are
not extracted again), and a second run changes nothing. Raw bodies and fetch rows are never written. A
dry run reads the archive only and computes the same report from the same planning code.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import datetime
from itertools import islice
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from archive import changes, rawstore
from archive.database import Archive
from archive.diff import Piece, with_context, word_diff
from archive.locks import article_key, lock_articles
from archive.models import Article, Extraction, Fetch, SearchDoc, Version
from archive.parsers import Parser, load_parser, reported_version
from archive.search import index as search_index
from archive.search.engine import Filters, conditions
from archive.urls import UrlRules
from archive.versions import INSERT_VERSION, published_of, sequence

BATCH_ARTICLES = 50
EXAMPLES = 3
NOT_FIELDS = ("parser_version", "fingerprint")  # differ for every parser change: not a change of content


def parse_shard(value: str) -> tuple[int, int]:
    """ "2/3" -> (2, 3); raises ValueError (one line) for anything else."""
    number, _, count = value.partition("/")
    if not (number.isdigit() and count.isdigit() and 1 <= int(number) <= int(count)):
        raise ValueError(f"--shard {value!r} is not K/N with 1 ≤ K ≤ N (e.g. 2/3)")
    return int(number), int(count)


@dataclass(frozen=True)
class Scope:
    """Which articles: by the search index's filters (section, publication dates), by URL, and by shard:
    (K, N) takes the articles whose id is K-1 modulo N, so N machines running shards 1/N … N/N share the
    work whole articles at a time, with no overlap and no gap."""

    filters: Filters = field(default_factory=Filters)
    urls: tuple[str, ...] = ()
    shard: tuple[int, int] | None = None

    @property
    def shard_label(self) -> str | None:
        return f"{self.shard[0]}/{self.shard[1]}" if self.shard else None


@dataclass(frozen=True)
class Page:
    """One stored article page to extract."""

    fetch_id: int
    article_id: int
    sha256: str
    url: str
    content_type: str | None
    fetched_at: datetime


@dataclass(frozen=True)
class Extracted:
    fetch_id: int
    ok: bool
    fingerprint: str
    flags: list[str]
    fields: dict[str, Any]


@dataclass(frozen=True)
class Candidate:
    """One extraction by the parser's version of one of an article's pages, in fetch order."""

    fetch_id: int
    fetched_at: datetime
    extraction_id: int | None  # None in a dry run, for what is not written
    ok: bool
    fingerprint: str


@dataclass
class Report:
    parser_version: str
    dry_run: bool
    articles: int = 0
    fetches: int = 0
    extractions_written: int = 0
    articles_changed: int = 0
    fields_changed: Counter[str] = field(default_factory=Counter)
    versions_before: int = 0
    versions_after: int = 0
    versions_appear: int = 0  # articles that gain versions
    versions_merge: int = 0  # articles that lose some (a change no longer seen)
    versions_vanish: int = 0  # articles left with none (no page readable): they leave search and exports
    status_changed: int = 0  # articles that gain their first version or lose their last
    examples: list[dict[str, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["fields_changed"] = dict(sorted(self.fields_changed.items()))
        return data

    def text(self) -> str:
        verb = "would change" if self.dry_run else "changed"
        lines = [f"parser {self.parser_version}: {self.articles:,} articles, {self.fetches:,} pages; "
                 f"{self.extractions_written:,} extractions {'to write' if self.dry_run else 'written'}",
                 f"{self.articles_changed:,} articles {verb}" + (
                     ": " + ", ".join(f"{k} {v:,}" for k, v in sorted(self.fields_changed.items()))
                     if self.fields_changed else ""),
                 f"versions {self.versions_before:,} → {self.versions_after:,} ({self.versions_appear:,} articles "
                 f"gain versions, {self.versions_merge:,} lose some, {self.versions_vanish:,} lose all; "
                 f"{self.status_changed:,} enter or leave search)"]
        for example in self.examples:
            lines.append(f"  {example['url']} ({example['field']}): {example['diff']}")
        return "\n".join(lines)


# -- workers ---------------------------------------------------------------------------------------

_worker: tuple[Archive, Parser, UrlRules] | None = None


def start_worker(db_url: str, parser_spec: str, rules: UrlRules) -> None:
    global _worker
    _worker = (Archive(db_url, migrate=False, create=False), load_parser(parser_spec), rules)


def extract_pages(pages: Sequence[Page]) -> list[Extracted]:
    """Reads the pages' raw bodies and extracts them (in a worker, or here with one worker)."""
    assert _worker is not None
    archive, parser, rules = _worker
    with archive.transaction(write=False) as session:
        bodies = {p.sha256: rawstore.get(session, p.sha256) for p in pages}
    out = []
    for page in pages:
        headers = {"Content-Type": page.content_type} if page.content_type else {}
        article = parser(bodies[page.sha256], page.url, headers, page.fetched_at, rules)
        out.append(Extracted(page.fetch_id, article.ok, article.fingerprint, list(article.flags), article.to_dict()))
    return out


# -- the run ---------------------------------------------------------------------------------------

def run(archive: Archive, scope: Scope, parser_spec: str, rules: UrlRules, workers: int = 1,
        dry_run: bool = False, on_pages: Callable[[int], None] = lambda n: None,
        on_total: Callable[[int], None] = lambda n: None) -> Report:
    """Re-extracts the articles in `scope`; `on_total(pages to extract)` once, `on_pages(n)` as they are."""
    parser = load_parser(parser_spec)
    version = reported_version(parser, rules)
    report = Report(version, dry_run)
    with archive.transaction(write=False) as session:
        pages = stored_pages(session, scope, rules)
        done = extracted_fetches(session, version, [p.fetch_id for p in pages])
    by_article: dict[int, list[Page]] = defaultdict(list)
    for page in pages:
        by_article[page.article_id].append(page)
    report.articles, report.fetches = len(by_article), len(pages)
    on_total(sum(1 for p in pages if p.fetch_id not in done))
    batches = _batches(list(by_article), BATCH_ARTICLES)
    for ids, extracted in _extracted(archive, batches, by_article, done, parser_spec, rules, workers):
        if dry_run:
            with archive.transaction(write=False) as session:
                _plan_batch(session, report, ids, extracted, version, write=False)
        else:
            with archive.transaction() as session:
                lock_articles(session, [article_key(rules.site_id(url), url) for url in session.scalars(
                    select(Article.canonical_url).where(Article.id.in_(ids)))])  # as ingest does
                _plan_batch(session, report, ids, extracted, version, write=True)
                changes.measure_pending(session)
        on_pages(len(extracted))
    return report


def _batches(ids: list[int], size: int) -> Iterator[list[int]]:
    it = iter(ids)
    while chunk := list(islice(it, size)):
        yield chunk


def _extracted(archive: Archive, batches: Iterator[list[int]], by_article: dict[int, list[Page]], done: set[int],
               parser_spec: str, rules: UrlRules, workers: int) -> Iterator[tuple[list[int], list[Extracted]]]:
    """Each batch of articles with its pages' new extractions, in order; a few batches ahead in the pool."""
    def todo(ids: list[int]) -> list[Page]:
        return [p for i in ids for p in by_article[i] if p.fetch_id not in done]

    if workers <= 1:
        start_worker(archive.url, parser_spec, rules)
        for ids in batches:
            yield ids, extract_pages(todo(ids))
        return
    with ProcessPoolExecutor(workers, initializer=start_worker, initargs=(archive.url, parser_spec, rules)) as pool:
        ahead: list[tuple[list[int], Future[list[Extracted]]]] = []
        for ids in batches:
            ahead.append((ids, pool.submit(extract_pages, todo(ids))))
            if len(ahead) >= 2 * workers:
                first, future = ahead.pop(0)
                yield first, future.result()
        for ids, future in ahead:
            yield ids, future.result()


def stored_pages(session: Session, scope: Scope, rules: UrlRules) -> list[Page]:
    """Every stored page that made an article in scope (a 200 with a body, linked to its article)."""
    query = (select(Fetch.id, Fetch.article_id, Fetch.body_sha256, Fetch.final_url, Fetch.content_type,
                    Fetch.fetched_at)
             .where(Fetch.status == 200, Fetch.body_sha256.is_not(None), Fetch.article_id.is_not(None),
                    Fetch.id.in_(select(Extraction.fetch_id))))
    where = conditions(scope.filters)
    if where:
        query = query.where(Fetch.article_id.in_(select(SearchDoc.article_id).where(*where)))
    if scope.urls:
        wanted = [rules.canonical(u) for u in scope.urls]
        query = query.where(Fetch.article_id.in_(select(Article.id).where(Article.canonical_url.in_(wanted))))
    if scope.shard:
        number, count = scope.shard
        query = query.where(Fetch.article_id % count == number - 1)
    rows = session.execute(query.order_by(Fetch.article_id, Fetch.fetched_at, Fetch.id))
    return [Page(fetch_id, article_id, sha256, url, content_type, fetched_at)
            for fetch_id, article_id, sha256, url, content_type, fetched_at in rows
            if article_id is not None and sha256 is not None]


def extracted_fetches(session: Session, version: str, fetch_ids: list[int]) -> set[int]:
    done: set[int] = set()
    for chunk in _batches(fetch_ids, 5000):
        done.update(session.scalars(select(Extraction.fetch_id).where(Extraction.parser_version == version,
                                                                      Extraction.fetch_id.in_(chunk))))
    return done


def _plan_batch(session: Session, report: Report, article_ids: list[int], extracted: list[Extracted],
                version: str, write: bool) -> None:
    """The batch's new extractions added (when writing), and each article's versions planned from all its
    extractions by `version` and compared with what it has: the report counts the difference, and a
    writing run applies it."""
    fresh = {e.fetch_id: e for e in extracted}
    new = _new_extractions(session, fresh, version, write)
    report.extractions_written += len(new)
    candidates = _candidates(session, article_ids, version, unwritten=[] if write else new)
    current: dict[int, list[Any]] = defaultdict(list)
    for row in session.execute(select(Version.article_id, Version.extraction_id, Version.fingerprint)
                               .where(Version.article_id.in_(article_ids))
                               .order_by(Version.article_id, Version.number)):
        current[row.article_id].append(row)
    wanted = {a: sequence((c.fingerprint, c) for c in candidates.get(a, []) if c.ok) for a in article_ids}
    rebuilt = {a for a in article_ids if write and [c.extraction_id for c in wanted[a]]
               != [v.extraction_id for v in current[a]]}
    stored_fields = _stored_fields(session, {current[a][-1].extraction_id for a in article_ids if current[a]} | {
        c.extraction_id for a in article_ids for c in (wanted[a] if a in rebuilt else wanted[a][-1:])
        if c.fetch_id not in fresh and c.extraction_id is not None})

    def fields(candidate: Candidate) -> dict[str, Any]:
        if (made := fresh.get(candidate.fetch_id)) is not None:
            return made.fields
        assert candidate.extraction_id is not None  # only this batch's extractions go unwritten
        return stored_fields.get(candidate.extraction_id, {})

    for article_id in article_ids:
        latest_before = stored_fields.get(current[article_id][-1].extraction_id, {}) if current[article_id] else {}
        latest_after = fields(wanted[article_id][-1]) if wanted[article_id] else {}
        _count(session, report, article_id, [v.fingerprint for v in current[article_id]],
               [c.fingerprint for c in wanted[article_id]], latest_before, latest_after)
    if rebuilt:
        _rebuild(session, {a: wanted[a] for a in sorted(rebuilt)}, fields)


def _new_extractions(session: Session, fresh: dict[int, Extracted], version: str, write: bool) -> list[Extracted]:
    """This batch's extractions that `version` has not stored yet (a concurrent run may have stored some),
    inserted when writing."""
    stored = {fetch_id for (fetch_id,) in session.execute(
        select(Extraction.fetch_id)
        .where(Extraction.parser_version == version, Extraction.fetch_id.in_(list(fresh))))} if fresh else set()
    new = [e for fetch_id, e in fresh.items() if fetch_id not in stored]
    if write and new:
        session.connection().execute(insert(Extraction), [
            {"fetch_id": e.fetch_id, "parser_version": version, "ok": e.ok, "fingerprint": e.fingerprint,
             "flags": e.flags, "fields": e.fields} for e in new])
    return new


def _candidates(session: Session, article_ids: list[int], version: str,
                unwritten: list[Extracted]) -> dict[int, list[Candidate]]:
    """Each article's extractions by `version`, in fetch order; in a dry run, with what a writing run
    would have added (`unwritten`)."""
    candidates: dict[int, list[Candidate]] = defaultdict(list)
    rows = session.execute(
        select(Fetch.article_id, Fetch.id, Fetch.fetched_at, Extraction.id, Extraction.ok, Extraction.fingerprint)
        .join(Extraction, Extraction.fetch_id == Fetch.id)
        .where(Fetch.article_id.in_(article_ids), Extraction.parser_version == version)
        .order_by(Fetch.article_id, Fetch.fetched_at, Fetch.id))
    seen: set[int] = set()
    for article_id, fetch_id, fetched_at, extraction_id, ok, fingerprint in rows:
        assert article_id is not None
        candidates[article_id].append(Candidate(fetch_id, fetched_at, extraction_id, ok, fingerprint))
        seen.add(fetch_id)
    if unwritten:
        fetches = {fetch_id: (article_id, at) for fetch_id, article_id, at in session.execute(
            select(Fetch.id, Fetch.article_id, Fetch.fetched_at).where(Fetch.id.in_([e.fetch_id for e in unwritten])))
            if article_id is not None}
        for e in unwritten:
            if e.fetch_id not in seen:
                article_id, at = fetches[e.fetch_id]
                candidates[article_id].append(Candidate(e.fetch_id, at, None, e.ok, e.fingerprint))
        for found in candidates.values():
            found.sort(key=lambda c: (c.fetched_at, c.fetch_id))
    return candidates


def _rebuild(session: Session, wanted: dict[int, list[Candidate]],
             fields: Callable[[Candidate], dict[str, Any]]) -> None:
    """The articles' versions replaced by the planned ones, and their search text by their latest's."""
    conn = session.connection()  # Core statements: no ORM bookkeeping for rows that no object holds
    conn.execute(delete(Version).where(Version.article_id.in_(list(wanted))))
    version_rows = [{"article_id": a, "number": n, "extraction_id": c.extraction_id, "fingerprint": c.fingerprint,
                     "seen_at": c.fetched_at, "title": fields(c).get("title", ""),
                     "published": published_of(fields(c))}
                    for a, planned in wanted.items() for n, c in enumerate(planned, 1)]
    if version_rows:
        conn.execute(INSERT_VERSION, version_rows)
    latest: dict[int, tuple[int, dict[str, Any]] | None] = {}
    for article_id, planned in wanted.items():
        last = planned[-1] if planned else None
        assert last is None or last.extraction_id is not None  # a writing run has written every candidate
        latest[article_id] = (last.extraction_id, fields(last)) if last and last.extraction_id else None
    search_index.reindex(session, latest)


def _stored_fields(session: Session, extraction_ids: set[int]) -> dict[int, dict[str, Any]]:
    found: dict[int, dict[str, Any]] = {}
    for chunk in _batches(sorted(extraction_ids), 500):
        found.update((i, dict(f or {})) for i, f in session.execute(
            select(Extraction.id, Extraction.fields).where(Extraction.id.in_(chunk))))
    return found


def _count(session: Session, report: Report, article_id: int, before: list[str], after: list[str],
           old: dict[str, Any], new: dict[str, Any]) -> None:
    """One article in the report: its versions' fingerprints before and after, its latest fields before and
    after."""
    report.versions_before += len(before)
    report.versions_after += len(after)
    report.versions_appear += len(after) > len(before)
    report.versions_merge += 0 < len(after) < len(before)
    report.versions_vanish += bool(before) and not after
    report.status_changed += (not before) != (not after)
    changed = [k for k in sorted(old.keys() | new.keys()) if k not in NOT_FIELDS and old.get(k) != new.get(k)]
    if changed or after != before:
        report.articles_changed += 1
        report.fields_changed.update(changed)
        if len(report.examples) < EXAMPLES and changed:
            report.examples.append(_example(session, article_id, changed, old, new))


def _example(session: Session, article_id: int, changed: list[str], old: dict[str, Any],
             new: dict[str, Any]) -> dict[str, str]:
    name = "text" if "text" in changed else changed[0]
    url = session.scalar(select(Article.canonical_url).where(Article.id == article_id)) or ""
    pieces = with_context(word_diff(_as_text(old.get(name)), _as_text(new.get(name))), words=6)
    return {"url": url, "field": name, "diff": " ".join(_marked(p) for p in pieces if p.text)[:400]}


def _as_text(value: Any) -> str:
    return value if isinstance(value, str) else "" if value is None else str(value)


def _marked(piece: Piece) -> str:
    """A piece of a diff on one line, marked as `archive diff` marks it without colours."""
    text = " ".join(piece.text.split())
    return {"removed": f"[-{text}-]", "added": f"{{+{text}+}}"}.get(piece.kind, text)
