"""How fast the replica serves article pages, at 500 and at 50,000 articles."""

from __future__ import annotations

import http.client
import re
import statistics
import threading
import time
import urllib.request
from urllib.parse import urlsplit

from tests.bench.harness import median_of, replica_process, report

CLIENT_THREADS = 4
RUNS = 3


def article_paths(base: str, limit: int) -> list[str]:
    """Newest article URLs from the sitemaps, as a crawler finds them (the truth endpoint would warm caches)."""
    index = urllib.request.urlopen(base + "/sitemap.xml", timeout=60).read().decode()
    paths: list[str] = []
    for sitemap in re.findall(r"<loc>([^<]+sitemap-article-\d{4}-\d\d\.xml)</loc>", index):
        page = urllib.request.urlopen(sitemap, timeout=60).read().decode()
        paths += [urlsplit(u).path for u in re.findall(r"<loc>([^<]+)</loc>", page)]
        if len(paths) >= limit:
            break
    return paths[:limit]


def pages_per_second(base: str, paths: list[str]) -> float:
    """Fetch every path once over keep-alive connections with gzip; pages per wall-clock second."""
    host = urlsplit(base)
    chunks = [paths[i::CLIENT_THREADS] for i in range(CLIENT_THREADS)]

    def worker(chunk: list[str]) -> None:
        conn = http.client.HTTPConnection(host.hostname or "", host.port, timeout=60)
        for path in chunk:
            conn.request("GET", path, headers={"Accept-Encoding": "gzip"})
            resp = conn.getresponse()
            resp.read()
            assert resp.status == 200, (path, resp.status)
        conn.close()

    threads = [threading.Thread(target=worker, args=(c,)) for c in chunks]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return len(paths) / (time.perf_counter() - started)


def run() -> dict[str, float]:
    results: dict[str, float] = {}
    for articles in (500, 50_000):
        colds: list[float] = []
        for attempt in range(RUNS):  # a first fetch happens once per server, so each run is a new server
            with replica_process(articles) as base:
                paths = article_paths(base, 400)
                colds.append(pages_per_second(base, paths))
                if attempt == RUNS - 1:
                    warm, warms = median_of(RUNS, lambda base=base, paths=paths: pages_per_second(base, paths))
        cold = statistics.median(colds)
        results[f"{articles}_cold"], results[f"{articles}_warm"] = cold, warm
        report(f"replica: {articles:,} articles, {len(paths)} current-template article pages, gzip, "
               f"{CLIENT_THREADS} keep-alive clients", [
                   (f"first fetch (renders), median of {RUNS}", f"{cold:,.0f} pages/s  ({_runs(colds)})"),
                   (f"repeat fetch, median of {RUNS}", f"{warm:,.0f} pages/s  ({_runs(warms)})"),
               ])
    report("replica: scale", [("first fetch, 50,000 / 500", f"{results['50000_cold'] / results['500_cold']:.2f}"),
                              ("repeat fetch, 50,000 / 500", f"{results['50000_warm'] / results['500_warm']:.2f}")])
    return results


def _runs(values: list[float]) -> str:
    return ", ".join(f"{v:,.0f}" for v in values)
