"""`ingest(fetch)`: one fetch into the archive, in one transaction.

It records the fetch and stores its body, runs the deployment's parser (`extract()`, unless
`ARCHIVE_PARSER` names another: `archive.parsers`), resolves the article by canonical
URL (then by the site's id), appends a version only when the content fingerprint changed, marks
articles gone on 404/410, and tells the search index. Ingesting the same fetch twice changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import bindparam, case, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from archive import appends, changes, rawstore, versions
from archive.appends import LINK_FETCH, SEEN
from archive.database import Archive
from archive.extract.model import Article as ExtractedArticle
from archive.locks import article_key, lock_articles
from archive.models import Article, Extraction, Fetch
from archive.parsers import Parser, configured, load_parser
from archive.records import FetchRecord, Found, IngestResult, Prepared, is_article, prepare
from archive.search import index as search_index
from archive.urls import DEFAULT_RULES, UrlRules
from archive.vocab import ArticleStatus
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
# Fetches of an article's URL ingested before the article itself (captures met out of order)
ADOPT = (update(Fetch).where(Fetch.canonical_url == bindparam("canonical"), *appends.ADOPTABLE)
         .values(article_id=bindparam("owner")).returning(Fetch.status, Fetch.fetched_at))
# An article is gone from its first 404 or 410 after its last 200 or 304 (last_seen): a fact of its fetches,
# so that it comes out the same in whatever order they are ingested.
FIRST_GONE = (select(func.min(Fetch.fetched_at)).where(Fetch.article_id == Article.id, Fetch.status.in_((404, 410)),
                                                        Fetch.fetched_at > Article.last_seen).scalar_subquery())
RESTATE = (update(Article).where(Article.id == bindparam("article_id"))
           .values(gone_at=FIRST_GONE,
                   status=case((FIRST_GONE.is_(None), ArticleStatus.LIVE), else_=ArticleStatus.GONE))
           .returning(Article.status))




class Ingestor:
    def __init__(self, archive: Archive, rules: UrlRules = DEFAULT_RULES, parser: Parser | None = None,
                 set_wise: bool = True) -> None:
        """`parser`: the deployment's (`parsers.configured()`) unless given. `set_wise=False` writes every
        fetch by the one-at-a-time path, which the set-wise one (`appends`) must match: its reference."""
        self.archive, self.rules, self.set_wise = archive, rules, set_wise
        self.parser = parser or load_parser(configured())

    def ingest(self, record: FetchRecord, parsed: ExtractedArticle | None = None) -> IngestResult:
        """`parsed` is `extraction_for(record, rules, parser)` if already computed; by default it is run here."""
        return self.write([self.prepare(record, parsed)])[0]

    def prepare(self, record: FetchRecord, parsed: ExtractedArticle | None = None) -> Prepared:
        _check(record)
        with self.archive.transaction(write=False) as session:
            return prepare(record, self.rules, session, self.parser, parsed)

    def prepare_many(self, records: Sequence[FetchRecord]) -> list[Prepared]:
        """`prepare` of each, in one read transaction."""
        for record in records:
            _check(record)
        with self.archive.transaction(write=False) as session:
            return [prepare(record, self.rules, session, self.parser) for record in records]

    def write(self, batch: list[Prepared]) -> list[IngestResult]:
        """Writes prepared fetches in one transaction, each as ingest would alone.

        Several processes may ingest into one archive. Each transaction first locks the articles its
        fetches belong to (`locks.lock_articles`), so one writer at a time finds, creates and numbers the
        versions of an article; a race the locks do not cover (the same fetch or body stored twice at
        once: unique constraints) is run again one fetch at a time, and then finds the winner's rows."""
        try:
            with self.archive.transaction() as session:
                lock_articles(session, [self.article_key(p) for p in batch])
                results = self._write_all(session, batch)
                changes.measure_pending(session)
                return results
        except IntegrityError:
            if len(batch) > 1:
                return [result for p in batch for result in self.write([p])]
        for attempt in range(1, RACE_RETRIES):
            try:
                with self.archive.transaction() as session:
                    lock_articles(session, [self.article_key(batch[0])])
                    results = self._write_all(session, batch[:1])
                    changes.measure_pending(session)
                    return results
            except IntegrityError:
                if attempt == RACE_RETRIES - 1:
                    raise
        raise AssertionError("unreachable")

    def article_key(self, prepared: Prepared) -> int:
        """The lock key of the article a fetch would touch (a page that is no article locks its URL)."""
        canonical = prepared.article_url
        return article_key(self.rules.site_id(canonical), canonical)

    def _write_all(self, session: Session, batch: list[Prepared]) -> list[IngestResult]:
        """Runs of fetches that only add to the end of the archive are written set-wise (`appends`); any
        other fetch alone, in order."""
        keys = [p.record.key(p.packed.digest if p.packed is not None else None) for p in batch]
        known = set(session.connection().scalars(select(Fetch.key).where(Fetch.key.in_(keys))))
        results: list[IngestResult] = []
        while len(results) < len(batch):
            done = len(results)
            run = appends.plan(session, self.rules, batch[done:], keys[done:], known) if self.set_wise else None
            if run is not None and run.size:
                results += appends.write(session, run)
            else:
                results.append(self._write(session, batch[done]))
                known.add(keys[done])
        return results

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
            canonical_url=prepared.final_canonical, status=record.status,
            etag=record.header("etag"), last_modified=record.header("last-modified"),
            content_type=record.header("content-type"), fetched_at=record.fetched_at,
            server_date=record.server_date, rendered=record.rendered, source=record.source,
            body_sha256=digest)).scalar_one()
        if record.status == 304:
            result = self._not_modified(session, prepared, fetch_id)
        elif record.status in (404, 410) and is_article(record, self.rules):
            result = self._removed(session, prepared, fetch_id)
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

    def _not_modified(self, session: Session, prepared: Prepared, fetch_id: int) -> IngestResult:
        """A 304: the archived article was confirmed as it is."""
        conn = session.connection()
        record = prepared.record
        article = self._find(session, prepared.article_url)
        if article is None:
            return IngestResult(Outcome.NOT_MODIFIED)
        conn.execute(LINK_FETCH, {"fetch_id": fetch_id, "owner": article.id, "canonical": None})
        conn.execute(SEEN, {"article_id": article.id, "at": record.fetched_at})
        status = conn.execute(RESTATE, {"article_id": article.id}).scalar_one()
        return IngestResult(Outcome.NOT_MODIFIED, article_id=article.id, reindex=status != article.status)

    def _removed(self, session: Session, prepared: Prepared, fetch_id: int) -> IngestResult:
        """A 404 or 410 of an article: gone, unless a later 200 (a capture ingested out of order) says
        it is back."""
        conn = session.connection()
        article = self._find(session, prepared.article_url)
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
        canonical = prepared.article_url
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
            search_index.update(session, article.id, (extraction_id, prepared.fields or {}, status)
                                if number else None)
        return IngestResult(Outcome.VERSION if number else Outcome.UNCHANGED, article_id=article.id,
                            new_article=new_article, version=number, flags=parsed.flags, indexed=True)

    def _find(self, session: Session, canonical: str, site_id: int | None = None) -> Found | None:
        conn = session.connection()
        row = conn.execute(ARTICLE_BY_URL, {"url": canonical}).first()
        if row is None and site_id is not None:
            row = conn.execute(ARTICLE_BY_SITE_ID, {"site_id": site_id}).first()
        return Found(*row) if row is not None else None


def _check(record: FetchRecord) -> None:
    if record.fetched_at.tzinfo is None:
        raise ValueError("fetched_at must be timezone-aware")
