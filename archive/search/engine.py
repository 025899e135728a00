"""Answering a search: the parsed query against the index, filters on plain columns, ranking, snippets.

Ranking is bm25 (SQLite) or ts_rank (PostgreSQL) over title, lead and body, weighted in that order.
Folding joins words Vietnamese keeps apart ("má", "mà", "mã" and "ma" all fold to "ma"), so a query typed
with diacritics finds the folded set but ranks the articles that match it exactly first; `exact=True`
matches diacritics strictly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import ColumnElement, Float, Integer, Select, func, literal_column, select, text
from sqlalchemy.orm import Session

from archive.models import Article, Extraction, SearchDoc
from archive.search.fold import fold, fold_with_offsets
from archive.search.query import Node, has_diacritics, parse, positive_terms, to_fts5, to_tsquery
from archive.vocab import ArticleStatus

Sort = Literal["relevance", "newest", "oldest"]
SORTS: tuple[Sort, ...] = ("relevance", "newest", "oldest")
FOLDED, EXACT = ("title_f", "lead_f", "body_f"), ("title", "lead", "body")
BM25 = "bm25(search_fts, 10.0, 5.0, 1.0, 10.0, 5.0, 1.0)"
SNIPPET_WORDS = 30
MARK_OPEN, MARK_CLOSE = "\x02", "\x03"  # around each match in a snippet; each output format renders them


@dataclass(frozen=True)
class Filters:
    section: str | None = None  # a section's name, its sub-sections included
    since: datetime | None = None  # published at or after
    until: datetime | None = None  # published before
    author: str | None = None
    tag: str | None = None
    status: ArticleStatus | None = None
    template: str | None = None


NO_FILTERS = Filters()


@dataclass
class Hit:
    id: int
    canonical_url: str
    title: str
    published: datetime | None
    section: str
    author: str
    snippet: str
    score: float
    exact: bool  # matches the query's diacritics too

    def as_dict(self, mark: tuple[str, str] = ("<mark>", "</mark>")) -> dict[str, Any]:
        return {"id": self.id, "canonical_url": self.canonical_url, "title": self.title,
                "published": self.published.isoformat() if self.published else None, "section": self.section,
                "author": self.author, "snippet": render_snippet(self.snippet, *mark), "score": self.score}


@dataclass
class Results:
    total: int
    hits: list[Hit] = field(default_factory=list)


def search(session: Session, query: str | None, filters: Filters = NO_FILTERS, sort: Sort = "relevance",
           limit: int = 20, offset: int = 0, exact: bool = False, with_total: bool = True) -> Results:
    """`query` None lists every article the filters let through, newest first unless `sort` says oldest.
    Without `with_total` the total is left at 0, for a caller that counts otherwise (`facets` does).
    Raises `QueryError` (one line) for a query that cannot be searched."""
    node = parse(query) if query is not None else None
    ranked = _matches(session, node, exact)
    where = conditions(filters)
    if node is None and sort == "relevance":
        sort = "newest"
    total = 0
    if with_total:  # counting needs no ranking: bm25 is most of a search's time on common words
        counted = _matches(session, node, exact, ranked=False).where(*where).subquery()
        total = session.scalar(select(func.count()).select_from(counted)) or 0
    score, exact_hit = ranked.selected_columns.score, ranked.selected_columns.exact_hit
    order = {"relevance": [exact_hit.desc(), score.desc()],
             "newest": [SearchDoc.published.desc().nulls_last(), score.desc()],
             "oldest": [SearchDoc.published.asc().nulls_last(), score.desc()]}[sort]
    rows = session.execute(ranked.add_columns(Article.canonical_url).join(Article, Article.id == SearchDoc.article_id)
                           .where(*where).order_by(*order, SearchDoc.article_id).limit(limit).offset(offset)).all()
    texts = _texts(session, [row.SearchDoc.extraction_id for row in rows])
    hits = [Hit(id=row.SearchDoc.article_id, canonical_url=row.canonical_url, title=row.SearchDoc.title,
                published=row.SearchDoc.published, section=row.SearchDoc.section, author=row.SearchDoc.authors,
                snippet=snippet(texts.get(row.SearchDoc.extraction_id, ""), node), score=round(float(row.score), 4),
                exact=bool(row.exact_hit)) for row in rows]
    return Results(total, hits)


def matching_articles(session: Session, query: str | None, filters: Filters = NO_FILTERS,
                      exact: bool = False) -> Select[Any]:
    """The ids (column `article_id`) of every indexed article that matches: `query` (None: any) and the
    filters. Raises `QueryError` for a query that cannot be searched."""
    if query is None:
        return select(SearchDoc.article_id).where(*conditions(filters))
    matched = _matches(session, parse(query), exact, ranked=False)
    return matched.with_only_columns(SearchDoc.article_id).where(*conditions(filters))


def _matches(session: Session, node: Node | None, exact: bool, ranked: bool = True) -> Select[Any]:
    """Rows of (SearchDoc, score, exact_hit) for every article the query matches; every indexed article,
    unranked, when there is no query. Unless `ranked`, score and exact_hit are 0."""
    if node is None:
        score: ColumnElement[Any] = literal_column("0.0", Float)
        exact_hit: ColumnElement[Any] = literal_column("0", Integer)
        return select(SearchDoc, score.label("score"), exact_hit.label("exact_hit"))
    return (_sqlite_matches if session.get_bind().dialect.name == "sqlite" else _postgres_matches)(node, exact,
                                                                                                     ranked)


def _sqlite_matches(node: Node, exact: bool, ranked: bool) -> Select[Any]:
    expression = to_fts5(node, EXACT if exact else FOLDED, strict=exact)
    score = f"-{BM25}" if ranked else "0.0"
    matched = (text(f"SELECT rowid AS extraction_id, {score} AS score FROM search_fts WHERE search_fts MATCH :q")
               .bindparams(q=expression).columns(extraction_id=Integer, score=Float).subquery("matched"))
    if exact or not has_diacritics(node) or not ranked:
        exact_hit: ColumnElement[Any] = literal_column("1" if exact and ranked else "0")
    else:
        strict = (text("SELECT rowid FROM search_fts WHERE search_fts MATCH :e")
                  .bindparams(e=to_fts5(node, EXACT, strict=True)).columns(rowid=Integer))
        exact_hit = SearchDoc.extraction_id.in_(strict)
    return (select(SearchDoc, matched.c.score.label("score"), exact_hit.label("exact_hit"))
            .join(matched, matched.c.extraction_id == SearchDoc.extraction_id))


def _postgres_matches(node: Node, exact: bool, ranked: bool) -> Select[Any]:
    column: ColumnElement[Any] = literal_column("search_docs.exact" if exact else "search_docs.folded")
    query = func.to_tsquery(literal_column("'simple'"), to_tsquery(node, strict=exact))
    score: ColumnElement[Any] = func.ts_rank(column, query) if ranked else literal_column("0.0", Float)
    if exact or not has_diacritics(node) or not ranked:
        exact_hit: ColumnElement[Any] = literal_column("true" if exact and ranked else "false")
    else:
        strict = func.to_tsquery(literal_column("'simple'"), to_tsquery(node, strict=True))
        exact_hit = literal_column("search_docs.exact").op("@@")(strict)
    return select(SearchDoc, score.label("score"), exact_hit.label("exact_hit")).where(column.op("@@")(query))


def conditions(filters: Filters) -> list[ColumnElement[bool]]:
    """The WHERE conditions on `search_docs` that `filters` make."""
    out: list[ColumnElement[bool]] = []
    for column, value in ((SearchDoc.sections_key, filters.section), (SearchDoc.authors_key, filters.author),
                          (SearchDoc.tags_key, filters.tag)):
        if value:
            key = " ".join(fold(value).split()).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            out.append(column.like(f"%|{key}|%", escape="\\"))
    if filters.since:
        out.append(SearchDoc.published >= filters.since)
    if filters.until:
        out.append(SearchDoc.published < filters.until)
    if filters.status:
        out.append(SearchDoc.status == filters.status)
    if filters.template:
        out.append(SearchDoc.template == filters.template)
    return out


def _texts(session: Session, extraction_ids: list[int]) -> dict[int, str]:
    if not extraction_ids:
        return {}
    rows = session.execute(select(Extraction.id, Extraction.fields).where(Extraction.id.in_(extraction_ids)))
    return {id_: "\n".join([fields.get("lead") or "", fields.get("text") or ""]) for id_, fields in rows}


def snippet(body: str, node: Node | None) -> str:
    """About SNIPPET_WORDS words of `body` around the first match, each match between MARK_OPEN and
    MARK_CLOSE, in the original spelling however the query was typed; its first words without a query."""
    folded, offsets = fold_with_offsets(body)
    spans = []
    for term in positive_terms(node) if node is not None else []:
        words = [re.escape(fold(w)) for w in term.words]
        pattern = r"\b" + r"\W+".join(words) + (r"\w*" if term.prefix else r"\b")
        spans += [(offsets[m.start()], offsets[m.end() - 1] + 1) for m in re.finditer(pattern, folded)]
    spans = sorted(set(spans))
    if not spans:
        return " ".join(body.split()[:SNIPPET_WORDS]) + (" …" if len(body.split()) > SNIPPET_WORDS else "")
    first = spans[0][0]
    starts = [m.start() for m in re.finditer(r"\S+", body)]
    index = max(0, sum(1 for s in starts if s <= first) - 1 - SNIPPET_WORDS // 3)
    start = starts[index] if starts else 0
    end_index = index + SNIPPET_WORDS
    end = starts[end_index] if end_index < len(starts) else len(body)
    out, at = [], start
    for begin, stop in spans:
        if begin < at or stop > end:
            continue
        out += [body[at:begin], MARK_OPEN, body[begin:stop], MARK_CLOSE]
        at = stop
    out.append(body[at:end])
    text_ = " ".join("".join(out).split())
    return ("… " if start > 0 else "") + text_ + (" …" if end < len(body) else "")


def render_snippet(value: str, open_: str, close: str) -> str:
    return value.replace(MARK_OPEN, open_).replace(MARK_CLOSE, close)
