"""Versions are derived: for one article, its good extractions in fetch order, a new version each time
the fingerprint differs from the previous one. Ingest appends; re-extraction and out-of-order imports
rebuild with the same rule."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Subquery, bindparam, delete, func, insert, select
from sqlalchemy.orm import Session, aliased

from archive.models import Extraction, Fetch, Version

LAST_VERSION = (select(Version.number, Version.fingerprint).where(Version.article_id == bindparam("article_id"))
                .order_by(Version.number.desc()).limit(1))
INSERT_VERSION = insert(Version)
_LATER = aliased(Version)
# a condition on Version: the row is its article's latest
IS_LATEST = Version.number == select(func.max(_LATER.number)).where(_LATER.article_id == Version.article_id
                                                                    ).scalar_subquery()


def append_row(session: Session, article_id: int, extraction_id: int, parsed: Any, seen_at: datetime) -> int | None:
    """Ingest's step, when the fetch is the article's latest: the number of the new version the extraction
    (whose article is `parsed`) makes, or None when its fingerprint is the latest version's."""
    conn = session.connection()
    last = conn.execute(LAST_VERSION, {"article_id": article_id}).first()
    if last is not None and last.fingerprint == parsed.fingerprint:
        return None
    number = (last.number + 1) if last else 1
    conn.execute(INSERT_VERSION, dict(article_id=article_id, number=number, extraction_id=extraction_id,
                                         fingerprint=parsed.fingerprint, seen_at=seen_at, title=parsed.title,
                                         published=parsed.published))
    return number


def latest_numbers() -> Subquery:
    """A subquery of each article's latest version number: columns `article_id` and `number`."""
    return (select(Version.article_id, func.max(Version.number).label("number")).group_by(Version.article_id)
            .subquery())


def count(session: Session, article_id: int) -> int:
    return session.scalar(select(func.count()).select_from(Version).where(Version.article_id == article_id)) or 0


T = TypeVar("T")


def sequence(extractions: Iterable[tuple[str, T]]) -> list[T]:
    """The versions good extractions make, given as (fingerprint, item) in fetch order: each item whose
    fingerprint differs from the one before starts a version (numbered from 1, in order)."""
    out, previous = [], None
    for fingerprint, item in extractions:
        if fingerprint != previous:
            out.append(item)
            previous = fingerprint
    return out


def rebuild(session: Session, article_id: int, parser_version: str) -> int:
    """Recomputes an article's versions from its fetches' extractions by `parser_version`; their count."""
    session.execute(delete(Version).where(Version.article_id == article_id))
    rows = session.execute(
        select(Extraction, Fetch).join(Fetch, Extraction.fetch_id == Fetch.id)
        .where(Fetch.article_id == article_id, Extraction.parser_version == parser_version, Extraction.ok)
        .order_by(Fetch.fetched_at, Fetch.id)).all()
    made = sequence((extraction.fingerprint, (extraction, fetch)) for extraction, fetch in rows)
    for number, (extraction, fetch) in enumerate(made, 1):
        session.add(_version(article_id, number, extraction, fetch))
    session.flush()
    return len(made)


def _version(article_id: int, number: int, extraction: Extraction, fetch: Fetch) -> Version:
    return Version(article_id=article_id, number=number, extraction_id=extraction.id,
                   fingerprint=extraction.fingerprint, seen_at=fetch.fetched_at,
                   title=extraction.fields.get("title", ""), published=published_of(extraction.fields))


def published_of(fields: dict[str, Any]) -> datetime | None:
    value = fields.get("published")
    return datetime.fromisoformat(value) if value else None
