"""The browser's memory, lean against stock, in one run: the same replica crawled alternately with
scrapy-playwright's own handler and Chromium flags as they were before (`stock`), and with the project's
defaults (`lean`: `crawler.browser.LeanPlaywrightHandler` and its launch flags). Peak PSS is summed over
the browser's process tree, sampled every half second: Chromium's processes with Playwright's Node.js
driver, and Chromium's alone. The text of every rendered page must be the same."""

from __future__ import annotations

import json
import statistics
import tempfile
from pathlib import Path

from sqlalchemy import select

from archive.database import Archive
from archive.models import Extraction, Fetch
from archive.vocab import Rendering
from tests.bench.crawl_report import crawl_once
from tests.bench.harness import replica_process, report

ARTICLES = 2000
ROUNDS = 3
STOCK_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
              "--disable-sync", "--no-first-run"]
VARIANTS = {
    "stock": {"DDDN_PLAYWRIGHT_HANDLER": "scrapy_playwright.handler.ScrapyPlaywrightDownloadHandler",
              "PLAYWRIGHT_LAUNCH_OPTIONS": json.dumps({"executable_path": "/usr/bin/chromium", "args": STOCK_ARGS})},
    "lean": {},
}


def rendered_fingerprints(db: str) -> dict[str, str]:
    """canonical URL -> content fingerprint of every page the browser rendered."""
    archive = Archive(db)
    try:
        with archive.transaction(write=False) as session:
            rows = session.execute(select(Fetch.canonical_url, Extraction.fingerprint)
                                   .join(Extraction, Extraction.fetch_id == Fetch.id)
                                   .where(Fetch.rendered == Rendering.BROWSER))
            return dict(rows.tuples().all())
    finally:
        archive.close()


def run() -> None:
    peaks: dict[str, list[float]] = {name: [] for name in VARIANTS}
    chromium: dict[str, list[float]] = {name: [] for name in VARIANTS}
    seconds: dict[str, list[float]] = {name: [] for name in VARIANTS}
    texts: dict[str, dict[str, str]] = {}
    rendered = 0
    mb = 2**20
    with replica_process(ARTICLES, 5) as base, tempfile.TemporaryDirectory() as tmp:
        for round_ in range(ROUNDS):
            for name, settings in VARIANTS.items():
                db = f"sqlite:///{Path(tmp) / f'{name}-{round_}.sqlite'}"
                took, samples, counts = crawl_once(base, db, **settings)
                peaks[name].append(max((s["browser"] for _, s in samples), default=0) / mb)
                chromium[name].append(max((s["chromium"] for _, s in samples), default=0) / mb)
                seconds[name].append(took)
                texts[name] = rendered_fingerprints(db)
                rendered = counts["browser_pages"]
    same = texts["stock"] == texts["lean"] and bool(texts["lean"])
    ratios = [lean / stock for lean, stock in zip(peaks["lean"], peaks["stock"], strict=True)]
    report(f"browser: {ARTICLES:,}-article replica crawled {ROUNDS}× with each setting, alternately", [
        ("pages rendered per crawl", f"{rendered:,}"),
        *((f"peak PSS, Chromium and Playwright's driver, {name} (each round)",
           " / ".join(f"{v:,.0f}" for v in peaks[name]) + " MB") for name in VARIANTS),
        *((f"peak PSS, Chromium alone, {name} (each round)",
           " / ".join(f"{v:,.0f}" for v in chromium[name]) + " MB") for name in VARIANTS),
        ("lean / stock, per round (median)", " / ".join(f"{r:.2f}" for r in ratios)
         + f" ({statistics.median(ratios):.2f})"),
        ("crawl seconds, stock / lean (medians)",
         f"{statistics.median(seconds['stock']):.0f} / {statistics.median(seconds['lean']):.0f}"),
        ("same text from every rendered page", "yes" if same else "NO"),
    ])
