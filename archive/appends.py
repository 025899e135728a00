"""The common case of ingest, written set-wise: fetches that only add to the end of the archive.

Most of a crawl's or an import's fetches are pages that are no article, and article pages fetched after
everything archived of their article. For a run of those, `plan` decides in memory what ingest one fetch
at a time would do, and `write` writes exactly those rows (bodies, fetches, extractions, articles,
versions, the search index) with a few statements per table for the whole run instead of a dozen per
fetch: statements, not rows, are what the write path spends its time on.

Everything else goes through `Ingestor`'s own path, one fetch at a time, in order: 304s and 404s,
captures older than their article's latest fetch, articles gone, articles that would adopt earlier
fetches, and bodies stored while the archive has no compression dictionary yet (one of them trains it).
`plan` stops at the first of those.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import bindparam, case, func, insert, select, update
from sqlalchemy.orm import Session

from archive import rawstore, versions
from archive.models import Article, Extraction, Fetch, RawBody, Version
from archive.records import IngestResult, Prepared, is_article
from archive.search import index as search_index
from archive.urls import UrlRules
from archive.vocab import ArticleStatus
from archive.vocab import IngestOutcome as Outcome

LINK_FETCH = update(Fetch).where(Fetch.id == bindparam("fetch_id")).values(
    article_id=bindparam("owner"), canonical_url=func.coalesce(bindparam("canonical"), Fetch.canonical_url))
SEEN = update(Article).where(Article.id == bindparam("article_id")).values(
    first_seen=case((Article.first_seen > bindparam("at"), bindparam("at")), else_=Article.first_seen),
    last_seen=case((Article.last_seen < bindparam("at"), bindparam("at")), else_=Article.last_seen))
INSERT_FETCHES = insert(Fetch).returning(Fetch.id, sort_by_parameter_order=True)
INSERT_EXTRACTIONS = insert(Extraction).returning(Extraction.id, sort_by_parameter_order=True)
INSERT_ARTICLES = insert(Article).returning(Article.id, sort_by_parameter_order=True)
ADOPTABLE = (Fetch.article_id.is_(None), Fetch.status.in_((304, 404, 410)))  # what a new article adopts
LAST_VERSIONS = select(Version.article_id, Version.number, Version.fingerprint).where(versions.IS_LATEST)


@dataclass
class Tracked:
    """An article as the run leaves it: archived before (`id`), or made by the run (`id` once written)."""

    id: int | None
    last_seen: datetime
    first_seen: datetime | None = None  # set for an article the run makes
    gone: bool = False
    last_version: tuple[int, str] | None = None  # (number, fingerprint)


@dataclass
class Step:
    """One fetch of the run: its key, and for an article page the article and the version it makes."""

    prepared: Prepared
    key: str
    duplicate: bool = False
    article: Tracked | None = None
    canonical: str | None = None
    new_article: bool = False
    version: int | None = None


@dataclass
class Run:
    steps: list[Step] = field(default_factory=list)
    made: list[tuple[Tracked, str, int | None]] = field(default_factory=list)  # (article, canonical, site id)

    @property
    def size(self) -> int:
        return len(self.steps)


def plan(session: Session, rules: UrlRules, batch: Sequence[Prepared], keys: Sequence[str],
         known_keys: set[str]) -> Run:
    """The longest run at the head of `batch` that `write` can take, decided from what the archive holds
    now; `known_keys` are the fetch keys stored already (this call adds those of the run)."""
    head = _takes_while(session, batch, rules)
    run = Run()
    if not head:
        return run
    conn = session.connection()
    articles = [p for p in head if p.parsed is not None and p.parsed.ok]
    canonicals = {p.article_url for p in articles}
    site_ids = {p.parsed.site_id for p in articles if p.parsed is not None and p.parsed.site_id is not None}
    found = _Found(session, canonicals, site_ids)
    adoptable = set(conn.scalars(select(Fetch.canonical_url).where(Fetch.canonical_url.in_(canonicals), *ADOPTABLE))
                    ) if canonicals else set()  # a run of listings names no article
    made_by_url: dict[str, Tracked] = {}
    made_by_site: dict[int, Tracked] = {}
    for prepared, key in zip(head, keys, strict=False):
        step = Step(prepared, key, duplicate=key in known_keys)
        record, parsed = prepared.record, prepared.parsed
        if step.duplicate or parsed is None or not parsed.ok or record.status != 200:
            if not step.duplicate and record.status in (404, 410):  # a fetch a new article would adopt
                adoptable.add(prepared.final_canonical)
            known_keys.add(key)
            run.steps.append(step)
            continue
        canonical = prepared.article_url
        article = made_by_url.get(canonical) or found.by_url.get(canonical)
        if article is None and parsed.site_id is not None:
            article = found.by_site.get(parsed.site_id) or made_by_site.get(parsed.site_id)
        if article is None:
            if canonical in adoptable:
                break
            article = Tracked(None, record.fetched_at, first_seen=record.fetched_at)
            run.made.append((article, canonical, parsed.site_id))
            made_by_url[canonical] = article
            if parsed.site_id is not None:
                made_by_site.setdefault(parsed.site_id, article)
            step.new_article = True
        elif article.gone or record.fetched_at < article.last_seen:  # ingest's path revives, or rebuilds
            break
        else:
            article.last_seen = record.fetched_at
        if article.last_version is None or article.last_version[1] != parsed.fingerprint:
            step.version = article.last_version[0] + 1 if article.last_version else 1
            article.last_version = (step.version, parsed.fingerprint)
        step.article, step.canonical = article, canonical
        known_keys.add(key)
        run.steps.append(step)
    return run


def write(session: Session, run: Run) -> list[IngestResult]:
    """Writes the run planned by `plan`, in the session's transaction; a result per fetch, in order."""
    conn = session.connection()
    steps = [s for s in run.steps if not s.duplicate]
    new_bodies = _store_bodies(session, steps)
    fetch_ids = conn.execute(INSERT_FETCHES, [_fetch_row(s) for s in steps]).scalars().all() if steps else []
    extracted = [(s, fid) for s, fid in zip(steps, fetch_ids, strict=True) if s.prepared.parsed is not None]
    extraction_ids = conn.execute(INSERT_EXTRACTIONS, [_extraction_row(s, fid) for s, fid in extracted]
                                  ).scalars().all() if extracted else []
    if run.made:
        rows = [dict(canonical_url=canonical, site_id=site_id, first_seen=a.first_seen, last_seen=a.last_seen,
                     status=ArticleStatus.LIVE) for a, canonical, site_id in run.made]
        for (article, _, _), article_id in zip(run.made, conn.execute(INSERT_ARTICLES, rows).scalars(), strict=True):
            article.id = article_id
    by_fetch = dict(zip((fid for _, fid in extracted), extraction_ids, strict=True))
    results, links, new_versions = [], [], []
    latest: list[tuple[int, search_index.Latest]] = []
    ids = iter(zip(fetch_ids, new_bodies, strict=True))
    for step in run.steps:
        if step.duplicate:
            results.append(IngestResult(Outcome.DUPLICATE, extracted=step.prepared.parsed is not None))
            continue
        fetch_id, new_body = next(ids)
        record, parsed = step.prepared.record, step.prepared.parsed
        result = IngestResult(Outcome.PAGE if record.status == 200 and parsed is None else Outcome.FAILED,
                              fetch_id=fetch_id, new_body=new_body, extracted=parsed is not None)
        if parsed is not None:
            result.flags = parsed.flags
        if step.article is not None and parsed is not None:
            owner = step.article.id
            assert owner is not None
            links.append({"fetch_id": fetch_id, "owner": owner, "canonical": step.canonical})
            result.outcome = Outcome.VERSION if step.version else Outcome.UNCHANGED
            result.article_id, result.new_article, result.version, result.indexed = (
                owner, step.new_article, step.version, True)
            if step.version:
                extraction_id = by_fetch[fetch_id]
                new_versions.append(dict(article_id=owner, number=step.version, extraction_id=extraction_id,
                                         fingerprint=parsed.fingerprint, seen_at=record.fetched_at,
                                         title=parsed.title, published=parsed.published))
                latest.append((owner, (extraction_id, step.prepared.fields or {}, ArticleStatus.LIVE)))
        results.append(result)
    if links:
        conn.execute(LINK_FETCH, links)
    # archived before the run (one it made was inserted with its last_seen)
    seen = {a.id: a.last_seen for s in steps if (a := s.article) is not None and a.first_seen is None}
    if seen:
        conn.execute(SEEN, [{"article_id": a, "at": at} for a, at in seen.items()])
    if new_versions:
        conn.execute(versions.INSERT_VERSION, new_versions)
        search_index.update_many(session, latest)
    return results


def _takes_while(session: Session, batch: Sequence[Prepared], rules: UrlRules) -> list[Prepared]:
    """The head of `batch` whose fetches are of kinds `write` takes, before anything is looked up."""
    out: list[Prepared] = []
    trained: bool | None = None
    for prepared in batch:
        record, packed = prepared.record, prepared.packed
        if packed is not None and packed.dictionary_id is None:  # packed before the archive had a dictionary
            if trained is None:
                trained = session.scalar(rawstore.LATEST_DICTIONARY) is not None
            if not trained:  # storing it may train one
                break
        if record.status == 304 or (record.status in (404, 410) and is_article(record, rules)):
            break
        out.append(prepared)
    return out


class _Found:
    """The archived articles a run's pages name, by canonical URL and by site id (the oldest first, as
    ingest's lookup takes it), with their latest version."""

    def __init__(self, session: Session, canonicals: set[str], site_ids: set[int]) -> None:
        conn = session.connection()
        columns = (Article.id, Article.canonical_url, Article.site_id, Article.status, Article.last_seen)
        by_url = conn.execute(select(*columns).where(Article.canonical_url.in_(canonicals))).all() if canonicals else []
        by_site = conn.execute(select(*columns).where(Article.site_id.in_(site_ids)).order_by(Article.id)
                               ).all() if site_ids else []
        rows = [*by_url, *by_site]
        ids = {row.id for row in rows}
        last = {a: (n, f) for a, n, f in conn.execute(LAST_VERSIONS.where(Version.article_id.in_(ids)))} if ids else {}
        tracked = {row.id: Tracked(row.id, row.last_seen, gone=row.status != ArticleStatus.LIVE,
                                   last_version=last.get(row.id)) for row in rows}
        self.by_url = {row.canonical_url: tracked[row.id] for row in by_url}
        self.by_site: dict[int, Tracked] = {}
        for row in by_site:
            self.by_site.setdefault(row.site_id, tracked[row.id])


def _store_bodies(session: Session, steps: list[Step]) -> list[bool]:
    """Stores the run's bodies not stored yet; for each step, whether its body was new."""
    conn = session.connection()
    packs = [s.prepared.packed for s in steps]
    digests = {p.digest for p in packs if p is not None}
    stored = set(conn.scalars(select(RawBody.sha256).where(RawBody.sha256.in_(digests)))) if digests else set()
    new, rows = [], []
    for packed in packs:
        is_new = packed is not None and packed.digest not in stored
        if packed is not None and is_new:
            stored.add(packed.digest)
            rows.append(dict(sha256=packed.digest, size=packed.size, stored_size=len(packed.data), data=packed.data,
                             stored_at=datetime.now(UTC), dictionary_id=packed.dictionary_id))
        new.append(is_new)
    if rows:
        conn.execute(insert(RawBody), rows)
    return new


def _fetch_row(step: Step) -> dict[str, object]:
    record, packed = step.prepared.record, step.prepared.packed
    return dict(key=step.key, run_id=record.run_id, requested_url=record.requested_url, final_url=record.final_url,
                canonical_url=step.prepared.final_canonical, status=record.status, etag=record.header("etag"),
                last_modified=record.header("last-modified"), content_type=record.header("content-type"),
                fetched_at=record.fetched_at, server_date=record.server_date, rendered=record.rendered,
                source=record.source, body_sha256=packed.digest if packed is not None else None)


def _extraction_row(step: Step, fetch_id: int) -> dict[str, object]:
    parsed = step.prepared.parsed
    assert parsed is not None
    return dict(fetch_id=fetch_id, parser_version=parsed.parser_version, ok=parsed.ok,
                fingerprint=parsed.fingerprint, flags=parsed.flags, fields=step.prepared.fields)
