"""`ingest(fetch)`: one fetch into the archive, in one transaction.

It records the fetch and stores its body, runs the one `extract()`, resolves the article by canonical
URL (then by the site's id), appends a version only when the content fingerprint changed, marks
articles gone on 404/410, and tells the search index. Ingesting the same fetch twice changes nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import parsedate_to_datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from archive import rawstore, versions
from archive.database import Archive
from archive.extract import PARSER_VERSION, extract
from archive.extract.model import Article as ExtractedArticle
from archive.models import Article, Extraction, Fetch
from archive.search import index as search_index
from archive.urls import DEFAULT_RULES, UrlRules
from archive.vocab import ArticleStatus, FetchSource, Rendering
from archive.vocab import IngestOutcome as Outcome

RACE_RETRIES = 3



@dataclass
class FetchRecord:
    """One fetch as the crawler (or a WARC file) saw it; plain data, no Scrapy inside."""

    requested_url: str
    final_url: str
    status: int
    headers: Mapping[str, str]
    body: bytes | None
    fetched_at: datetime
    rendered: Rendering = Rendering.HTTP
    source: FetchSource = FetchSource.CRAWL
    run_id: int | None = None

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers.items() if k.lower() == name.lower()), None)

    @property
    def server_date(self) -> datetime | None:
        """The site's clock when it answered (its Date header), if it said."""
        try:
            value = parsedate_to_datetime(self.header("date") or "")
        except (TypeError, ValueError):
            return None
        return value if value.tzinfo else None

    @property
    def body_sha256(self) -> str | None:
        return rawstore.sha256(self.body) if self.body is not None else None

    def key(self, body_sha256: str | None) -> str:
        raw = "\n".join([self.requested_url, self.final_url, str(self.status), self.fetched_at.isoformat(),
                         body_sha256 or ""])
        return hashlib.sha256(raw.encode()).hexdigest()


@dataclass
class IngestResult:
    outcome: Outcome
    fetch_id: int | None = None
    article_id: int | None = None
    new_article: bool = False
    version: int | None = None
    new_body: bool = False
    extracted: bool = False  # an extraction ran (an article page)
    reindex: bool = False  # the article's status or version order changed without a new version
    flags: list[str] = field(default_factory=list)


def is_article(record: FetchRecord, rules: UrlRules) -> bool:
    return rules.is_article(record.final_url) or rules.is_article(record.requested_url)


def extraction_for(record: FetchRecord, rules: UrlRules) -> ExtractedArticle | None:
    """The extraction ingest runs for this fetch (None for pages that are not articles); pure, so it can
    run in another process and be handed to `Ingestor.ingest`."""
    if record.status != 200 or record.body is None or not is_article(record, rules):
        return None
    return extract(record.body, record.final_url, record.headers, record.fetched_at, rules)


class Ingestor:
    def __init__(self, archive: Archive, rules: UrlRules = DEFAULT_RULES) -> None:
        self.archive, self.rules = archive, rules

    def ingest(self, record: FetchRecord, parsed: ExtractedArticle | None = None) -> IngestResult:
        """`parsed` is `extraction_for(record, rules)` if already computed; by default it is run here.

        Several processes may ingest into one archive: a transaction that loses a race for a new article
        or version number (a unique constraint) is simply run again, and then finds the winner's rows."""
        if record.fetched_at.tzinfo is None:
            raise ValueError("fetched_at must be timezone-aware")
        parsed = parsed or extraction_for(record, self.rules)
        for attempt in range(RACE_RETRIES):
            try:
                with self.archive.transaction() as session:
                    result = self._ingest(session, record, parsed)
                result.extracted = parsed is not None
                return result
            except IntegrityError:
                if attempt == RACE_RETRIES - 1:
                    raise
        raise AssertionError("unreachable")

    def _is_article(self, record: FetchRecord) -> bool:
        return is_article(record, self.rules)

    def _ingest(self, session: Session, record: FetchRecord, parsed: ExtractedArticle | None) -> IngestResult:
        digest = record.body_sha256
        key = record.key(digest)
        if session.scalar(select(Fetch.id).where(Fetch.key == key)) is not None:
            return IngestResult(Outcome.DUPLICATE)
        new_body = rawstore.put(session, record.body, digest)[1] if record.body is not None else False
        fetch = Fetch(key=key, run_id=record.run_id, requested_url=record.requested_url, final_url=record.final_url,
                      canonical_url=self.rules.canonical(record.final_url), status=record.status,
                      etag=record.header("etag"), last_modified=record.header("last-modified"),
                      content_type=record.header("content-type"), fetched_at=record.fetched_at,
                      server_date=record.server_date,
                      rendered=record.rendered, source=record.source, body_sha256=digest)
        session.add(fetch)
        session.flush()
        result = self._resolve(session, record, fetch, parsed)
        result.fetch_id, result.new_body = fetch.id, new_body
        if result.article_id is not None and (result.outcome in (Outcome.VERSION, Outcome.GONE) or result.reindex):
            search_index.update(session, result.article_id)  # in step with the versions, in this transaction
        return result

    def _resolve(self, session: Session, record: FetchRecord, fetch: Fetch,
                 parsed: ExtractedArticle | None) -> IngestResult:
        is_article = self._is_article(record)
        if record.status == 304:
            article = self._find(session, self.rules.canonical(record.requested_url))
            if article is not None:
                fetch.article_id = article.id
                article.last_seen = max(article.last_seen, record.fetched_at)
            return IngestResult(Outcome.NOT_MODIFIED, article_id=article.id if article else None)
        if record.status in (404, 410) and is_article:
            article = self._find(session, self.rules.canonical(record.requested_url))
            if article is None or record.fetched_at < article.last_seen:
                if article is None:
                    return IngestResult(Outcome.FAILED)
                return IngestResult(Outcome.GONE, article_id=article.id)
            fetch.article_id = article.id
            article.status, article.gone_at = ArticleStatus.GONE, record.fetched_at
            return IngestResult(Outcome.GONE, article_id=article.id)
        if record.status != 200 or record.body is None or not is_article:
            return IngestResult(Outcome.PAGE if record.status == 200 else Outcome.FAILED)
        assert parsed is not None  # an article URL with a 200 body always has an extraction
        extraction = Extraction(fetch_id=fetch.id, parser_version=PARSER_VERSION, ok=parsed.ok,
                                fingerprint=parsed.fingerprint, flags=parsed.flags, fields=parsed.to_dict())
        session.add(extraction)
        if not parsed.ok:
            return IngestResult(Outcome.FAILED, flags=parsed.flags)
        canonical = parsed.canonical_url or fetch.canonical_url
        fetch.canonical_url = canonical
        article = self._find(session, canonical, parsed.site_id)
        new_article = article is None
        if article is None:
            article = Article(canonical_url=canonical, site_id=parsed.site_id, first_seen=record.fetched_at,
                              last_seen=record.fetched_at)
            session.add(article)
        session.flush()
        fetch.article_id = article.id
        latest = session.scalar(select(func.max(Fetch.fetched_at)).where(Fetch.article_id == article.id,
                                                                           Fetch.id != fetch.id))
        article.first_seen = min(article.first_seen, record.fetched_at)
        if latest is None or record.fetched_at >= latest:
            article.last_seen = max(article.last_seen, record.fetched_at)
            gone_before = article.gone_at is None or record.fetched_at >= article.gone_at
            revived = article.status == ArticleStatus.GONE and gone_before
            if revived:
                article.status, article.gone_at = ArticleStatus.LIVE, None
            session.flush()
            version = versions.append(session, article.id, extraction, fetch)
            number = version.number if version else None
        else:  # an older capture (a WARC backfill): versions are rebuilt in fetch order
            session.flush()
            before = versions.count(session, article.id)
            changed = versions.rebuild(session, article.id, PARSER_VERSION) != before
            return IngestResult(Outcome.VERSION if changed else Outcome.UNCHANGED, article_id=article.id,
                                new_article=new_article, flags=parsed.flags, reindex=True)
        return IngestResult(Outcome.VERSION if number else Outcome.UNCHANGED, article_id=article.id,
                            new_article=new_article, version=number, flags=parsed.flags, reindex=revived)

    def _find(self, session: Session, canonical: str, site_id: int | None = None) -> Article | None:
        found = session.scalars(select(Article).where(Article.canonical_url == canonical)).first()
        if found is None and site_id is not None:
            found = session.scalars(select(Article).where(Article.site_id == site_id)).first()
        return found
