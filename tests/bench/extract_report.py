"""Extraction: quality against ground truth, the fallback against bare trafilatura, and speed."""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path

import trafilatura

from archive.extract import extract
from tests.archive.test_extract_vietnamese import FOLDER as VIETNAMESE
from tests.archive.test_extract_vietnamese import fields_of
from tests.bench.harness import report
from tests.conftest import LEGACY_NOW
from tests.extract_eval import evaluate, summary, token_f1
from tests.http import fetch
from tests.replica import Replica

GENERIC = Path(__file__).parents[1] / "archive" / "fixtures" / "generic"
RUNS = 5


def quality() -> None:
    for name, now in (("current", None), ("legacy", LEGACY_NOW)):
        with Replica(articles=500, seed=1, now=now) as rep:
            s = summary(evaluate(rep))
        report(f"extraction quality: every live article of a 500-article replica, {name} template", [
            ("pages", f"{s['pages']:.0f}"),
            ("body token F1, mean / worst", f"{s['f1_mean']:.4f} / {s['f1_min']:.4f}"),
            ("pages with a noise string", f"{s['noisy_pages']:.0f}"),
            *[(f"exact {k}", f"{s[f'exact_{k}']:.2%}") for k in
              ("title", "authors", "published", "section", "tags", "lead", "images", "related")],
        ])


def fallback() -> None:
    pages = [(p.read_bytes(), f"https://example.vn/{p.stem}", p.with_suffix(".txt").read_text(encoding="utf-8"))
             for p in sorted(GENERIC.glob("*.html"))]
    ours = [token_f1(extract(raw, url).text, want) for raw, url, want in pages]
    bare = [token_f1(trafilatura.extract(raw) or "", want) for raw, _, want in pages]
    ratios = []
    for _ in range(RUNS):  # both timed in each run, page by page, so the ratio sees the same machine state
        spent = {"ours": 0.0, "bare": 0.0}
        for raw, url, _ in pages:
            started = time.perf_counter()
            extract(raw, url)
            spent["ours"] += time.perf_counter() - started
            started = time.perf_counter()
            trafilatura.extract(raw)
            spent["bare"] += time.perf_counter() - started
        ratios.append(spent["ours"] / spent["bare"])
    report(f"generic fallback on {len(ours)} pages of other sites and an imagined redesign", [
        ("body token F1, fallback (mean / worst)", f"{statistics.mean(ours):.4f} / {min(ours):.4f}"),
        ("body token F1, bare trafilatura (mean / worst)", f"{statistics.mean(bare):.4f} / {min(bare):.4f}"),
        ("pages where the fallback is worse", str(sum(o < b for o, b in zip(ours, bare, strict=True)))),
        (f"time per page, fallback / bare trafilatura (median of {RUNS})",
         f"{statistics.median(ratios):.2f}×  ({', '.join(f'{r:.2f}' for r in ratios)})"),
    ])


def speed() -> None:
    with Replica(articles=300, seed=1) as rep:
        pages = [(fetch(rep.base_url + a.path).body, rep.base_url + a.path)
                 for a in rep.site.visible()[:150] if a.kind == "normal"]

    def rate(fn: object) -> float:
        started = time.perf_counter()
        for body, url in pages:
            fn(body, url)  # type: ignore[operator]
        return len(pages) / (time.perf_counter() - started)

    ratios, ours, bare = [], [], []
    for _ in range(RUNS):  # both measured in each run, so the ratio sees the same machine state
        o, b = rate(lambda body, url: extract(body, url)), rate(lambda body, url: trafilatura.extract(body, url=url))
        ours.append(o)
        bare.append(b)
        ratios.append(o / b)
    report(f"extraction speed: {len(pages)} current-template pages (≈110 KB), one process, median of {RUNS}", [
        ("page object (archive.extract)", f"{statistics.median(ours):,.0f} pages/s"),
        ("bare trafilatura.extract, whole page", f"{statistics.median(bare):,.0f} pages/s"),
        ("ratio", f"{statistics.median(ratios):.2f}×  ({', '.join(f'{r:.2f}' for r in ratios)})"),
    ])


VIET_FIELDS = ("title", "lead", "section", "section_path", "tags", "author", "lead_caption", "published")


def vietnamese() -> dict[str, float]:
    """The generic path and bare trafilatura on the pages of six other Vietnamese news CMS families
    (`tests/archive/fixtures/viet/`): body F1, leaks (body lines that are not the article's) and the
    share of fields right; and time per page, both timed page by page in each run."""
    pages = [(p.read_bytes(), json.loads(p.with_suffix(".json").read_text(encoding="utf-8")))
             for p in sorted(VIETNAMESE.glob("*.html"))]
    ours_f1, bare_f1, leaks, right, bare_leaks = [], [], 0, 0, 0
    for page, wanted in pages:
        got = extract(page, wanted["url"])
        body = wanted["text"].splitlines()
        ours_f1.append(token_f1(got.text, wanted["text"]))
        bare_text = trafilatura.extract(page) or ""
        bare_f1.append(token_f1(bare_text, wanted["text"]))
        leaks += sum(line not in body for line in got.text.splitlines())
        bare_leaks += sum(line not in (*body, wanted["lead"], wanted["title"]) for line in bare_text.splitlines())
        have = fields_of(got)
        right += sum(have[k] == wanted[k] for k in VIET_FIELDS)
    ratios = []
    for _ in range(RUNS):
        spent = {"ours": 0.0, "bare": 0.0}
        for page, wanted in pages:
            started = time.perf_counter()
            extract(page, wanted["url"])
            spent["ours"] += time.perf_counter() - started
            started = time.perf_counter()
            trafilatura.extract(page)
            spent["bare"] += time.perf_counter() - started
        ratios.append(spent["ours"] / spent["bare"])
    figures = {"viet_pages": len(pages), "viet_f1": round(statistics.mean(ours_f1), 4),
               "viet_bare_f1": round(statistics.mean(bare_f1), 4), "viet_leaks": leaks, "viet_bare_leaks": bare_leaks,
               "viet_fields_right": round(right / (len(pages) * len(VIET_FIELDS)), 4),
               "viet_time_ratio": round(statistics.median(ratios), 2)}
    report(f"generic path on {len(pages)} pages of six other Vietnamese news CMS families", [
        ("body token F1, generic path / bare trafilatura (target ≥ 0.98)",
         f"{figures['viet_f1']:.4f} / {figures['viet_bare_f1']:.4f}"),
        ("body lines that are not the article's, generic path / bare (target 0)", f"{leaks} / {bare_leaks}"),
        ("fields right (title, lead, section, path, tags, authors, caption; target ≥ 95%)",
         f"{figures['viet_fields_right']:.1%}"),
        (f"time per page, generic path / bare trafilatura (median of {RUNS}; target ≤ 1.2×)",
         f"{figures['viet_time_ratio']:.2f}×  ({', '.join(f'{r:.2f}' for r in ratios)})"),
    ])
    return figures


def run() -> dict[str, float]:
    quality()
    fallback()
    speed()
    return vietnamese()

