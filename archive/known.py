"""What the archive already knows, for a crawl to fetch only what is new or may have changed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from archive.models import Article, Fetch, Version
from archive.vocab import ArticleStatus


@dataclass(frozen=True)
class Known:
    etag: str | None
    last_modified: str | None
    last_seen: datetime | None
    published: datetime | None  # articles only


def known_pages(session: Session) -> dict[str, Known]:
    """canonical URL -> validators of its latest successful fetch, and for articles their dates."""
    latest = (select(Fetch.canonical_url, func.max(Fetch.id).label("id")).where(Fetch.status == 200)
              .group_by(Fetch.canonical_url).subquery())
    rows = session.execute(select(Fetch.canonical_url, Fetch.etag, Fetch.last_modified, Fetch.fetched_at)
                           .join(latest, Fetch.id == latest.c.id))
    out = {url: Known(etag, modified, seen, None) for url, etag, modified, seen in rows}
    newest = (select(Version.article_id, func.max(Version.number).label("n")).group_by(Version.article_id)
              .subquery())
    articles = session.execute(
        select(Article.canonical_url, Article.last_seen, Version.published)
        .join(newest, newest.c.article_id == Article.id)
        .join(Version, (Version.article_id == Article.id) & (Version.number == newest.c.n))
        .where(Article.status == ArticleStatus.LIVE))
    for url, seen, published in articles:
        found = out.get(url)
        out[url] = Known(found.etag if found else None, found.last_modified if found else None, seen, published)
    return out
