"""The replica's text has the long tail of real news, so that search tests and benchmarks measure a corpus
like the one they will meet: rare names and phrases, common words kept common."""

from __future__ import annotations

import random
import statistics
from collections import Counter
from functools import cache

from archive.search.fold import fold, words
from tests.bench.search_report import synthesized
from tests.replica import names

ARTICLES = 2_000


@cache
def corpus() -> list[list[str]]:
    return [words(fold(f"{f['title']} {f['lead']} {f['text']}")) for f in synthesized(ARTICLES)]


def document_frequency(n: int) -> Counter[tuple[str, ...]]:
    counts: Counter[tuple[str, ...]] = Counter()
    for text in corpus():
        counts.update({tuple(text[i:i + n]) for i in range(len(text) - n + 1)})
    return counts


def test_most_five_word_phrases_are_rare() -> None:
    shared = document_frequency(5)
    per_article = [statistics.median(shared[tuple(t[i:i + 5])] for i in range(0, len(t) - 4, 7)) for t in corpus()]
    assert statistics.median(per_article) <= 0.02 * ARTICLES, "a typical phrase is in at most 2% of articles"


def test_common_words_stay_common_and_names_have_a_long_tail() -> None:
    single = document_frequency(1)
    assert single[("doanh",)] > 0.5 * ARTICLES and single[("ty",)] > 0.5 * ARTICLES
    companies = Counter(company for aid in range(ARTICLES) for company in names.cast(3, aid).companies)
    ranked = [count for _, count in companies.most_common()]
    assert ranked[0] < 0.1 * ARTICLES, "no company is in every tenth article"
    assert ranked[0] > 5 * ranked[min(50, len(ranked) - 1)], "a few are named often"
    assert sum(1 for c in ranked if c == 1) > 0.3 * len(ranked), "most are named once"


def test_zipf_draws_favour_the_head_of_a_pool() -> None:
    rng = random.Random(1)
    pool = [str(i) for i in range(1_000)]
    draws = Counter(names.zipf(pool, rng) for _ in range(20_000))
    assert draws["0"] > draws["9"] > draws["99"] and len(draws) > 500
