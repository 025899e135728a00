"""What the archive already knows, for a crawl to fetch only what is new or may have changed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, type_coerce
from sqlalchemy.orm import Session

from archive import versions
from archive.models import Article, Fetch, Run, UTCDateTime, Version
from archive.vocab import COMPLETED, ArticleStatus

CONFIRMED = (200, 304)  # a fetch that tells what the page held at the time


@dataclass(frozen=True)
class Known:
    etag: str | None
    last_modified: str | None
    checked: datetime | None  # the site's clock when a completed run last had the page (its Date header, else ours)
    published: datetime | None  # articles only


def known_pages(session: Session) -> dict[str, Known]:
    """canonical URL -> validators of its latest successful fetch and when it was last confirmed, both by a
    run that completed (or an import), and for live articles their publication date."""
    # Only a run that completed vouches for a page: a sitemap read by a run that then lost the requests it
    # gave (a process killed, a fault) would otherwise pass for read, and the edits it announced be missed:
    # neither its time nor its validators count (a conditional request with them would get a 304). An
    # article's validators stand for what the archive holds of it, whatever became of its run.
    vouched = Fetch.run_id.is_(None) | Fetch.run_id.in_(select(Run.id).where(Run.outcome.in_(COMPLETED)))
    latest = (select(Fetch.canonical_url, func.max(Fetch.id).label("id"))
              .where(Fetch.status == 200, vouched | Fetch.article_id.is_not(None))
              .group_by(Fetch.canonical_url).subquery())
    rows = session.execute(select(Fetch.canonical_url, Fetch.etag, Fetch.last_modified)
                           .join(latest, Fetch.id == latest.c.id))
    validators = {url: (etag, modified) for url, etag, modified in rows}
    checked: dict[str, datetime] = {url: when for url, when in session.execute(
        select(Fetch.canonical_url,
               type_coerce(func.max(func.coalesce(Fetch.server_date, Fetch.fetched_at)), UTCDateTime()))
        .where(Fetch.status.in_(CONFIRMED), vouched).group_by(Fetch.canonical_url))}
    newest = versions.latest_numbers()
    published: dict[str, datetime | None] = {url: when for url, when in session.execute(
        select(Article.canonical_url, Version.published)
        .join(newest, newest.c.article_id == Article.id)
        .join(Version, (Version.article_id == Article.id) & (Version.number == newest.c.number))
        .where(Article.status == ArticleStatus.LIVE))}
    return {url: Known(*validators.get(url, (None, None)), checked.get(url), published.get(url))
            for url in validators.keys() | published.keys()}
