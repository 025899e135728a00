"""The crawler at scale: a 5,000-article replica with politeness off. The whole pipeline (fetch,
extract, store, and the browser where a page needs it) against the same spider with no item pipeline
and plain HTTP for every page, the ceiling of this machine, with the two halves between; against
extraction alone; and the memory the crawl holds as it grows."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from archive.extract import extract
from tests.bench.harness import replica_process, report, status_bytes, tree
from tests.crawler.harness import ROOT, last_run

ARTICLES = 5000
SAMPLE = 400


def memory_by_role(pid: int) -> dict[str, int]:
    """Memory of the crawl's processes, in bytes: resident memory of the Scrapy process and of the
    largest ingest worker; for the browser (Playwright's driver and every Chromium process) the sum of
    PSS, which counts a page shared by N processes as 1/N in each, and, for comparison, the sum of RSS,
    which counts it N times; and the PSS of Chromium's process tree alone, without the driver (a Node.js
    process of ≈120 MB, half of it Node's own executable)."""
    roles = {"scrapy": 0, "ingest worker": 0, "browser": 0, "browser RSS sum": 0, "chromium": 0}
    for p in tree(pid):
        try:
            status = Path(f"/proc/{p}/status").read_text()
            cmd = Path(f"/proc/{p}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            rollup = Path(f"/proc/{p}/smaps_rollup").read_text() if "chrom" in cmd or "playwright" in cmd else ""
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
        rss = status_bytes(status, "VmRSS:")
        if p == pid:
            roles["scrapy"] = rss
        elif rollup:
            roles["browser"] += status_bytes(rollup, "Pss:")
            if "run-driver" not in cmd:
                roles["chromium"] += status_bytes(rollup, "Pss:")
            roles["browser RSS sum"] += rss
        elif "forkserver" in cmd:
            roles["ingest worker"] = max(roles["ingest worker"], rss)
    return roles


def crawl_once(base: str, db: str, **settings: str) -> tuple[float, list[tuple[float, dict[str, int]]], dict[str, int]]:
    args = [sys.executable, "-m", "scrapy", "crawl", "dddn", "-s", f"DDDN_BASE_URL={base}",
            "-s", f"ARCHIVE_DB_URL={db}", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY=0",
            "-s", "CONCURRENT_REQUESTS=32", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=32", "-s", "DDDN_PROGRESS=False",
            "-s", "LOG_LEVEL=WARNING", *(arg for name, value in settings.items() for arg in ("-s", f"{name}={value}"))]
    started = time.perf_counter()
    proc = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    samples: list[tuple[float, dict[str, int]]] = []

    def sample() -> None:
        while proc.poll() is None:
            samples.append((time.perf_counter() - started, memory_by_role(proc.pid)))
            time.sleep(0.5)

    sampler = threading.Thread(target=sample)
    sampler.start()
    _, err = proc.communicate()
    sampler.join()
    if proc.returncode != 0:
        raise RuntimeError(f"crawl failed ({proc.returncode}): {err.decode()[-2000:]}")
    return time.perf_counter() - started, samples, last_run(db).counts


def extract_only(base: str) -> float:
    urls = []
    for line in urllib.request.urlopen(base + "/sitemap-article-daily.xml").read().decode().split("<loc>")[1:]:
        urls.append(line.split("</loc>")[0])
    pages = [(urllib.request.urlopen(u).read(), u) for u in urls[:SAMPLE]]
    started = time.perf_counter()
    for body, url in pages:
        extract(body, url)
    return len(pages) / (time.perf_counter() - started)


# The four crawls of a round: what each adds to a plain fetch of the same site.
VARIANTS = {
    "plain fetch": {"ITEM_PIPELINES": "{}", "DDDN_BROWSER": "False"},
    "plain fetch, with the browser": {"ITEM_PIPELINES": "{}"},
    "full pipeline, no browser": {"DDDN_BROWSER": "False"},
    "full pipeline": {},
}
ROUNDS = int(os.environ.get("CRAWL_ROUNDS", "3"))


def run() -> None:
    """ROUNDS rounds of the four crawls, each into a fresh archive, interleaved so that the machine's
    drift touches all alike: wall times and the ratio are medians over the rounds; pages, counts and
    memory are the full crawl's of the median round."""
    rounds: list[dict[str, tuple[float, list[tuple[float, dict[str, int]]], dict[str, int]]]] = []
    with replica_process(ARTICLES, 5) as base:
        single = extract_only(base)
        with tempfile.TemporaryDirectory() as tmp:
            for number in range(ROUNDS):
                rounds.append({name: crawl_once(base, f"sqlite:///{Path(tmp) / f'{number}-{index}.sqlite'}",
                                                **settings)
                               for index, (name, settings) in enumerate(VARIANTS.items())})
    ratios = sorted(r["plain fetch"][0] / r["full pipeline"][0] for r in rounds)
    seconds, samples, counts = sorted(rounds, key=lambda r: r["plain fetch"][0] / r["full pipeline"][0]
                                      )[len(rounds) // 2]["full pipeline"]
    pages, browser_pages = counts["article_pages"], counts["browser_pages"]
    rate = pages / seconds

    def peaks(role: str) -> list[int]:
        return [max([r[role] for t, r in samples if t <= q * seconds] or [0]) for q in (0.25, 0.5, 0.75, 1.0)]

    mb = 2**20
    report(f"crawl: {ARTICLES:,}-article replica, politeness off, each crawl into a fresh SQLite archive, "
           f"median of {ROUNDS} rounds", [
        *((f"wall time, {name}", f"{statistics.median(r[name][0] for r in rounds):.0f} s")
          for name in VARIANTS),
        ("plain fetch / full pipeline (target ≥ 0.5)",
         f"{statistics.median(ratios):.2f} (rounds: {', '.join(f'{x:.2f}' for x in ratios)})"),
        ("article pages archived (full pipeline)", f"{pages:,} in {seconds:.0f} s"),
        ("full pipeline (fetch, extract, store)", f"{rate:,.0f} article pages/s"),
        ("extraction alone, one process, same site", f"{single:,.0f} pages/s"),
        ("full pipeline / extraction alone", f"{rate / single:.2f}"),
        *[(f"peak {'RSS' if role in ('scrapy', 'ingest worker', 'browser RSS sum') else 'PSS'}, {role}, "
           "by quarter of the run", " / ".join(f"{v / mb:,.0f}" for v in peaks(role)) + " MB")
          for role in ("scrapy", "ingest worker", "browser", "chromium", "browser RSS sum")],
        ("browser pages rendered", f"{browser_pages:,}"),
    ])
