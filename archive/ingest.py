"""`ingest(fetch)`: one fetch into the archive, in one transaction.

It records the fetch and stores its body, runs the deployment's parser (`extract()`, unless
`ARCHIVE_PARSER` names another: `archive.parsers`), resolves the article by canonical
URL (then by the site's id), appends a version only when the content fingerprint changed, marks
articles gone on 404/410, and tells the search index. Ingesting the same fetch twice changes nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any

from sqlalchemy import bindparam, case, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from archive import rawstore, versions
from archive.database import Archive
from archive.extract.model import Article as ExtractedArticle
from archive.locks import article_key, lock_articles
from archive.models import Article, Extraction, Fetch
from archive.parsers import Parser, configured, load_parser
from archive.search import index as search_index
from archive.urls import DEFAULT_RULES, UrlRules
from archive.vocab import ArticleStatus, FetchSource, Rendering
from archive.vocab import IngestOutcome as Outcome

RACE_RETRIES = 3
# Statements built once: ingest runs them for every fetch, and building one costs more than running it.
FETCH_BY_KEY = select(Fetch.id).where(Fetch.key == bindparam("key"))
INSERT_FETCH = insert(Fetch).returning(Fetch.id)
INSERT_EXTRACTION = insert(Extraction).returning(Extraction.id)
INSERT_ARTICLE = insert(Article).returning(Article.id)
_FOUND = (Article.id, Article.status, Article.gone_at, Article.first_seen, Article.last_seen)
ARTICLE_BY_URL = select(*_FOUND).where(Article.canonical_url == bindparam("url"))
ARTICLE_BY_SITE_ID = select(*_FOUND).where(Article.site_id == bindparam("site_id")).order_by(Article.id).limit(1)
LINK_FETCH = update(Fetch).where(Fetch.id == bindparam("fetch_id")).values(
    article_id=bindparam("owner"), canonical_url=func.coalesce(bindparam("canonical"), Fetch.canonical_url))
SEEN = update(Article).where(Article.id == bindparam("article_id")).values(
    first_seen=case((Article.first_seen > bindparam("at"), bindparam("at")), else_=Article.first_seen),
    last_seen=case((Article.last_seen < bindparam("at"), bindparam("at")), else_=Article.last_seen))
# Fetches of an article's URL ingested before the article itself (captures met out of order)
ADOPT = (update(Fetch).where(Fetch.canonical_url == bindparam("canonical"), Fetch.article_id.is_(None),
                             Fetch.status.in_((304, 404, 410)))
         .values(article_id=bindparam("owner")).returning(Fetch.status, Fetch.fetched_at))
# An article is gone from its first 404 or 410 after its last 200 or 304 (last_seen): a fact of its fetches,
# so that it comes out the same in whatever order they are ingested.
_FIRST_GONE = (select(func.min(Fetch.fetched_at)).where(Fetch.article_id == Article.id, Fetch.status.in_((404, 410)),
                                                        Fetch.fetched_at > Article.last_seen).scalar_subquery())
RESTATE = (update(Article).where(Article.id == bindparam("article_id"))
           .values(gone_at=_FIRST_GONE,
                   status=case((_FIRST_GONE.is_(None), ArticleStatus.LIVE), else_=ArticleStatus.GONE))
           .returning(Article.status))



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
    indexed: bool = False  # the search entry was already brought up to date
    flags: list[str] = field(default_factory=list)


@dataclass
class Prepared:
    """A fetch with every costly step that needs no write done beforehand, in any process: its extraction
    (fields serialised once), its body hashed and compressed, and the search index's text."""

    record: FetchRecord
    parsed: ExtractedArticle | None
    fields: dict[str, Any] | None
    packed: rawstore.Packed | None
    texts: search_index.Texts | None


def prepare(record: FetchRecord, rules: UrlRules, session: Session, parser: Parser,
            parsed: ExtractedArticle | None = None) -> Prepared:
    """`session` (read only) tells which compression dictionary the archive has; `parsed` is the
    extraction when already run."""
    parsed = parsed or extraction_for(record, rules, parser)
    fields = parsed.to_dict() if parsed is not None else None
    packed = rawstore.pack(session, record.body) if record.body is not None else None
    indexed = search_index.texts(fields) if parsed is not None and parsed.ok and fields else None
    if parsed is not None:  # the writer reads its identity and fingerprint; the rest travels in `fields`
        parsed = replace(parsed, blocks=[], images=[], related=[])
    # the body travels packed (a tenth of its size), never twice
    return Prepared(replace(record, body=None), parsed, fields, packed, indexed)


def is_article(record: FetchRecord, rules: UrlRules) -> bool:
    return rules.is_article(record.final_url) or rules.is_article(record.requested_url)


def extraction_for(record: FetchRecord, rules: UrlRules, parser: Parser) -> ExtractedArticle | None:
    """The extraction ingest runs for this fetch (None for pages that are not articles); pure, so it can
    run in another process and be handed to `Ingestor.ingest`."""
    if record.status != 200 or record.body is None or not is_article(record, rules):
        return None
    return parser(record.body, record.final_url, record.headers, record.fetched_at, rules)


class Ingestor:
    def __init__(self, archive: Archive, rules: UrlRules = DEFAULT_RULES, parser: Parser | None = None) -> None:
        """`parser`: the deployment's (`parsers.configured()`) unless given."""
        self.archive, self.rules = archive, rules
        self.parser = parser or load_parser(configured())

    def ingest(self, record: FetchRecord, parsed: ExtractedArticle | None = None) -> IngestResult:
        """`parsed` is `extraction_for(record, rules, parser)` if already computed; by default it is run here."""
        return self.write([self.prepare(record, parsed)])[0]

    def prepare(self, record: FetchRecord, parsed: ExtractedArticle | None = None) -> Prepared:
        if record.fetched_at.tzinfo is None:
            raise ValueError("fetched_at must be timezone-aware")
        with self.archive.transaction(write=False) as session:
            return prepare(record, self.rules, session, self.parser, parsed)

    def write(self, batch: list[Prepared]) -> list[IngestResult]:
        """Writes prepared fetches in one transaction, each as ingest would alone.

        Several processes may ingest into one archive. Each transaction first locks the articles its
        fetches belong to (`locks.lock_articles`), so one writer at a time finds, creates and numbers the
        versions of an article; a race the locks do not cover (the same fetch or body stored twice at
        once: unique constraints) is run again one fetch at a time, and then finds the winner's rows."""
        try:
            with self.archive.transaction() as session:
                lock_articles(session, [self.article_key(p) for p in batch])
                return [self._write(session, p) for p in batch]
        except IntegrityError:
            if len(batch) > 1:
                return [result for p in batch for result in self.write([p])]
        for attempt in range(1, RACE_RETRIES):
            try:
                with self.archive.transaction() as session:
                    lock_articles(session, [self.article_key(batch[0])])
                    return [self._write(session, batch[0])]
            except IntegrityError:
                if attempt == RACE_RETRIES - 1:
                    raise
        raise AssertionError("unreachable")

    def article_key(self, prepared: Prepared) -> int:
        """The lock key of the article a fetch would touch (a page that is no article locks its URL)."""
        record, parsed = prepared.record, prepared.parsed
        if record.status == 200 and parsed is not None:
            canonical = parsed.canonical_url or self.rules.canonical(record.final_url)
        else:
            canonical = self.rules.canonical(record.requested_url)
        return article_key(self.rules.site_id(canonical), canonical)

    def _write(self, session: Session, prepared: Prepared) -> IngestResult:
        result = self._ingest(session, prepared)
        result.extracted = prepared.parsed is not None
        return result

    def _ingest(self, session: Session, prepared: Prepared) -> IngestResult:
        conn = session.connection()  # Core statements, past the ORM session's own overhead
        record, packed = prepared.record, prepared.packed
        digest = packed.digest if packed is not None else None
        key = record.key(digest)
        if conn.scalar(FETCH_BY_KEY, {"key": key}) is not None:
            return IngestResult(Outcome.DUPLICATE)
        new_body = rawstore.put_packed(session, packed) if packed is not None else False
        fetch_id = conn.execute(INSERT_FETCH, dict(
            key=key, run_id=record.run_id, requested_url=record.requested_url, final_url=record.final_url,
            canonical_url=self.rules.canonical(record.final_url), status=record.status,
            etag=record.header("etag"), last_modified=record.header("last-modified"),
            content_type=record.header("content-type"), fetched_at=record.fetched_at,
            server_date=record.server_date, rendered=record.rendered, source=record.source,
            body_sha256=digest)).scalar_one()
        if record.status == 304:
            result = self._not_modified(session, record, fetch_id)
        elif record.status in (404, 410) and is_article(record, self.rules):
            result = self._removed(session, record, fetch_id)
        elif record.status != 200 or packed is None or not is_article(record, self.rules):
            result = IngestResult(Outcome.PAGE if record.status == 200 else Outcome.FAILED)
        else:
            assert prepared.parsed is not None  # an article URL with a 200 body always has an extraction
            result = self._article(session, prepared, fetch_id)
        result.fetch_id, result.new_body = fetch_id, new_body
        changed = result.outcome in (Outcome.VERSION, Outcome.GONE) or result.reindex
        if result.article_id is not None and changed and not result.indexed:
            search_index.update(session, result.article_id)  # in step with the versions, in this transaction
        return result

    def _not_modified(self, session: Session, record: FetchRecord, fetch_id: int) -> IngestResult:
        """A 304: the archived article was confirmed as it is."""
        conn = session.connection()
        article = self._find(session, self.rules.canonical(record.requested_url))
        if article is None:
            return IngestResult(Outcome.NOT_MODIFIED)
        conn.execute(LINK_FETCH, {"fetch_id": fetch_id, "owner": article.id, "canonical": None})
        conn.execute(SEEN, {"article_id": article.id, "at": record.fetched_at})
        status = conn.execute(RESTATE, {"article_id": article.id}).scalar_one()
        return IngestResult(Outcome.NOT_MODIFIED, article_id=article.id, reindex=status != article.status)

    def _removed(self, session: Session, record: FetchRecord, fetch_id: int) -> IngestResult:
        """A 404 or 410 of an article: gone, unless a later 200 (a capture ingested out of order) says
        it is back."""
        conn = session.connection()
        article = self._find(session, self.rules.canonical(record.requested_url))
        if article is None:
            return IngestResult(Outcome.FAILED)
        conn.execute(LINK_FETCH, {"fetch_id": fetch_id, "owner": article.id, "canonical": None})
        status = conn.execute(RESTATE, {"article_id": article.id}).scalar_one()
        return IngestResult(Outcome.GONE, article_id=article.id, reindex=status != article.status)

    def _article(self, session: Session, prepared: Prepared, fetch_id: int) -> IngestResult:
        """An article page: its extraction kept, then the article found or made and its versions extended
        (a capture older than the article's latest fetch rebuilds them in fetch order)."""
        conn = session.connection()
        record, parsed = prepared.record, prepared.parsed
        assert parsed is not None
        extraction_id = conn.execute(INSERT_EXTRACTION, dict(
            fetch_id=fetch_id, parser_version=parsed.parser_version, ok=parsed.ok, fingerprint=parsed.fingerprint,
            flags=parsed.flags, fields=prepared.fields)).scalar_one()
        if not parsed.ok:
            return IngestResult(Outcome.FAILED, flags=parsed.flags)
        canonical = parsed.canonical_url or self.rules.canonical(record.final_url)
        found = self._find(session, canonical, parsed.site_id)
        new_article = found is None
        if found is None:
            article_id = conn.execute(INSERT_ARTICLE, dict(
                canonical_url=canonical, site_id=parsed.site_id, first_seen=record.fetched_at,
                last_seen=record.fetched_at, status=ArticleStatus.LIVE)).scalar_one()
            article = Found(article_id, ArticleStatus.LIVE, None, record.fetched_at, record.fetched_at)
            adopted = conn.execute(ADOPT, {"canonical": canonical, "owner": article_id}).all()
            for status_, at in adopted:
                if status_ == 304:
                    conn.execute(SEEN, {"article_id": article_id, "at": at})
            if adopted and conn.execute(RESTATE, {"article_id": article_id}).scalar_one() == ArticleStatus.GONE:
                article = Found(article_id, ArticleStatus.GONE, None, record.fetched_at, record.fetched_at)
        else:
            article = found
        conn.execute(LINK_FETCH, {"fetch_id": fetch_id, "owner": article.id, "canonical": canonical})
        if found is not None:
            conn.execute(SEEN, {"article_id": article.id, "at": record.fetched_at})
        # The article's latest fetch is its last 200 or 304 (last_seen) or the 404 that made it gone
        if found is not None and record.fetched_at < max(article.last_seen, article.gone_at or article.last_seen):
            if article.status == ArticleStatus.GONE:  # the first 404 after this page may be another
                conn.execute(RESTATE, {"article_id": article.id})
            before = versions.count(session, article.id)
            changed = versions.rebuild(session, article.id, parsed.parser_version) != before
            return IngestResult(Outcome.VERSION if changed else Outcome.UNCHANGED, article_id=article.id,
                                new_article=new_article, flags=parsed.flags, reindex=True)
        status = article.status
        if status == ArticleStatus.GONE:  # back, unless a 404 later than this page says otherwise
            status = conn.execute(RESTATE, {"article_id": article.id}).scalar_one()
        revived = status != article.status
        number = versions.append_row(session, article.id, extraction_id, parsed, record.fetched_at)
        if number or revived:  # the search entry follows, from what is known here
            search_index.update(session, article.id, (extraction_id, prepared.fields or {}, status, prepared.texts)
                                if number else None)
        return IngestResult(Outcome.VERSION if number else Outcome.UNCHANGED, article_id=article.id,
                            new_article=new_article, version=number, flags=parsed.flags, indexed=True)

    def _find(self, session: Session, canonical: str, site_id: int | None = None) -> Found | None:
        conn = session.connection()
        row = conn.execute(ARTICLE_BY_URL, {"url": canonical}).first()
        if row is None and site_id is not None:
            row = conn.execute(ARTICLE_BY_SITE_ID, {"site_id": site_id}).first()
        return Found(*row) if row is not None else None


@dataclass(frozen=True)
class Found:
    """What ingest needs of an archived article."""

    id: int
    status: str
    gone_at: datetime | None
    first_seen: datetime
    last_seen: datetime

