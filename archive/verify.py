"""`archive verify`: a fixity audit, as trusted preservation systems run one. Every stored byte against its
digest, every derived row against what it is derived from, and the database's own check:

- each raw body decompresses (with its dictionary) to bytes whose SHA-256 is its address;
- each fetch that names a body has it;
- each extraction's fields and flags decode;
- each version's fingerprint is its extraction's, and the one recomputed from the extraction's fields;
- each article's versions are numbered 1..n;
- each article's status is the one its fetches give (gone from its first 404 or 410 after its last 200
  or 304);
- the search index holds one entry per article with versions, naming its latest version;
- the database's own integrity check (SQLite's `PRAGMA integrity_check`; PostgreSQL's page checksum
  failures).

Each problem is a line naming the row. With `sample` below 1, a random share of bodies, extractions
and articles is checked (the cheap whole-table checks always run), for a daily cron; the full audit is
for a weekly one. Reads only, in short transactions, so it runs beside a crawl.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
import zstandard
from sqlalchemy import Text, cast, func, select, text
from sqlalchemy.orm import Session, aliased
from tantivy import Query

from archive import rawstore
from archive.database import Archive
from archive.extract.fingerprint import fingerprint_of_fields
from archive.ingest import FIRST_GONE
from archive.models import Article, CompressionDictionary, Extraction, Fetch, RawBody, SearchDoc, Version
from archive.search import store
from archive.vocab import ArticleStatus

CHUNK = 500
CHECKS = ("bodies", "fetches", "extractions", "versions", "numbering", "status", "search", "database")


@dataclass
class Audit:
    sample: float = 1.0
    checked: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CHECKS, 0))
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def counts(self) -> dict[str, Any]:
        """What a run record keeps: the counts, and the first problems (the rest are in the output)."""
        return {"sample": self.sample, "checked": self.checked, "bodies_checked": self.checked["bodies"],
                "problems_found": len(self.problems), "problems": self.problems[:50]}

    def summary(self) -> str:
        checked = ", ".join(f"{name} {n:,}" for name, n in self.checked.items())
        share = "" if self.sample >= 1 else f" (a sample of {self.sample:.2%})"
        return f"checked {checked}{share}: {len(self.problems):,} problem{'s' if len(self.problems) != 1 else ''}"


def verify(archive: Archive, sample: float = 1.0, on_problem: Callable[[str], None] = lambda line: None,
           on_bodies: Callable[[int], None] = lambda n: None,
           on_total: Callable[[int], None] = lambda n: None) -> Audit:
    """The audit of `archive`; `on_problem` hears each problem as it is found, `on_total(bodies to check)`
    once and `on_bodies(n)` as they are, for a progress bar."""
    audit = Audit(sample)

    def problem(line: str) -> None:
        audit.problems.append(line)
        on_problem(line)

    chosen = _sampler(sample)
    with archive.transaction(write=False) as session:
        on_total(_estimate(session, sample))
    for check in (_bodies, _fetches, _extractions, _versions, _numbering, _status, _search, _database):
        with archive.transaction(write=False) as session:
            check(session, audit, problem, chosen, on_bodies)
    return audit


def _sampler(sample: float) -> Callable[[object], bool]:
    if sample >= 1:
        return lambda key: True
    rng = random.Random()
    return lambda key: rng.random() < sample


def _estimate(session: Session, sample: float) -> int:
    return int((session.scalar(select(func.count()).select_from(RawBody)) or 0) * min(sample, 1.0))


def _chunks(session: Session, query: Any, key: Any) -> Iterator[Sequence[Any]]:
    """The rows of `query` in chunks, by increasing `key` (memory stays flat, whatever the archive's size)."""
    after = None
    while True:
        rows = session.execute((query if after is None else query.where(key > after)).order_by(key).limit(CHUNK)).all()
        if rows:
            yield rows
        if len(rows) < CHUNK:
            return
        after = rows[-1][0]


Problem = Callable[[str], None]
Chosen = Callable[[object], bool]


def _bodies(session: Session, audit: Audit, problem: Problem, chosen: Chosen, on_bodies: Callable[[int], None]) -> None:
    dictionaries = set(session.scalars(select(CompressionDictionary.id)))
    for rows in _chunks(session, select(RawBody.sha256, RawBody.dictionary_id), RawBody.sha256):
        digests = [digest for digest, _ in rows if chosen(digest)]
        for digest, dictionary_id, data in session.execute(
                select(RawBody.sha256, RawBody.dictionary_id, RawBody.data).where(RawBody.sha256.in_(digests))):
            audit.checked["bodies"] += 1
            if dictionary_id is not None and dictionary_id not in dictionaries:
                problem(f"raw_bodies {digest}: its compression dictionary {dictionary_id} is missing")
                continue
            try:
                body = rawstore.unpack(session, dictionary_id, data)
            except zstandard.ZstdError as exc:
                problem(f"raw_bodies {digest}: does not decompress ({exc})")
                continue
            if rawstore.sha256(body) != digest:
                problem(f"raw_bodies {digest}: its bytes no longer match their SHA-256")
        on_bodies(len(digests))


def _fetches(session: Session, audit: Audit, problem: Problem, chosen: Chosen, _: Any) -> None:
    audit.checked["fetches"] = session.scalar(select(func.count()).select_from(Fetch)) or 0
    missing = (select(Fetch.id, Fetch.body_sha256).outerjoin(RawBody, RawBody.sha256 == Fetch.body_sha256)
               .where(Fetch.body_sha256.is_not(None), RawBody.sha256.is_(None)).order_by(Fetch.id))
    for fetch_id, digest in session.execute(missing):
        problem(f"fetches {fetch_id}: names raw body {digest}, which the archive does not have")


def _extractions(session: Session, audit: Audit, problem: Problem, chosen: Chosen, _: Any) -> None:
    raw = select(Extraction.id, cast(Extraction.fields, Text), cast(Extraction.flags, Text))
    for rows in _chunks(session, raw, Extraction.id):
        for extraction_id, fields, flags in rows:
            if not chosen(extraction_id):
                continue
            audit.checked["extractions"] += 1
            try:
                if not isinstance(orjson.loads(fields), dict) or not isinstance(orjson.loads(flags), list):
                    raise orjson.JSONDecodeError("not an object and a list", "", 0)
            except (orjson.JSONDecodeError, TypeError):
                problem(f"extractions {extraction_id}: its fields or flags do not decode")


def _versions(session: Session, audit: Audit, problem: Problem, chosen: Chosen, _: Any) -> None:
    query = (select(Version.id, Version.article_id, Version.number, Version.fingerprint, Extraction.id,
                    Extraction.fingerprint, cast(Extraction.fields, Text))
             .join(Extraction, Extraction.id == Version.extraction_id))
    for rows in _chunks(session, query, Version.id):
        for version_id, article_id, number, stored, extraction_id, extracted, fields in rows:
            if not chosen(article_id):
                continue
            audit.checked["versions"] += 1
            name = f"versions {version_id} (article {article_id}, version {number})"
            if stored != extracted:
                problem(f"{name}: its fingerprint is not its extraction {extraction_id}'s")
                continue
            try:
                recomputed = fingerprint_of_fields(orjson.loads(fields))
            except (orjson.JSONDecodeError, TypeError, ValueError, AttributeError):
                continue  # reported by the extractions' check
            if recomputed != stored:
                problem(f"{name}: its fingerprint is not the one its extraction {extraction_id}'s fields give")


def _numbering(session: Session, audit: Audit, problem: Problem, chosen: Chosen, _: Any) -> None:
    rows = session.execute(select(Version.article_id, func.count(), func.min(Version.number), func.max(Version.number))
                           .group_by(Version.article_id)).all()
    audit.checked["numbering"] = len(rows)
    for article_id, count, low, high in rows:
        if low != 1 or high != count:
            problem(f"articles {article_id}: its {count} versions are numbered {low}..{high}, not 1..{count}")


def _status(session: Session, audit: Audit, problem: Problem, chosen: Chosen, _: Any) -> None:
    rows = session.execute(select(Article.id, Article.status, FIRST_GONE.label("gone"))).all()
    audit.checked["status"] = len(rows)
    for article_id, status, gone in rows:
        expected = ArticleStatus.GONE if gone is not None else ArticleStatus.LIVE
        if status != expected:
            problem(f"articles {article_id}: is {status}, but its fetches say {expected.value}")


def _search(session: Session, audit: Audit, problem: Problem, chosen: Chosen, _: Any) -> None:
    later = aliased(Version)
    latest = (select(Version.article_id, Version.extraction_id)
              .where(~select(later.id).where(later.article_id == Version.article_id,
                                             later.number > Version.number).exists()).subquery())
    rows = session.execute(select(latest.c.article_id, latest.c.extraction_id, SearchDoc.extraction_id)
                           .outerjoin(SearchDoc, SearchDoc.article_id == latest.c.article_id)).all()
    audit.checked["search"] = len(rows)
    for article_id, wanted, indexed in rows:
        if indexed is None:
            problem(f"search_docs: article {article_id} is not in the search index")
        elif indexed != wanted:
            problem(f"search_docs {article_id}: indexes extraction {indexed}, not its latest version's {wanted}")
    stray = select(SearchDoc.article_id).where(SearchDoc.article_id.not_in(select(latest.c.article_id)))
    for (article_id,) in session.execute(stray):
        problem(f"search_docs {article_id}: indexes an article that has no version")
    _search_index(session, problem)


def _search_index(session: Session, problem: Problem) -> None:
    """The full-text index, where there is one, holds each searchable article once. It is derived data,
    brought up to date first; one that cannot be (read-only media) is left unchecked."""
    index = store.for_engine(session.get_bind().engine)
    if not index.exists():
        return
    try:
        index.catch_up(wait=True)
        searcher = index.searcher()
    except (store.SearchIndexError, OSError):
        return
    held = Counter(store.every_article(searcher, Query.all_query()))
    rows = set(session.scalars(select(SearchDoc.article_id)))
    for article_id in sorted(rows - set(held)):
        problem(f"search index {index.path}: article {article_id} is missing (archive index rebuild)")
    for article_id, n in sorted(held.items()):
        if n > 1:
            problem(f"search index {index.path}: holds article {article_id} {n} times (archive index rebuild)")
        elif article_id not in rows:
            problem(f"search index {index.path}: holds article {article_id}, which is not searchable "
                    "(archive index rebuild)")


def _database(session: Session, audit: Audit, problem: Problem, chosen: Chosen, _: Any) -> None:
    audit.checked["database"] = 1
    if session.get_bind().dialect.name == "sqlite":
        for (line,) in session.execute(text("PRAGMA integrity_check")):
            if line != "ok":
                problem(f"database: {line}")
        return
    failures = session.scalar(text("SELECT checksum_failures FROM pg_stat_database "
                                   "WHERE datname = current_database()"))
    if failures:
        problem(f"database: PostgreSQL counted {failures} page checksum failures")

