"""Answering a search: the parsed query against the Tantivy index, ranking, filters, snippets.

Ranking is BM25 over title, lead and body, weighted in that order (the whole text matched, the title
and the lead boosted). Folding joins words Vietnamese keeps apart ("má", "mà", "mã" and "ma" all fold
to "ma"), so a query typed with diacritics finds the folded set but ranks the articles that match it
exactly first; `exact=True` matches diacritics strictly. Words
typed together rank together: an article where they stand side by side, or near, comes before one
where they are scattered (an implicit phrase and proximity boost, as Lucene users expect).
"""

from __future__ import annotations

import math
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

import tantivy
from sqlalchemy import BigInteger, ColumnElement, Select, bindparam, func, literal_column, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session
from tantivy import Occur, Order, Query

from archive.models import Article, Extraction, SearchDoc
from archive.search import store
from archive.search.fold import exact, fold, spelled_any_way
from archive.search.index import key_value
from archive.search.query import And, Node, Not, Or, Term, has_diacritics, parse, positive_terms
from archive.vocab import ArticleStatus

Sort = Literal["relevance", "newest", "oldest"]
SORTS: tuple[Sort, ...] = ("relevance", "newest", "oldest")
# Added to the whole text's BM25 when a word is in the title or the lead: title 10, lead 5, body 1 in all.
WEIGHTS = {"title": 9.0, "lead": 4.0}
# Tiers added to BM25, each above everything below it: the exact spelling first, then the words typed
# together standing together, then standing near (BM25 of a long query stays well under 10,000).
EXACT_FIRST, PHRASE_FIRST, NEAR_FIRST = 1e6, 1e5, 1e4
NEAR_SLOP = 4  # words this close count as "near" for the proximity boost
RESCORE_WINDOW = 100  # the best hits whose words' nearness is checked; a page beyond them is ranked by BM25
K1 = 1.2  # Tantivy's BM25 saturation: a word scores in a field at most its idf times (1 + K1)
TITLED_SHARE = 0.05  # of the articles, which a query's rarest word must be in for its match to be costly
# Totals counted beside the ranking: Tantivy leaves Python's lock while it searches, so the two use two cores.
_COUNTING = ThreadPoolExecutor(max_workers=4, thread_name_prefix="search-total")
SNIPPET_BYTES = 240  # about 30 words of Vietnamese (UTF-8)
SNIPPET_CHARS = 200  # the passage around a phrase that a snippet is cut from
SNIPPET_WORDS = 30  # of a text's start, when no match is in it
PREFIX_TERMS = 50  # the commonest words a prefix stands for, highlighted in snippets
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


def index_of(session: Session) -> store.SearchIndex:
    """The archive's index, brought up to date with what the archive committed (when no other process
    is writing it: that one keeps it current)."""
    index = store.for_engine(session.get_bind().engine)
    index.catch_up()
    return index


def search(session: Session, query: str | None, filters: Filters = NO_FILTERS, sort: Sort = "relevance",
           limit: int = 20, offset: int = 0, exact: bool = False, with_total: bool = True) -> Results:
    """`query` None lists every article the filters let through, newest first unless `sort` says oldest.
    Without `with_total` the total is left at 0, for a caller that counts otherwise (`facets` does).
    Raises `QueryError` (one line) for a query that cannot be searched."""
    node = parse(query) if query is not None else None
    if node is None and sort == "relevance":
        sort = "newest"
    index = index_of(session)
    searcher = index.searcher()
    nearness = _nearness(node) if node is not None and sort == "relevance" else []
    if node is not None and sort == "relevance":
        window = nearness and offset + limit <= RESCORE_WINDOW
        ranked, total = best(searcher, index, node, filters, exact, RESCORE_WINDOW if window else limit,
                             0 if window else offset, with_total)
        ids, scores = store.article_ids(searcher, ranked), [float(score) for score, _ in ranked]
        if window:
            ids, scores = _rescored(searcher, ids, scores, nearness)
            ids, scores = ids[offset:offset + limit], scores[offset:offset + limit]
    else:
        found = searcher.search(ranked_query(node, filters, exact), limit=limit, offset=offset, count=with_total,
                                order_by_field="published", order=Order.Asc if sort == "oldest" else Order.Desc)
        ids, scores, total = store.article_ids(searcher, found.hits), [0.0] * len(found.hits), _count(found)
    rows = {row.article_id: row for row in session.execute(
        select(SearchDoc.article_id, SearchDoc.title, SearchDoc.published, SearchDoc.section, SearchDoc.authors,
               Article.canonical_url, Extraction.fields["lead"].as_string().label("lead"),
               Extraction.fields["text"].as_string().label("text"))
        .join(Article, Article.id == SearchDoc.article_id).join(Extraction, Extraction.id == SearchDoc.extraction_id)
        .where(SearchDoc.article_id.in_(ids)))}
    strict = node is not None and (exact or has_diacritics(node))
    snippet = Snippets(searcher, node)
    hits = []
    for article_id, score in zip(ids, scores, strict=True):
        row = rows.get(article_id)
        if row is None:  # gone from the archive since the index last followed it
            continue
        body = "\n".join([row.lead or "", row.text or ""])
        hits.append(Hit(id=article_id, canonical_url=row.canonical_url, title=row.title, published=row.published,
                        section=row.section, author=row.authors, snippet=snippet(body),
                        score=round(score, 4), exact=exact or (strict and score >= EXACT_FIRST)))
    return Results(total if with_total else 0, hits)


def best(searcher: tantivy.Searcher, index: store.SearchIndex, node: Node, filters: Filters = NO_FILTERS,
         exact: bool = False, limit: int = 20, offset: int = 0, with_total: bool = True
         ) -> tuple[list[tuple[Any, Any]], int]:
    """The hits ranked by relevance from `offset`, and the total (0 without `with_total`). The bindings
    score every match, so a query of common words costs its whole match: for one, the total is counted on
    another core meanwhile, and the titled articles may be enough (`_titled`)."""
    query = ranked_query(node, filters, exact)
    terms = _and_terms(node)
    if terms is None or min(searcher.doc_freq(store.TEXT, fold(w)) for t in terms for w in t.words) < (
            TITLED_SHARE * searcher.num_docs):  # the whole match is cheap to score: one pass, counting too
        found = searcher.search(query, limit=limit, offset=offset, count=with_total)
        return found.hits, _count(found)
    counting = _COUNTING.submit(searcher.search, matching_query(node, exact, filters), 1, True) if with_total else None
    hits = _titled(searcher, index, node, terms, exact, query, offset + limit)
    if hits is None:
        hits = searcher.search(query, limit=offset + limit, count=False).hits
    return hits[offset:], _count(counting.result()) if counting is not None else 0


def _titled(searcher: tantivy.Searcher, index: store.SearchIndex, node: Node, terms: list[Term], exact: bool,
            query: Query, wanted: int) -> list[tuple[Any, Any]] | None:
    """The best `wanted` hits of `query`, found among the articles with a query word in their title alone,
    when none of the others can rank among them; else None. A title boost lifts a titled article above any
    bound an untitled one can reach (a word scores at most its idf times 1 + K1 in a field), as MaxScore
    skips what cannot win."""
    titled = Query.const_score_query(Query.boolean_query(
        [(Occur.Should, _field_query(t, "title")) for t in terms]), 0.0)
    found = searcher.search(Query.boolean_query([(Occur.Must, query), (Occur.Must, titled)]), limit=wanted,
                            count=False)
    if len(found.hits) < wanted:
        return None
    return found.hits if float(found.hits[-1][0]) > untitled_bound(searcher, index, node, exact) else None


def untitled_bound(searcher: tantivy.Searcher, index: store.SearchIndex, node: Node, exact: bool) -> float:
    """Above what `ranked_query` scores any article with none of the query's words in its title (its words
    and phrases joined by AND): each word's most in the whole text and, weighted, in the lead."""
    documents = max(index.documents_counted(), searcher.num_docs)
    words = [fold(w) for t in positive_terms(node) for w in t.words]
    bound = (1 + K1) * sum(_idf(documents, searcher.doc_freq(store.TEXT, w))
                           + WEIGHTS["lead"] * _idf(documents, searcher.doc_freq("lead", w)) for w in words)
    bound += bound / 1000 + 0.01  # a margin for Tantivy's float32 sums
    if not exact and has_diacritics(node):
        bound += EXACT_FIRST + 0.5  # a float32 near a million is good to 1/16
    return bound


def _count(found: tantivy.SearchResult) -> int:
    return int(getattr(found, "count", None) or 0)  # the stub leaves `count` out


def _idf(documents: int, matching: int) -> float:
    """BM25's idf as Tantivy computes it."""
    return math.log(1 + (documents - matching + 0.5) / (matching + 0.5))


def _and_terms(node: Node) -> list[Term] | None:
    """The terms of a query that is only words and phrases joined by AND; else None."""
    if isinstance(node, Term):
        return None if node.prefix else [node]
    if isinstance(node, And):
        left, right = _and_terms(node.left), _and_terms(node.right)
        return None if left is None or right is None else left + right
    return None


def matching_articles(session: Session, query: str | None, filters: Filters = NO_FILTERS,
                      exact: bool = False) -> Select[Any]:
    """The ids (column `article_id`) of every indexed article that matches: `query` (None: any) and the
    filters. Raises `QueryError` for a query that cannot be searched."""
    chosen = select(SearchDoc.article_id).where(*conditions(filters))
    if query is None:
        return chosen
    return chosen.where(SearchDoc.article_id.in_(id_set(session, matching_ids(session, query, exact))))


def matching_ids(session: Session, query: str, exact: bool = False) -> list[int]:
    """The ids of every article the query matches, from the index alone. Raises `QueryError`."""
    return store.every_article(index_of(session).searcher(), matching_query(parse(query), exact))


def id_set(session: Session, ids: list[int]) -> Any:
    """A set of ids as one bound parameter, however many: SQLite reads a JSON array, PostgreSQL an array."""
    if session.get_bind().dialect.name == "sqlite":
        return select(literal_column("value")).select_from(func.json_each(bindparam("ids", "[" + ",".join(
            map(str, ids)) + "]")))
    return select(func.unnest(bindparam("ids", ids, type_=postgresql.ARRAY(BigInteger))))


# -- queries ------------------------------------------------------------------------------------------

def ranked_query(node: Node | None, filters: Filters, exact: bool) -> Query:
    """The query for a result page: the match, scored, with its boosts, under the filters. Every match is
    scored (the bindings collect without pruning), so each clause here costs its postings over every match:
    words joined by AND are one flat conjunction, and the exact spelling's tier is asked of the `exact`
    field's words alone, the match itself being already required."""
    clauses: list[tuple[Occur, Query]] = [(Occur.Must, Query.const_score_query(f, 0.0))
                                          for f in filter_queries(filters)]
    if node is None:
        return Query.boolean_query([(Occur.Must, Query.all_query()), *clauses])
    clauses += _scored(node, strict=exact)
    if not exact and has_diacritics(node):
        clauses.append((Occur.Should, Query.const_score_query(_spelt(node), EXACT_FIRST)))
    return Query.boolean_query(clauses)


def _scored(node: Node, strict: bool) -> list[tuple[Occur, Query]]:
    """The clauses of a node's match and weights, an AND chain's terms side by side: a word must be in the
    whole text, and scores again for the title and the lead it is in (the sum nesting would give)."""
    if isinstance(node, And):
        return _scored(node.left, strict) + _scored(node.right, strict)
    if isinstance(node, Term):
        return [(Occur.Must, _term_match(node, strict)), *[
            (Occur.Should, Query.boost_query(_field_query(node, name), weight)) for name, weight in WEIGHTS.items()]]
    return [(Occur.Must, _render(node, strict, weighted=True))]


def _spelt(node: Node) -> Query:
    """Which of the articles a query matches match it as typed, diacritics included: a word is spelt so in the
    `exact` field; a phrase stands in the text too (the exact field keeps which words, not where). NOT's
    right side is left out: the match already excludes it."""
    if isinstance(node, Term):
        return _term_match(node, strict=True) if len(node.words) > 1 else _exact_words(node)[0]
    if isinstance(node, Not):
        return _spelt(node.left)
    occur = Occur.Must if isinstance(node, And) else Occur.Should
    return Query.boolean_query([(occur, _spelt(node.left)), (occur, _spelt(node.right))])


def _rescored(searcher: tantivy.Searcher, ids: list[int], scores: list[float],
              nearness: list[tuple[Query, float]]) -> tuple[list[int], list[float]]:
    """The best RESCORE_WINDOW hits again, each raised by the tier of how near its words stand: checking
    word positions only in those (as Elasticsearch's phrase rescoring does), never in every match."""
    if not ids:
        return ids, scores
    window = Query.boolean_query([(Occur.Should, store.article_query(i)) for i in ids])
    tiers: dict[int, set[float]] = {a: set() for a in ids}
    for query, tier in nearness:
        found = searcher.search(Query.boolean_query([(Occur.Must, window), (Occur.Must, query)]),
                                limit=len(ids), count=False)
        for article_id in store.article_ids(searcher, found.hits):
            tiers[article_id].add(tier)
    raised = {a: sum(found) for a, found in tiers.items()}
    ranked = sorted(zip(ids, scores, strict=True), key=lambda hit: -(hit[1] + raised[hit[0]]))
    return [a for a, _ in ranked], [score + raised[a] for a, score in ranked]


def matching_query(node: Node | None, exact: bool, filters: Filters = NO_FILTERS) -> Query:
    """Every article the query (None: any) and the filters let through, unranked."""
    matched = Query.all_query() if node is None else _render(node, strict=exact, weighted=False)
    return Query.const_score_query(Query.boolean_query(
        [(Occur.Must, matched), *[(Occur.Must, f) for f in filter_queries(filters)]]), 1.0)


def _render(node: Node, strict: bool, weighted: bool) -> Query:
    """A node's match; `weighted`, with the weights a ranking adds (`_scored`), else a match alone."""
    if weighted and isinstance(node, Term | And):
        return Query.boolean_query(_scored(node, strict))
    if isinstance(node, Term):
        return _term_match(node, strict)
    if isinstance(node, And):
        return Query.boolean_query([(Occur.Must, _render(node.left, strict, weighted)),
                                    (Occur.Must, _render(node.right, strict, weighted))])
    if isinstance(node, Or):
        return Query.boolean_query([(Occur.Should, _render(node.left, strict, weighted)),
                                    (Occur.Should, _render(node.right, strict, weighted))])
    assert isinstance(node, Not)
    return Query.boolean_query([(Occur.Must, _render(node.left, strict, weighted)),
                                (Occur.MustNot, _render(node.right, strict, weighted=False))])


def _term_match(term: Term, strict: bool) -> Query:
    """A word, phrase or prefix in the whole text; `strict` also asks each of its words to be spelt as typed
    (the exact field keeps which words an article has, not where)."""
    matched = _field_query(term, store.TEXT)
    if not strict:
        return matched
    return Query.boolean_query([(Occur.Must, matched), *[(Occur.Must, Query.const_score_query(w, 0.0))
                                                         for w in _exact_words(term)]])


def _exact_words(term: Term) -> list[Query]:
    spelt = [exact(w) for w in term.words]
    words = [Query.term_query(store.SCHEMA, "exact", w) for w in spelt[:-1]]
    last = spelt[-1]
    words.append(Query.regex_query(store.SCHEMA, "exact", re.escape(last) + ".*") if term.prefix
                 else Query.term_query(store.SCHEMA, "exact", last))
    return words


def _field_query(term: Term, name: str, searcher: tantivy.Searcher | None = None) -> Query:
    """A term in one field. With a `searcher`, a one-word prefix becomes its commonest completions, which
    a snippet generator can highlight (it cannot expand a prefix itself)."""
    folded: list[str | tuple[int, str]] = [fold(w) for w in term.words]
    if term.prefix and len(folded) == 1 and searcher is not None:
        found = searcher.terms_with_prefix(name, fold(term.words[0]), limit=PREFIX_TERMS)
        words = [word for word, _ in found] or [fold(term.words[0])]
        return Query.term_set_query(store.SCHEMA, name, words)
    if term.prefix:
        return Query.phrase_prefix_query(store.SCHEMA, name, folded)
    if len(folded) == 1:
        return Query.term_query(store.SCHEMA, name, fold(term.words[0]))
    return Query.phrase_query(store.SCHEMA, name, folded)


def _nearness(node: Node) -> list[tuple[Query, float]]:
    """For words typed one after another, unquoted: the tier of articles where they stand together, and
    that of articles where they stand near, each above those where they are scattered; one phrase query
    over the whole text per tier."""
    loose = _loose_words(node)
    if loose is None or len(loose) < 2:
        return []
    words: list[str | tuple[int, str]] = [*loose]
    return [(Query.phrase_query(store.SCHEMA, store.TEXT, words, slop=slop), tier)
            for slop, tier in ((0, PHRASE_FIRST), (NEAR_SLOP, NEAR_FIRST))]


def _loose_words(node: Node) -> list[str] | None:
    """The folded words of a query that is only words joined by AND, in the order typed; else None."""
    terms = _and_terms(node)
    if terms is None or any(len(t.words) > 1 for t in terms):
        return None
    return [fold(t.words[0]) for t in terms]


def filter_queries(filters: Filters) -> list[Query]:
    out = []
    for name, value in (("sections", filters.section), ("authors", filters.author), ("tags", filters.tag)):
        if value:
            out.append(Query.term_query(store.SCHEMA, name, key_value(value)))
    if filters.since or filters.until:
        out.append(Query.range_query(
            store.SCHEMA, "published", tantivy.FieldType.Integer,
            int(filters.since.timestamp()) if filters.since else None,
            int(filters.until.timestamp()) if filters.until else None, include_upper=filters.until is None))
    if filters.status:
        out.append(Query.term_query(store.SCHEMA, "status", str(filters.status)))
    if filters.template:
        out.append(Query.term_query(store.SCHEMA, "template", filters.template))
    return out


def conditions(filters: Filters) -> list[ColumnElement[bool]]:
    """The WHERE conditions on `search_docs` that `filters` make."""
    out: list[ColumnElement[bool]] = []
    for column, value in ((SearchDoc.sections_key, filters.section), (SearchDoc.authors_key, filters.author),
                          (SearchDoc.tags_key, filters.tag)):
        if value:
            key = key_value(value).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
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


class Snippets:
    """Snippets for one query: about SNIPPET_BYTES of a text, each match between MARK_OPEN and MARK_CLOSE in
    the text's own spelling however the query was typed. The passage is the first occurrence of the
    query's phrase (a quoted one, longest first, or the words typed together, or the one word typed) when
    the text has it; otherwise where the query's terms score best together (Tantivy's snippet generator
    over the whole text, which reads it with the index's own folding). A text in which nothing matches (a
    match in the title only), or any text without a query, shows its first words."""

    def __init__(self, searcher: tantivy.Searcher, node: Node | None) -> None:
        self.generator: tantivy.SnippetGenerator | None = None
        self.phrases: list[re.Pattern[str]] = []
        terms = [] if node is None else [_field_query(t, store.TEXT, searcher) for t in positive_terms(node)]
        if node is not None and terms:
            self.generator = tantivy.SnippetGenerator.create(
                searcher, Query.boolean_query([(Occur.Should, t) for t in terms]), store.SCHEMA, store.TEXT)
            self.generator.set_max_num_chars(SNIPPET_BYTES)
            quoted = sorted((t for t in positive_terms(node) if len(t.words) > 1), key=lambda t: -len(t.words))
            loose = _loose_words(node)
            phrases = [t.words for t in quoted] + ([tuple(loose)] if loose else [])
            self.phrases = [re.compile(r"(?<!\w)" + r"\W+".join(spelled_any_way(w) for w in words) + r"(?!\w)")
                            for words in phrases]

    def __call__(self, body: str) -> str:
        body = store.composed(body)
        if self.generator is not None:
            start, end, phrase = self._passage(body)
            passage = body[start:end]
            doc = tantivy.Document()
            doc.add_text(store.TEXT, passage)
            found = self.generator.snippet_from_doc(doc)
            if marks := found.highlighted():
                fragment, where = found.fragment().encode(), found.fragment_range()
                spans: list[tuple[int, int]] = []  # byte ranges within the fragment
                if phrase:  # one mark, whatever punctuation stands between its words
                    a = max(0, len(passage[:phrase[0]].encode()) - where.start)
                    b = min(len(fragment), len(passage[:phrase[1]].encode()) - where.start)
                    spans += [(a, b)] if a < b else []
                for mark in marks:
                    if not any(a <= mark.start < b for a, b in spans):
                        spans.append((mark.start, mark.end))
                merged: list[tuple[int, int]] = []
                for a, b in sorted(spans):  # words marked one by one: words side by side are one mark
                    if merged and not fragment[merged[-1][1]:a].strip():
                        merged[-1] = (merged[-1][0], max(b, merged[-1][1]))
                    else:
                        merged.append((a, b))
                out, at = [], 0
                for a, b in merged:
                    out += [fragment[at:a], MARK_OPEN.encode(), fragment[a:b], MARK_CLOSE.encode()]
                    at = b
                out.append(fragment[at:])
                text_ = " ".join(b"".join(out).decode().split())
                before = start > 0 or where.start > 0
                after = end < len(body) or where.end < len(passage.encode())
                return ("… " if before else "") + text_ + (" …" if after else "")
        words = body.split()
        return " ".join(words[:SNIPPET_WORDS]) + (" …" if len(words) > SNIPPET_WORDS else "")

    def _passage(self, body: str) -> tuple[int, int, tuple[int, int] | None]:
        """The characters of `body` the snippet is cut from, and where in them the phrase stands: about
        SNIPPET_CHARS around the first phrase found, a third of the way in; else the whole body."""
        for phrase in self.phrases:
            if found := phrase.search(body):
                room = max(0, SNIPPET_CHARS - (found.end() - found.start()))
                start = body.rfind(" ", 0, max(0, found.start() - room // 3)) + 1
                end = body.find(" ", max(found.end(), start + SNIPPET_CHARS))
                end = len(body) if end < 0 else end
                return start, end, (found.start() - start, found.end() - start)
        return 0, len(body), None


def render_snippet(value: str, open_: str, close: str) -> str:
    return value.replace(MARK_OPEN, open_).replace(MARK_CLOSE, close)
