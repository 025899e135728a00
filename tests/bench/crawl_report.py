"""The crawler at scale: a 5,000-article replica with politeness off, the whole pipeline (fetch,
extract, store) against extraction alone, and the memory the crawl holds as it grows."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from archive.extract import extract
from tests.bench.harness import replica_process, report
from tests.crawler.harness import ROOT, last_run

ARTICLES = 5000
SAMPLE = 400


def tree(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        current = todo.pop()
        out.append(current)
        try:
            for task in Path(f"/proc/{current}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError):
            continue
    return out


def rss_by_role(pid: int) -> dict[str, int]:
    """Resident memory of the crawl's processes, in bytes: the Scrapy process, the ingest workers
    (the largest one), and the browser (Playwright's driver and Chromium)."""
    roles = {"scrapy": 0, "ingest worker": 0, "browser": 0}
    for p in tree(pid):
        try:
            status = Path(f"/proc/{p}/status").read_text()
            cmd = Path(f"/proc/{p}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except (FileNotFoundError, ProcessLookupError):
            continue
        rss = int(next((line.split()[1] for line in status.splitlines() if line.startswith("VmRSS:")), "0")) * 1024
        if p == pid:
            roles["scrapy"] = rss
        elif "chromium" in cmd or "playwright" in cmd:
            roles["browser"] += rss
        elif "forkserver" in cmd:
            roles["ingest worker"] = max(roles["ingest worker"], rss)
    return roles


def crawl_once(base: str, db: str) -> tuple[float, list[tuple[float, dict[str, int]]], int]:
    args = [sys.executable, "-m", "scrapy", "crawl", "dddn", "-s", f"DDDN_BASE_URL={base}",
            "-s", f"ARCHIVE_DB_URL={db}", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY=0",
            "-s", "CONCURRENT_REQUESTS=32", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=32", "-s", "DDDN_PROGRESS=False",
            "-s", "LOG_LEVEL=WARNING"]
    started = time.perf_counter()
    proc = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    samples: list[tuple[float, dict[str, int]]] = []

    def sample() -> None:
        while proc.poll() is None:
            samples.append((time.perf_counter() - started, rss_by_role(proc.pid)))
            time.sleep(0.5)

    sampler = threading.Thread(target=sample)
    sampler.start()
    _, err = proc.communicate()
    sampler.join()
    if proc.returncode != 0:
        raise RuntimeError(f"crawl failed ({proc.returncode}): {err.decode()[-2000:]}")
    return time.perf_counter() - started, samples, last_run(db).counts["article_pages"]


def extract_only(base: str) -> float:
    urls = []
    for line in urllib.request.urlopen(base + "/sitemap-article-daily.xml").read().decode().split("<loc>")[1:]:
        urls.append(line.split("</loc>")[0])
    pages = [(urllib.request.urlopen(u).read(), u) for u in urls[:SAMPLE]]
    started = time.perf_counter()
    for body, url in pages:
        extract(body, url)
    return len(pages) / (time.perf_counter() - started)


def run() -> None:
    with replica_process(ARTICLES, 5) as base:
        single = extract_only(base)
        with tempfile.TemporaryDirectory() as tmp:
            seconds, samples, pages = crawl_once(base, f"sqlite:///{Path(tmp) / 'bench.sqlite'}")
    rate = pages / seconds

    def peaks(role: str) -> list[int]:
        return [max([r[role] for t, r in samples if t <= q * seconds] or [0]) for q in (0.25, 0.5, 0.75, 1.0)]

    mb = 2**20
    report(f"crawl: {ARTICLES:,}-article replica, politeness off, one run into a fresh SQLite archive", [
        ("article pages archived", f"{pages:,} in {seconds:.0f} s"),
        ("full pipeline (fetch, extract, store)", f"{rate:,.0f} article pages/s"),
        ("extraction alone, one process, same site", f"{single:,.0f} pages/s"),
        ("ratio", f"{rate / single:.2f}"),
        *[(f"peak RSS, {role}, by quarter of the run", " / ".join(f"{v / mb:,.0f}" for v in peaks(role)) + " MB")
          for role in ("scrapy", "ingest worker", "browser")],
    ])
