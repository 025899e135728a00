"""Facets of a search: how many articles match, and how they spread over sections and over months
(Vietnam time), counted in one pass over the same matching set that `search` pages through, unranked."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, func, literal_column
from sqlalchemy.orm import Session

from archive.models import SearchDoc
from archive.search.engine import NO_FILTERS, Filters, matching_articles

MAX_SECTIONS = 30


@dataclass
class Facets:
    total: int = 0
    sections: list[tuple[str, int]] = field(default_factory=list)  # most matches first, at most MAX_SECTIONS
    months: list[tuple[str, int]] = field(default_factory=list)  # "YYYY-MM", oldest first; empty months left out


def facets(session: Session, query: str | None, filters: Filters = NO_FILTERS, exact: bool = False) -> Facets:
    """Raises `QueryError` for a query that cannot be searched."""
    month = _month(session, SearchDoc.published).label("month")
    cells = session.execute(matching_articles(session, query, filters, exact)
                            .with_only_columns(SearchDoc.section, month, func.count().label("n"))
                            .group_by(SearchDoc.section, month)).all()
    sections: Counter[str] = Counter()
    months: Counter[str] = Counter()
    for section, when, n in cells:
        sections[section or "—"] += n
        if when:
            months[when] += n
    ranked = sorted(sections.items(), key=lambda item: (-item[1], item[0]))[:MAX_SECTIONS]
    return Facets(sum(sections.values()), ranked, sorted(months.items()))


def _month(session: Session, column: Any) -> ColumnElement[str]:
    # published is stored in UTC; the site's readers (and its archive) count months in Vietnam time
    if session.get_bind().dialect.name == "sqlite":
        return func.strftime("%Y-%m", column, "+7 hours")
    return func.to_char(func.timezone(literal_column("'Asia/Ho_Chi_Minh'"), column), "YYYY-MM")
