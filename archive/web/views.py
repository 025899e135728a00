"""What each page shows, read from the archive into the API's models; the HTML pages and the JSON API
both call these, so a page and its API twin never disagree."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from html import escape
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import select
from sqlalchemy.orm import Session

from archive import changes as change_log
from archive import queries
from archive.diff import TEXT_FIELDS, compare, side_by_side
from archive.extract.dates import VN
from archive.models import Article, Extraction, Version
from archive.runs import summarize
from archive.search import store
from archive.search.engine import Filters, Sort, render_snippet
from archive.search.engine import search as run_search
from archive.search.facets import Facets, facets
from archive.vocab import ArticleStatus
from archive.web import schemas
from archive.web.cache import TtlCache


class Missing(LookupError):
    """No such article or version: a 404."""


@dataclass(frozen=True)
class SearchParams:
    q: str = ""
    section: str = ""
    since: date | None = None
    until: date | None = None  # inclusive: the whole day counts
    author: str = ""
    tag: str = ""
    status: str = ""
    sort: Sort = "relevance"
    exact: bool = False
    page: int = 1
    per_page: int = 20

    @property
    def filters(self) -> Filters:
        return Filters(section=self.section or None, since=_midnight(self.since), until=_midnight(self.until, 1),
                       author=self.author or None, tag=self.tag or None,
                       status=ArticleStatus(self.status) if self.status else None)

    def query_args(self, **changes: Any) -> list[tuple[str, str]]:
        """The URL query that asks for this search again, with `changes`; defaults left out."""
        return _query_args(self, _SEARCH_DEFAULTS, changes)

    def link(self, **changes: Any) -> str:
        """`query_args` encoded."""
        return _link(self, _SEARCH_DEFAULTS, changes)


_SEARCH_DEFAULTS = SearchParams()


def _midnight(day: date | None, days: int = 0) -> datetime | None:
    """The start of `day` (plus `days`) in Vietnam time: the site's day."""
    return datetime.combine(day + timedelta(days=days), time(), VN) if day else None


def _query_args(params: Any, defaults: Any, changes: dict[str, Any]) -> list[tuple[str, str]]:
    """A page's parameters, with `changes`, as a URL query: defaults left out, a tuple as a repeated key."""
    return [pair for key, value in _changed(params, defaults, changes) for pair in _pairs(key, value)]


def _link(params: Any, defaults: Any, changes: dict[str, Any]) -> str:
    """`_query_args` encoded, each parameter's part encoded once for all the links of a page (a results page
    links every month and every section with the same query)."""
    return "&".join(_encoded(key, value) for key, value in _changed(params, defaults, changes))


def _changed(params: Any, defaults: Any, changes: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    for key, value in {**params.__dict__, **changes}.items():
        if value != defaults.__dict__[key] and value not in (None, ""):
            yield key, value


def _pairs(key: str, value: Any) -> list[tuple[str, str]]:
    return [(key, "1" if v is True else str(v)) for v in (value if isinstance(value, tuple) else (value,))]


@lru_cache(maxsize=4096)
def _encoded(key: str, value: Any) -> str:
    return urlencode(_pairs(key, value))


def search(session: Session, params: SearchParams, counted: TtlCache[Facets] | None = None) -> schemas.SearchResults:
    """`counted` keeps the facets of recent searches (which hold their totals) for the next page.
    Raises `QueryError` for a query that cannot be searched."""
    query = params.q.strip() or None
    found = run_search(session, query, params.filters, params.sort, params.per_page,
                       (params.page - 1) * params.per_page, params.exact, with_total=False)
    state = store.for_engine(session.get_bind().engine).state()  # a new index commit is new counts
    key = (query, params.filters, params.exact, state.watermark if state else 0)
    spread = (counted.get(key, lambda: facets(session, query, params.filters, params.exact)) if counted
              else facets(session, query, params.filters, params.exact))
    hits = [schemas.Hit(id=h.id, canonical_url=h.canonical_url, title=h.title, published=h.published,
                        section=h.section, author=h.author, snippet=render_snippet(h.snippet, "", ""),
                        snippet_html=render_snippet(escape(h.snippet), "<mark>", "</mark>"), score=h.score)
            for h in found.hits]
    return schemas.SearchResults(
        query=params.q, total=spread.total, page=params.page, per_page=params.per_page,
        sort="newest" if query is None and params.sort == "relevance" else params.sort, hits=hits,
        sections=[schemas.FacetCount(value=v, count=n) for v, n in spread.sections],
        months=[schemas.FacetCount(value=v, count=n) for v, n in spread.months])


def article(session: Session, article_id: int) -> Article:
    found = session.get(Article, article_id)
    if found is None:
        raise Missing(f"no article {article_id} in the archive")
    return found


def _numbers(session: Session, article_id: int) -> list[int]:
    return list(session.scalars(select(Version.number).where(Version.article_id == article_id)
                                .order_by(Version.number)))


def _fields(session: Session, article_id: int, number: int) -> tuple[datetime, dict[str, Any]]:
    row = session.execute(select(Version.seen_at, Extraction.fields)
                          .join(Extraction, Extraction.id == Version.extraction_id)
                          .where(Version.article_id == article_id, Version.number == number)).first()
    if row is None:
        raise Missing(f"article {article_id} has no version {number}")
    return row.seen_at, row.fields


def article_version(session: Session, article_id: int, number: int | None = None) -> schemas.ArticleVersion:
    """A version of an article; its latest without `number`."""
    found = article(session, article_id)
    numbers = _numbers(session, article_id)
    if not numbers:
        raise Missing(f"article {article_id} has no version yet")
    seen_at, fields = _fields(session, article_id, number or numbers[-1])
    return schemas.ArticleVersion(article_id=found.id, canonical_url=found.canonical_url,
                                  status=ArticleStatus(found.status), gone_at=found.gone_at,
                                  first_seen=found.first_seen, last_seen=found.last_seen,
                                  version=number or numbers[-1], versions=len(numbers), seen_at=seen_at,
                                  content=schemas.Content.model_validate(fields))


def history(session: Session, article_id: int) -> schemas.History:
    found = article(session, article_id)
    entries = [schemas.HistoryEntry(number=c.number, seen_at=c.seen_at, title=c.title, words_removed=c.removed,
                                    words_added=c.added, changed=c.changed)
               for c in queries.history(session, found)]
    return schemas.History(article_id=found.id, canonical_url=found.canonical_url, status=ArticleStatus(found.status),
                           gone_at=found.gone_at, versions=entries)


def diff(session: Session, article_id: int, a: int | None = None, b: int | None = None) -> schemas.Diff:
    """Version `a` against version `b`; by default the latest against the one before it."""
    found = article(session, article_id)
    numbers = _numbers(session, article_id)
    if not numbers:
        raise Missing(f"article {article_id} has no version yet")
    b = b or numbers[-1]
    a = a or max(1, b - 1)
    (a_seen, old), (b_seen, new) = _fields(session, article_id, a), _fields(session, article_id, b)
    comparison = compare(old, new)
    keys = dict(TEXT_FIELDS)
    texts = [schemas.TextDiff(field=label, inline=[schemas.Piece(kind=p.kind, text=p.text) for p in pieces],
                              side_by_side=[_row(row) for row in side_by_side(old.get(keys[label]) or "",
                                                                              new.get(keys[label]) or "")])
             for label, pieces in comparison.texts.items()]
    lists = [schemas.ListDiff(field=label, old=before, new=after)
             for label, (before, after) in comparison.lists.items()]
    return schemas.Diff(article_id=found.id, canonical_url=found.canonical_url, title=new.get("title") or "", a=a, b=b,
                        a_seen_at=a_seen,
                        b_seen_at=b_seen, versions=len(numbers), words_removed=comparison.removed,
                        words_added=comparison.added, texts=texts, lists=lists)


def _row(row: Any) -> schemas.SideRow:
    def pieces(side: Any) -> list[schemas.Piece] | None:
        return None if side is None else [schemas.Piece(kind=p.kind, text=p.text) for p in side]

    return schemas.SideRow(old=pieces(row.old), new=pieces(row.new))


def runs(session: Session, limit: int, count_labels: dict[str, str]) -> list[schemas.RunOut]:
    return [schemas.RunOut(id=r.id, kind=r.kind, started_at=r.started_at, finished_at=r.finished_at,
                           outcome=r.outcome, counts=r.counts, args=r.args, summary=summarize(r.counts, count_labels))
            for r in queries.runs(session, limit)]


@dataclass(frozen=True)
class ChangeParams:
    since: date | None = None
    until: date | None = None  # inclusive: the whole day counts
    kind: tuple[str, ...] = ()
    min_words: int = 0
    q: str = ""
    section: str = ""
    author: str = ""
    page: int = 1
    per_page: int = 50

    @property
    def filters(self) -> change_log.ChangeFilters:
        """Raises `ChangeError` (a 400) for filters that cannot be applied, `QueryError` for the query."""
        return change_log.ChangeFilters(since=_midnight(self.since), until=_midnight(self.until, 1), kinds=self.kind,
                                        min_words=self.min_words, query=self.q.strip() or None,
                                        section=self.section or None, author=self.author or None)

    def query_args(self, **changes: Any) -> list[tuple[str, str]]:
        """The URL query that asks for this view again, with `changes`; defaults left out."""
        return _query_args(self, _CHANGE_DEFAULTS, changes)

    def link(self, **changes: Any) -> str:
        """`query_args` encoded."""
        return _link(self, _CHANGE_DEFAULTS, changes)


_CHANGE_DEFAULTS = ChangeParams()


def change(entry: change_log.Entry) -> schemas.ChangeOut:
    return schemas.ChangeOut.model_validate(entry.as_dict())


Tally = tuple[change_log.Counts, list[change_log.Entry]]


def changes(session: Session, params: ChangeParams, tallied: TtlCache[Tally] | None = None) -> schemas.Changes:
    """`tallied` keeps, for a minute, what recent views counted over every change they let through, and
    their takedowns and returns, for their next pages and their next readers."""
    filters = params.filters

    def tally() -> Tally:
        log = change_log.Log(session, filters)
        return log.counts(), log.events

    counted, events = tallied.get(filters, tally) if tallied else tally()
    entries = change_log.Log(session, filters, events).page(params.per_page, (params.page - 1) * params.per_page)
    return schemas.Changes(total=counted.total, page=params.page, per_page=params.per_page,
                           kinds=[schemas.KindCount(kind=k, count=n) for k, n in counted.kinds.items()],
                           weeks=[schemas.WeekCounts(week=w, kinds=k) for w, k in counted.weeks],
                           entries=[change(e) for e in entries])


def article_changes(session: Session, article_id: int) -> tuple[Article, list[schemas.ChangeOut]]:
    """An article's changes, newest first (its history as a feed)."""
    found = article(session, article_id)
    everything = change_log.Log(session, change_log.ChangeFilters(article_id=article_id)).stream()
    return found, [change(e) for e in everything]
