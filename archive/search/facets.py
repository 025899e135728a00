"""Facets of a search: how its matches spread over sections and over months (Vietnam time), counted in
the database from the same matching set that `search` pages through."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, func, literal_column, select
from sqlalchemy.orm import Session

from archive.models import SearchDoc
from archive.search.engine import NO_FILTERS, Filters, matching_articles

MAX_SECTIONS = 30


@dataclass
class Facets:
    sections: list[tuple[str, int]] = field(default_factory=list)  # most matches first
    months: list[tuple[str, int]] = field(default_factory=list)  # "YYYY-MM", oldest first; months without any left out


def facets(session: Session, query: str | None, filters: Filters = NO_FILTERS, exact: bool = False) -> Facets:
    """Raises `QueryError` for a query that cannot be searched."""
    ids = matching_articles(session, query, filters, exact).subquery()
    matched = select(SearchDoc).join(ids, ids.c.article_id == SearchDoc.article_id).subquery()
    count = func.count().label("n")
    sections = session.execute(select(matched.c.section, count).group_by(matched.c.section)
                               .order_by(count.desc(), matched.c.section).limit(MAX_SECTIONS)).all()
    month = _month(session, matched.c.published).label("month")
    months = session.execute(select(month, count).where(matched.c.published.is_not(None))
                             .group_by(month).order_by(month)).all()
    return Facets([(name or "—", n) for name, n in sections], [(m, n) for m, n in months])


def _month(session: Session, column: Any) -> ColumnElement[str]:
    # published is stored in UTC; the site's readers (and its archive) count months in Vietnam time
    if session.get_bind().dialect.name == "sqlite":
        return func.strftime("%Y-%m", column, "+7 hours")
    return func.to_char(func.timezone(literal_column("'Asia/Ho_Chi_Minh'"), column), "YYYY-MM")
