"""The change log: every edit and takedown across the archive, newest first.

It is derived, never stored apart: an edit is a version after an article's first, which carries what it
changed from the one before (`measure`, written with the version); a takedown is an article's first 404
or 410 after a 200 or 304, and a return its first 200 or 304 after a takedown, read from its fetches.
"""

from __future__ import annotations

import heapq
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property
from itertools import islice
from typing import Any

from sqlalchemy import ColumnElement, Select, TextClause, bindparam, func, literal_column, select, text, update
from sqlalchemy.orm import Session, aliased

from archive.diff import compare
from archive.extract.dates import VN
from archive.models import Article, Extraction, Fetch, SearchDoc, Version
from archive.search.engine import Filters, conditions, matching_ids

FIELD_BITS = {"title": 1, "lead": 2, "body": 4, "authors": 8, "tags": 16, "published": 32, "section": 64}
EVENTS = ("takedown", "return")
KINDS = (*FIELD_BITS, *EVENTS)
LIVE, REMOVED = (200, 304), (404, 410)
CHUNK = 500
# The predicates of the partial indexes ix_versions_edits and ix_fetches_removals, written as literals (a
# bound parameter hides from the planner that an index applies) and qualified (the queries join tables
# with columns of the same names).
EDIT_ROWS = text("versions.number > 1")
REMOVAL_ROWS = text("fetches.status IN (404, 410)")


class ChangeError(ValueError):
    """A filter that cannot be applied: one line for the CLI (exit 2) and the web (400)."""


# -- measuring a version against the one before ------------------------------------------------------

@dataclass(frozen=True)
class Measure:
    changed: int  # FIELD_BITS of the fields that changed
    words: dict[str, list[int]]  # text field -> [removed, added], for the texts that changed
    removed: int
    added: int


def measure(old: dict[str, Any], new: dict[str, Any]) -> Measure:
    """What a version changed from the one before, from their extractions' fields."""
    comparison = compare(old, new)
    changed = sum(FIELD_BITS[label] for label in comparison.changed)
    words: dict[str, list[int]] = {label: counts for label, counts in comparison.words.items()}
    return Measure(changed, words, comparison.removed, comparison.added)


_PREVIOUS = aliased(Version)
_UNMEASURED = (select(Version.id, Version.extraction_id, _PREVIOUS.extraction_id)
               .join(_PREVIOUS, (_PREVIOUS.article_id == Version.article_id)
                     & (_PREVIOUS.number == Version.number - 1))
               .where(EDIT_ROWS, Version.changed.is_(None)).limit(CHUNK))
_MEASURED = (update(Version).where(Version.id == bindparam("version_id"))
             .values(changed=bindparam("changed"), words_removed=bindparam("removed"),
                     words_added=bindparam("added"), change_words=bindparam("words")))


def measure_pending(session: Session) -> int:
    """Measures every version written without its change (every writer calls this before it commits:
    versions are inserted by several paths, and measured here, once); how many it measured."""
    conn = session.connection()
    done = 0
    while rows := conn.execute(_UNMEASURED).all():
        ids = {e for _, new, old in rows for e in (new, old)}
        fields: dict[int, dict[str, Any] | None] = dict(
            conn.execute(select(Extraction.id, Extraction.fields).where(Extraction.id.in_(ids))).all())
        values = []
        for version_id, new, old in rows:
            m = measure(fields[old] or {}, fields[new] or {})
            values.append({"version_id": version_id, "changed": m.changed, "removed": m.removed, "added": m.added,
                           "words": m.words})
        conn.execute(_MEASURED, values)
        done += len(rows)
    return done


# -- the log ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ChangeFilters:
    since: datetime | None = None  # seen at or after
    until: datetime | None = None  # seen before
    kinds: tuple[str, ...] = ()  # any of KINDS; empty: all
    min_words: int = 0  # words removed and added, over title, lead and body
    query: str | None = None  # the search syntax: changes to the articles it finds
    section: str | None = None  # the article's section, its sub-sections included
    author: str | None = None
    article_id: int | None = None  # one article's changes: its history as a feed

    def __post_init__(self) -> None:
        unknown = [k for k in self.kinds if k not in KINDS]
        if unknown:
            raise ChangeError(f"unknown kind {unknown[0]!r}: choose from {', '.join(KINDS)}")
        if self.min_words < 0:
            raise ChangeError(f"--min-words must not be negative, not {self.min_words}")
        if self.since and self.until and self.since >= self.until:
            raise ChangeError("the start of the period must be before its end")

    @property
    def field_mask(self) -> int:
        fields = [k for k in self.kinds if k in FIELD_BITS] if self.kinds else list(FIELD_BITS)
        return sum(FIELD_BITS[k] for k in fields)

    def wants(self, event: str) -> bool:
        """Takedowns and returns change no words: a size asked for leaves them out, unless named."""
        return event in self.kinds if self.kinds else self.min_words == 0


@dataclass
class Entry:
    kinds: list[str]  # the fields changed, or ["takedown"] or ["return"]
    article_id: int
    canonical_url: str
    title: str  # the article's title after the change (for a takedown: its last)
    section: str
    seen_at: datetime
    published: datetime | None
    fetch_id: int  # the fetch that showed the change: with the URL, what makes the entry's id stable
    number: int | None = None  # the version made; its diff is number - 1 against number
    words: dict[str, list[int]] = field(default_factory=dict)
    removed: int = 0
    added: int = 0
    title_before: str | None = None  # when the title changed
    status: int | None = None  # a takedown's 404 or 410

    @property
    def lag(self) -> timedelta | None:
        """How long after publication the change was seen."""
        return self.seen_at - self.published if self.published else None

    @property
    def id(self) -> str:
        return uuid.uuid5(uuid.NAMESPACE_URL, f"{self.canonical_url}#{self.kinds[0]}@{self.fetch_id}").urn

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "kinds": self.kinds, "article_id": self.article_id,
                "canonical_url": self.canonical_url, "title": self.title, "title_before": self.title_before,
                "section": self.section, "seen_at": self.seen_at.isoformat(),
                "published": self.published.isoformat() if self.published else None,
                "lag_hours": round(self.lag.total_seconds() / 3600, 2) if self.lag is not None else None,
                "version": self.number, "words_removed": self.removed, "words_added": self.added,
                "words": self.words, "status": self.status}


@dataclass
class Counts:
    total: int = 0  # entries
    kinds: dict[str, int] = field(default_factory=dict)  # entries with each kind
    weeks: list[tuple[str, dict[str, int]]] = field(default_factory=list)  # (Monday, YYYY-MM-DD) -> kinds, oldest first


class Log:
    """The change log as `filters` choose it, for one reader (a command, a web request): the query's
    matches and the takedowns are worked out once, however many of `stream`, `page` and `counts` ask."""

    def __init__(self, session: Session, filters: ChangeFilters, events: list[Entry] | None = None) -> None:
        """`events`: the takedowns and returns these filters let through, when already worked out (a web
        server keeps them for a minute, with the counts)."""
        self.session, self.filters = session, filters
        if events is not None:
            self.__dict__["events"] = events

    @cached_property
    def matches(self) -> frozenset[int] | None:
        """The articles the query finds (None without a query): the search engine asked once."""
        if not self.filters.query:
            return None
        return frozenset(matching_ids(self.session, self.filters.query))

    def chosen(self, article_id: int) -> bool:
        return self.matches is None or article_id in self.matches

    def conditions(self, article_id: Any) -> list[ColumnElement[bool]]:
        """What chooses the articles in SQL (the caller outer-joins `search_docs` on `article_id`): section
        and author on the joined row, so that only the rows at hand are tested."""
        out = conditions(Filters(section=self.filters.section, author=self.filters.author))
        if self.filters.article_id is not None:
            out.append(article_id == self.filters.article_id)
        return out

    def _edit_conditions(self) -> list[ColumnElement[bool] | TextClause]:
        f = self.filters
        wanted: list[ColumnElement[bool] | TextClause] = [EDIT_ROWS, Version.changed.op("&")(f.field_mask) != 0]
        if f.since:
            wanted.append(Version.seen_at >= f.since)
        if f.until:
            wanted.append(Version.seen_at < f.until)
        if f.min_words:
            wanted.append(Version.words_removed + Version.words_added >= f.min_words)
        return [*wanted, *self.conditions(Version.article_id)]

    def _edit_rows(self, first: int = CHUNK) -> Iterator[Any]:
        """The edits, newest first, read in chunks (memory stays flat), the first of `first` rows."""
        previous = aliased(Version)
        query = (select(Version.id, Version.article_id, Version.number, Version.seen_at, Version.changed,
                        Version.words_removed, Version.words_added, Version.change_words, Version.title,
                        previous.title.label("title_before"), previous.published, Article.canonical_url,
                        func.coalesce(SearchDoc.section, "").label("section"), Extraction.fetch_id)
                 .join(previous, (previous.article_id == Version.article_id)
                       & (previous.number == Version.number - 1))
                 .join(Article, Article.id == Version.article_id)
                 .join(Extraction, Extraction.id == Version.extraction_id)
                 .outerjoin(SearchDoc, SearchDoc.article_id == Version.article_id)
                 .where(*self._edit_conditions()).order_by(Version.seen_at.desc(), Extraction.fetch_id.desc()))
        after: tuple[datetime, int] | None = None
        while True:
            chunk = query if after is None else query.where(
                (Version.seen_at < after[0]) | ((Version.seen_at == after[0]) & (Extraction.fetch_id < after[1])))
            size = first if after is None else CHUNK
            rows = self.session.execute(chunk.limit(size)).all()
            yield from (row for row in rows if self.chosen(row.article_id))
            if len(rows) < size:
                return
            after = (rows[-1].seen_at, rows[-1].fetch_id)

    @cached_property
    def events(self) -> list[Entry]:
        """Takedowns and returns, newest first, from the fetches of the articles that ever answered 404 or
        410."""
        wanted = [e for e in EVENTS if self.filters.wants(e)]
        if not wanted:
            return []
        candidates = (select(Fetch.article_id).outerjoin(SearchDoc, SearchDoc.article_id == Fetch.article_id)
                      .where(REMOVAL_ROWS, Fetch.article_id.is_not(None), *self.conditions(Fetch.article_id)))
        ids = sorted({i for i in self.session.scalars(candidates) if i is not None and self.chosen(i)})
        out: list[Entry] = []
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start:start + CHUNK]
            about = {row.id: row for row in self.session.execute(_about(chunk))}
            history: dict[int, list[Any]] = defaultdict(list)
            for row in self.session.execute(
                    select(Fetch.article_id, Fetch.id, Fetch.status, Fetch.fetched_at)
                    .where(Fetch.article_id.in_(chunk), Fetch.status.in_((*LIVE, *REMOVED)))
                    .order_by(Fetch.article_id, Fetch.fetched_at, Fetch.id)):
                history[row.article_id].append(row)
            for article_id, fetches in history.items():
                out += _transitions(about[article_id], fetches, wanted, self.filters)
        out.sort(key=lambda e: (e.seen_at, e.fetch_id), reverse=True)
        return out

    def stream(self, first: int = CHUNK) -> Iterator[Entry]:
        """Every change the filters let through, newest first; `first`: how many a reader wants at once."""
        edits = (_edit_entry(row) for row in self._edit_rows(first))
        yield from heapq.merge(edits, self.events, key=lambda e: (e.seen_at, e.fetch_id), reverse=True)

    def page(self, limit: int, offset: int = 0) -> list[Entry]:
        return list(islice(self.stream(min(CHUNK, offset + limit)), offset, offset + limit))

    def counts(self) -> Counts:
        """Entries per kind, and per week (Vietnam time) and kind, over everything the filters let through."""
        week = _week(self.session, Version.seen_at).label("week")
        lean = select(week, Version.changed, Version.article_id).outerjoin(
            SearchDoc, SearchDoc.article_id == Version.article_id).where(*self._edit_conditions())
        cells: list[tuple[Any, int | None, int]]
        if self.matches is None:  # counted by the database
            cells = list(self.session.execute(
                lean.with_only_columns(week, Version.changed, func.count()).group_by(week, Version.changed)))
        else:
            cells = [(when, changed, 1) for when, changed, article_id in self.session.execute(lean)
                     if article_id in self.matches]
        total, kinds, weeks = 0, Counter[str](), defaultdict[str, Counter[str]](Counter)
        for when, names, n in [*((str(w), kinds_of(c), n) for w, c, n in cells),
                               *((_monday(e.seen_at), e.kinds, 1) for e in self.events)]:
            total += n
            for name in names:
                kinds[name] += n
                weeks[when][name] += n
        return Counts(total, {k: kinds[k] for k in KINDS if kinds[k]}, [(w, dict(weeks[w])) for w in sorted(weeks)])


def kinds_of(changed: int | None) -> list[str]:
    """The kinds of change a version's field bits name."""
    return [k for k, bit in FIELD_BITS.items() if (changed or 0) & bit]


def _edit_entry(row: Any) -> Entry:
    kinds = kinds_of(row.changed)
    return Entry(kinds, row.article_id, row.canonical_url, row.title, row.section, row.seen_at, row.published,
                 row.fetch_id, row.number, dict(row.change_words or {}), row.words_removed or 0,
                 row.words_added or 0, row.title_before if "title" in kinds else None)


def _about(article_ids: list[int]) -> Select[int, str, str, str, datetime | None]:
    first = aliased(Version)
    return (select(Article.id, Article.canonical_url, func.coalesce(SearchDoc.title, first.title).label("title"),
                   func.coalesce(SearchDoc.section, "").label("section"), first.published)
            .join(first, (first.article_id == Article.id) & (first.number == 1))
            .outerjoin(SearchDoc, SearchDoc.article_id == Article.id).where(Article.id.in_(article_ids)))


def _transitions(about: Any, fetches: list[Any], wanted: list[str], filters: ChangeFilters) -> list[Entry]:
    out: list[Entry] = []
    live: bool | None = None
    for row in fetches:
        now_live = row.status in LIVE
        kind = "return" if now_live and live is False else "takedown" if not now_live and live else None
        live = now_live
        if kind is None or kind not in wanted:
            continue
        if (filters.since and row.fetched_at < filters.since) or (filters.until and row.fetched_at >= filters.until):
            continue
        out.append(Entry([kind], about.id, about.canonical_url, about.title, about.section, row.fetched_at,
                         about.published, row.id, status=None if now_live else row.status))
    return out


def _week(session: Session, column: Any) -> ColumnElement[str]:
    """The Monday (Vietnam time) of the week a UTC time falls in, as YYYY-MM-DD."""
    if session.get_bind().dialect.name == "sqlite":
        return func.date(column, "+7 hours", "-6 days", "weekday 1")
    return func.to_char(func.date_trunc("week", func.timezone(literal_column("'Asia/Ho_Chi_Minh'"), column)),
                        "YYYY-MM-DD")


def _monday(moment: datetime) -> str:
    day = moment.astimezone(VN).date()
    return (day - timedelta(days=day.weekday())).isoformat()
