"""Extraction: quality against ground truth, the fallback against bare trafilatura, and speed."""

from __future__ import annotations

import statistics
import time
from pathlib import Path

import trafilatura

from archive.extract import extract
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


def run() -> None:
    quality()
    fallback()
    speed()

