"""Search against the replica's ground truth, on SQLite and PostgreSQL archives alike."""

from __future__ import annotations

import itertools
import json
import re
import unicodedata
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from tantivy import Occur, Query

from archive.cli import cli
from archive.database import Archive
from archive.ingest import Ingestor
from archive.search import engine, store
from archive.search.engine import Filters, search
from archive.search.fold import fold, fold_char, spelled_any_way, words
from archive.search.query import QueryError, parse
from archive.vocab import ArticleStatus
from tests.archive.feed import advance_past_edit, ingest_all, next_lead_edit
from tests.extract_eval import replica_rules
from tests.replica import Replica
from tests.services import create_database

_names = itertools.count()
PHRASE_WORDS = 8


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def indexed(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
            ) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """An archive of a whole replica, with a few articles taken down after they were archived; and the
    truth of what the site shows (the taken-down articles as they were)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('search') / 'a.sqlite'}"
    else:
        url = create_database(request.getfixturevalue("postgres"), f"search_{next(_names)}")
    archive = Archive(url)
    with Replica(articles=120, seed=5) as rep:
        ingestor = Ingestor(archive, replica_rules(rep))
        articles = [t for t in rep.truth() if t["status"] == "live" and t["kind"] == "normal"]
        ingest_all(ingestor, [t["canonical_url"] for t in articles])
        taken_down = [a for a in rep.site.visible() if a.kind == "normal" and not a.gone_at][:3]
        for meta in taken_down:
            meta.gone_at, meta.gone_status = rep.now + timedelta(seconds=1), 410
        rep.advance(0.01)
        gone = [t for t in articles if t["site_id"] in {m.id for m in taken_down}]
        ingest_all(ingestor, [t["canonical_url"] for t in gone])
        for t in gone:
            t["status"] = "gone"
    archive.close()
    yield url, articles


def run(url: str, query: str, **filters: Any) -> list[int]:
    """Site ids of the hits, best first."""
    archive = Archive(url)
    limit = filters.pop("limit", 500)
    with archive.transaction(write=False) as session:
        results = search(session, query, Filters(**filters), limit=limit)
        ids = _site_ids(session, [h.id for h in results.hits])
    archive.close()
    return ids


def _site_ids(session: Any, article_ids: list[int]) -> list[int]:
    from archive.models import Article

    by_id = {a.id: a.site_id for a in session.query(Article).filter(Article.id.in_(article_ids))}
    return [by_id[i] for i in article_ids]


def _windows(body: list[str]) -> list[tuple[str, ...]]:
    return [tuple(body[i:i + PHRASE_WORDS]) for i in range(max(1, len(body) - PHRASE_WORDS + 1))]


@cache
def _frequencies(everyone: tuple[str, ...]) -> Counter[tuple[str, ...]]:
    """For each run of PHRASE_WORDS folded words, in how many articles' bodies it appears."""
    return Counter(w for body in everyone for w in set(_windows(words(fold(body)))))


def distinctive_phrase(article: dict[str, Any], everyone: list[dict[str, Any]]) -> str:
    """The run of PHRASE_WORDS words of the article's body that the fewest other articles share: the
    kind of phrase a researcher would quote to find it."""
    frequency = _frequencies(tuple(" ".join(a["body"]) for a in everyone))
    body = words(" ".join(article["body"]))
    best = min(_windows(body), key=lambda w: frequency[tuple(fold(x) for x in w)])
    return " ".join(best)


def test_a_phrase_from_each_article_finds_it_in_the_top_three(indexed: tuple[str, list[dict[str, Any]]]) -> None:
    url, articles = indexed
    misses = []
    for article in articles:
        phrase = distinctive_phrase(article, articles)
        if article["site_id"] not in run(url, f'"{phrase}"')[:3]:
            misses.append((article["site_id"], phrase))
        if article["site_id"] not in run(url, fold(phrase), limit=3):  # typed plainly: nearness ranks it
            misses.append((article["site_id"], fold(phrase)))
    assert not misses, misses[:3]


def test_without_diacritics_and_in_upper_case_the_same_articles_are_found(
        indexed: tuple[str, list[dict[str, Any]]]) -> None:
    url, articles = indexed
    for article in articles[:15]:
        phrase = " ".join(words(article["title"])[:4])
        typed = {q: set(run(url, f'"{q}"')) for q in (phrase, fold(phrase), phrase.upper())}
        assert len({frozenset(v) for v in typed.values()}) == 1, typed
        assert article["site_id"] in typed[phrase]


def test_words_with_d_stroke_are_found_typed_plainly(indexed: tuple[str, list[dict[str, Any]]]) -> None:
    """SQLite's remove_diacritics leaves đ alone; our folding does not: "Đồng Nai" is "dong nai"."""
    url, articles = indexed
    place = "Đồng Nai"
    having = {a["site_id"] for a in articles if place in " ".join([a["title"], a["lead"], *a["body"]])}
    assert having
    assert set(run(url, f'"{place}"')) == set(run(url, '"dong nai"')) == set(run(url, '"DONG NAI"')) >= having
    author = next(n for a in articles for n in a["authors"] if "Đ" in n)
    assert set(run(url, "doanh OR a OR e", author=fold(author).upper())) == {
        a["site_id"] for a in articles if author in a["authors"]}


def test_filters_and_date_bounds_match_the_truth(indexed: tuple[str, list[dict[str, Any]]]) -> None:
    url, articles = indexed
    everything = "a OR e OR o OR u OR i OR doanh OR nghiep"
    all_ids = {a["site_id"] for a in articles}
    assert set(run(url, everything)) == all_ids
    section = Counter(a["section_path"][0] for a in articles).most_common(1)[0][0]
    assert set(run(url, everything, section=fold(section))) == {
        a["site_id"] for a in articles if section in a["section_path"]}
    tag = Counter(t for a in articles for t in a["tags"]).most_common(1)[0][0]
    assert set(run(url, everything, tag=tag.upper())) == {a["site_id"] for a in articles if tag in a["tags"]}
    published = sorted(datetime.fromisoformat(a["published"]) for a in articles)
    since, until = published[len(published) // 4], published[3 * len(published) // 4]
    assert set(run(url, everything, since=since, until=until)) == {
        a["site_id"] for a in articles if since <= datetime.fromisoformat(a["published"]) < until}
    assert set(run(url, everything, template="current")) == all_ids


def test_gone_articles_are_found_with_status_gone(indexed: tuple[str, list[dict[str, Any]]]) -> None:
    url, articles = indexed
    gone = {a["site_id"] for a in articles if a["status"] == "gone"}
    assert len(gone) == 3
    assert set(run(url, "a OR e OR o OR doanh", status=ArticleStatus.GONE)) == gone
    assert not gone & set(run(url, "a OR e OR o OR doanh", status=ArticleStatus.LIVE))


def test_operators_prefixes_and_sort(indexed: tuple[str, list[dict[str, Any]]]) -> None:
    url, articles = indexed
    bodies = {a["site_id"]: fold(" ".join([a["title"], a["lead"], *a["body"]])) for a in articles}

    def having(word: str) -> set[int]:
        return {sid for sid, text in bodies.items() if word in text.split() or word in words(text)}

    assert set(run(url, "logistics OR xuat")) == having("logistics") | having("xuat")
    assert set(run(url, "logistics NOT xuat")) == having("logistics") - having("xuat")
    assert set(run(url, "(logistics OR xuat) khau")) == (having("logistics") | having("xuat")) & having("khau")
    assert set(run(url, "logist*")) == {sid for sid, t in bodies.items() if any(w.startswith("logist")
                                                                                 for w in words(t))}
    archive = Archive(url)
    with archive.transaction(write=False) as session:
        newest = [h.published for h in search(session, "doanh", sort="newest", limit=50).hits]
        oldest = [h.published for h in search(session, "doanh", sort="oldest", limit=50).hits]
    archive.close()
    assert newest == sorted(newest, reverse=True) and oldest == sorted(oldest)  # type: ignore[type-var]


def test_exact_matches_rank_first_and_exact_mode_is_strict(indexed: tuple[str, list[dict[str, Any]]]) -> None:
    url, _ = indexed
    archive = Archive(url)
    with archive.transaction(write=False) as session:
        folded = search(session, "tỉnh", limit=500).hits
        strict = search(session, "tỉnh", limit=500, exact=True).hits
        loose = search(session, "tinh", limit=500).hits
    archive.close()
    assert {h.id for h in folded} == {h.id for h in loose}, "diacritics or not, the same folded set"
    flags = [h.exact for h in folded]
    assert flags == sorted(flags, reverse=True), "exact matches first"
    assert {h.id for h in strict} == {h.id for h in folded if h.exact} and 0 < len(strict) <= len(folded)


def test_the_best_hits_taken_from_titled_articles_are_those_of_scoring_every_match(
        indexed: tuple[str, list[dict[str, Any]]]) -> None:
    """A query of common words is answered from the articles with a query word in their title when no other
    can rank among them, its total counted beside: hits and total must be those of scoring every match, for
    words with and without diacritics, phrases, filters and later pages; and no untitled article may score
    above the bound that decides it."""
    url, articles = indexed
    common = [w for w, _ in Counter(w.lower() for a in articles for w in set(words(a["title"]))).most_common(12)]
    queries = [*common, *(fold(w) for w in common[:4]), *(f"{a} {b}" for a, b in itertools.pairwise(common[:6])),
               *(f'"{" ".join(words(a["title"])[:2])}"' for a in articles[:4])]
    archive = Archive(url)
    shortcuts = 0
    with archive.transaction(write=False) as session:
        index = engine.index_of(session)
        searcher = index.searcher()
        for query in queries:
            node = parse(query)
            for filters, offset in ((Filters(), 0), (Filters(), 20), (Filters(section=articles[0]["section"]), 0)):
                hits, total = engine.best(searcher, index, node, filters, limit=20, offset=offset)
                every = searcher.search(engine.ranked_query(node, filters, False), limit=20, offset=offset)
                assert store.article_ids(searcher, hits) == store.article_ids(searcher, every.hits), (query, filters)
                assert total == every.count, (query, filters)
            shortcuts += engine._titled(searcher, index, node, engine.positive_terms(node), False,
                                        engine.ranked_query(node, Filters(), False), 20) is not None
            untitled = searcher.search(Query.boolean_query([
                (Occur.Must, engine.ranked_query(node, Filters(), False)),
                *[(Occur.MustNot, engine._field_query(t, "title")) for t in engine.positive_terms(node)]]), limit=1)
            if untitled.hits:
                assert untitled.hits[0][0] <= engine.untitled_bound(searcher, index, node, False), query
    archive.close()
    assert shortcuts >= 5, "the titled articles sufficed for too few queries to test them"


def test_hits_carry_their_fields_and_a_highlighted_snippet(indexed: tuple[str, list[dict[str, Any]]]) -> None:
    url, articles = indexed
    article = articles[0]
    phrase = distinctive_phrase(article, articles)
    result = CliRunner().invoke(cli, ["--db", url, "search", fold(f'"{phrase}"'), "--format", "json"])
    assert result.exit_code == 0, result.output
    hits = json.loads(result.output)
    first = hits[0]
    assert set(first) == {"id", "canonical_url", "title", "published", "section", "author", "snippet", "score"}
    assert first["title"] == article["title"] and first["author"] == ", ".join(article["authors"])
    marked = [m.split("</mark>")[0] for m in first["snippet"].split("<mark>")[1:]]
    assert words(fold(phrase)) in [words(fold(m)) for m in marked], "the phrase is highlighted as one"
    assert any(words(m) == words(phrase) for m in marked), "in the original spelling"
    assert datetime.fromisoformat(first["published"]) == datetime.fromisoformat(article["published"])


@pytest.mark.parametrize("fmt", ["table", "jsonl", "csv"])
def test_every_output_format(indexed: tuple[str, list[dict[str, Any]]], fmt: str) -> None:
    url, _ = indexed
    result = CliRunner().invoke(cli, ["--db", url, "search", "doanh nghiep", "--limit", "3", "--format", fmt])
    assert result.exit_code == 0, result.output
    if fmt == "jsonl":
        assert len(result.output.splitlines()) == 3
    elif fmt == "csv":
        assert result.output.splitlines()[0] == "id,canonical_url,title,published,section,author,snippet,score"
    else:
        assert "articles match" in result.output


HOSTILE = ['"unbalanced', "(a OR b", "a OR", "NOT a", "AND", ")", "*", "a\x00b", "x" * 10_000,
           "'; DROP TABLE articles;--", 'title_f: "x"', "{title}: a", "NEAR(a b)", "a^b", '"" ""', "a:b:c",
           "\\", "-", "🙂"]


@pytest.mark.parametrize("query", HOSTILE)
def test_hostile_queries_get_one_line_or_results_never_a_crash(indexed: tuple[str, list[dict[str, Any]]],
                                                               query: str) -> None:
    url, _ = indexed
    result = CliRunner().invoke(cli, ["--db", url, "search", query, "--format", "json"])
    if result.exit_code == 0:
        assert isinstance(json.loads(result.output), list)
    else:
        assert result.exit_code == 1 and result.output.startswith("Error: ") and result.output.count("\n") == 1, (
            result.output)
        assert result.exception is None or isinstance(result.exception, SystemExit)


def test_the_parser_refuses_what_it_cannot_search() -> None:
    for query in ("", "   ", "NOT a", "(a", "a)", '"a', "a OR", "x" * 1001, "a\x00", "- * &"):
        with pytest.raises(QueryError):
            parse(query)


def test_the_index_follows_new_versions_and_takedowns(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'a.sqlite'}"
    archive = Archive(url)
    with Replica(articles=150, seed=4) as rep:
        ingestor = Ingestor(archive, replica_rules(rep))
        meta = next_lead_edit(rep)
        page = rep.base_url + meta.path
        ingest_all(ingestor, [page])
        old = next(t for t in rep.truth() if t["site_id"] == meta.id)
        advance_past_edit(rep, meta)
        ingest_all(ingestor, [page])
        new = next(t for t in rep.truth() if t["site_id"] == meta.id)
        meta.gone_at, meta.gone_status = rep.now + timedelta(seconds=1), 410
        rep.advance(0.1)
        ingest_all(ingestor, [page])
        gone_words = [w for w in words(old["lead"]) if w not in words(new["lead"])]
        assert gone_words
        assert run(url, f'"{new["lead"]}"') == [meta.id]
        assert run(url, f'"{old["lead"]}"') == [], "only the latest version is searched"
        assert run(url, f'"{new["lead"]}"', status=ArticleStatus.GONE) == [meta.id]
        rep.site.restore(meta)  # the takedown undone: the article is back, and so is its search status
        rep.advance(0.1)
        ingest_all(ingestor, [page])
    archive.close()
    assert run(url, f'"{new["lead"]}"', status=ArticleStatus.LIVE) == [meta.id]
    assert run(url, f'"{new["lead"]}"', status=ArticleStatus.GONE) == []


def test_rebuild_gives_the_same_answers(indexed: tuple[str, list[dict[str, Any]]], tmp_path: Path) -> None:
    url, articles = indexed
    queries = [f'"{distinctive_phrase(a, articles)}"' for a in articles[:10]] + ["doanh", "chuyen doi so"]
    before = [run(url, q) for q in queries]
    copy = url
    if url.startswith("sqlite"):
        copy = f"sqlite:///{tmp_path / 'copy.sqlite'}"
        Path(copy.removeprefix("sqlite:///")).write_bytes(Path(url.removeprefix("sqlite:///")).read_bytes())
    result = CliRunner().invoke(cli, ["--db", copy, "index", "rebuild"])
    assert result.exit_code == 0 and f"indexed {len(articles)} articles" in result.output, result.output
    after = [run(copy, q) for q in queries]
    # The same articles, and the same best hit for each article's own phrase; the order of the rest may
    # differ, as the followed index still counts the documents it replaced until its segments merge.
    assert [sorted(ids) for ids in after] == [sorted(ids) for ids in before]
    assert [ids[:1] for ids in after[:10]] == [ids[:1] for ids in before[:10]]


VIETNAMESE = "aăâbcdđeêghiklmnoôơpqrstuưvxy" + "áàảãạấầẩẫậắằẳẵặéèẻẽẹếềểễệíìỉĩịóòỏõọốồổỗộớờởỡợúùủũụứừửữựýỳỷỹỵ"
# Vietnamese in either case, with what news text puts between words (and marks written apart, NFD).
VIETNAMESE_TEXT = VIETNAMESE + VIETNAMESE.upper() + "0123456789 ,.;:!?-–—/()“”\"'%\n\u0300\u0301\u0303\u0309\u0323"


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_folding_a_text_is_folding_each_of_its_characters(value: str) -> None:
    """`fold` works on whole strings at string speed; it must fold as `fold_char` does, one by one."""
    nfc = unicodedata.normalize("NFC", value)
    assert fold(value) == "".join(fold_char(c) for c in nfc)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=VIETNAMESE_TEXT))
def test_the_index_splits_and_folds_words_as_the_query_does(value: str) -> None:
    """The index reads text with Tantivy's own analyzer, queries are folded by `fold`: for any Vietnamese
    text, both must give the same words, or a word typed would miss the word written."""
    assert store.FOLDED.analyze(store.composed(value)) == [w for w in words(fold(value)) if len(w) < 40]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=VIETNAMESE + VIETNAMESE.upper() + "0123456789", min_size=1), st.data())
def test_a_word_in_any_spelling_is_found_where_it_folds_alike(word: str, data: st.DataObject) -> None:
    """Snippets find a phrase in the text as written, without folding the text: the pattern of a word
    matches exactly the words that fold as it does (the word respelled letter by letter, or another)."""
    same = {c: [d for d in VIETNAMESE + VIETNAMESE.upper() + "0123456789" if fold(d) == fold(c)] for c in word}
    respelled = "".join(data.draw(st.sampled_from(same[c])) for c in word)
    other = data.draw(st.text(alphabet=VIETNAMESE + VIETNAMESE.upper() + "0123456789", min_size=1))
    assert re.fullmatch(spelled_any_way(word), respelled) is not None
    assert (re.fullmatch(spelled_any_way(word), other) is not None) == (fold(word) == fold(other))




@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=VIETNAMESE + VIETNAMESE.upper() + " .,\u0301\u0323\u0302\u1dc4"))
def test_folding_vietnamese_is_folding_each_of_its_characters(value: str) -> None:
    """The same with Vietnamese, where nearly every word has a mark (`fold` removes its marks one by one),
    loose marks among them."""
    nfc = unicodedata.normalize("NFC", value)
    assert fold(value) == "".join(fold_char(c) for c in nfc)
