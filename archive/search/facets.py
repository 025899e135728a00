"""Facets of a search: how many articles match, and how they spread over sections and over months
(Vietnam time), counted in one pass over the same matching set that `search` pages through, unranked."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from archive.search.engine import NO_FILTERS, Filters, index_of, matching_query
from archive.search.query import parse

MAX_SECTIONS = 30
EVERY = 100_000  # buckets asked for: every section and month there is


@dataclass
class Facets:
    total: int = 0
    sections: list[tuple[str, int]] = field(default_factory=list)  # most matches first, at most MAX_SECTIONS
    months: list[tuple[str, int]] = field(default_factory=list)  # "YYYY-MM", oldest first; empty months left out


def facets(session: Session, query: str | None, filters: Filters = NO_FILTERS, exact: bool = False) -> Facets:
    """Raises `QueryError` for a query that cannot be searched. Months are Vietnam time's, as the site's
    readers count them; the index keeps each article's."""
    searcher = index_of(session).searcher()
    node = parse(query) if query is not None else None
    found = searcher.aggregate(matching_query(node, exact, filters), {
        "sections": {"terms": {"field": "section", "size": EVERY}},
        "months": {"terms": {"field": "month", "size": EVERY}}})
    sections = [(b["key"], b["doc_count"]) for b in found["sections"]["buckets"]]
    months = sorted((b["key"], b["doc_count"]) for b in found["months"]["buckets"])
    ranked = sorted(sections, key=lambda item: (-item[1], item[0]))[:MAX_SECTIONS]
    return Facets(sum(n for _, n in sections), ranked, months)
