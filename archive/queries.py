"""Read-only questions researchers ask of the archive."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from archive.database import ArchiveError
from archive.diff import compare
from archive.models import Article, Extraction, Fetch, RawBody, Run, Version
from archive.urls import UrlRules


def find_article(session: Session, ref: str, rules: UrlRules) -> Article:
    """An article by URL (any variant), by the site's numeric id, or by the archive's own id."""
    ref = ref.strip()
    if ref.isdigit():
        found = session.scalars(select(Article).where(Article.site_id == int(ref))).first() or session.get(
            Article, int(ref))
    else:
        canonical = rules.canonical(ref)
        found = session.scalars(select(Article).where(Article.canonical_url == canonical)).first()
        if found is None and (site_id := rules.site_id(canonical)) is not None:
            found = session.scalars(select(Article).where(Article.site_id == site_id)).first()
    if found is None:
        raise ArchiveError(f"no article in the archive for {ref!r}")
    return found


def version_of(session: Session, article: Article, number: int | None) -> Version:
    versions = article.versions
    if not versions:
        raise ArchiveError(f"article {article.canonical_url} has no version yet")
    if number is None:
        return versions[-1]
    for version in versions:
        if version.number == number:
            return version
    raise ArchiveError(f"article {article.canonical_url} has versions 1 to {len(versions)}, not {number}")


@dataclass
class Change:
    """A version in an article's history, and what it changed from the one before."""

    number: int
    seen_at: datetime
    title: str
    removed: int  # words
    added: int
    changed: list[str]  # labels of the fields that changed: title, lead, body, section, authors, tags


def history(session: Session, article: Article) -> list[Change]:
    rows = session.execute(select(Version.number, Version.seen_at, Version.title, Extraction.fields)
                           .join(Extraction, Extraction.id == Version.extraction_id)
                           .where(Version.article_id == article.id).order_by(Version.number)).all()
    out: list[Change] = []
    previous: dict[str, Any] | None = None
    for number, seen_at, title, fields in rows:
        if previous is None:
            out.append(Change(number, seen_at, title, 0, 0, []))
        else:
            comparison = compare(previous, fields)
            out.append(Change(number, seen_at, title, comparison.removed, comparison.added, comparison.changed))
        previous = fields
    return out


@dataclass
class Stats:
    articles: int
    versions: int
    fetches: int
    runs: int
    raw_bytes: int
    stored_bytes: int
    parser_versions: dict[str, int]  # which parser made the archive's versions: version -> how many

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def stats(session: Session) -> Stats:
    def count(model: type[Any]) -> int:
        return session.scalar(select(func.count()).select_from(model)) or 0

    raw, stored = session.execute(select(func.coalesce(func.sum(RawBody.size), 0),
                                         func.coalesce(func.sum(RawBody.stored_size), 0))).one()
    parsers = {version: n for version, n in session.execute(select(Extraction.parser_version, func.count()).join(
        Version, Version.extraction_id == Extraction.id).group_by(Extraction.parser_version))}
    return Stats(count(Article), count(Version), count(Fetch), count(Run), int(raw), int(stored), parsers)


def runs(session: Session, limit: int = 50) -> list[Run]:
    return list(session.scalars(select(Run).order_by(Run.id.desc()).limit(limit)))
