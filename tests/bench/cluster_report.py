"""Scale-out: pages per second of one crawl shared by 1, 2 and 3 processes (Redis frontier, PostgreSQL
archive) against the replica with politeness off, and what Redis and PostgreSQL cost a page against one
process writing SQLite."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from tests.bench.harness import replica_process, report
from tests.crawler.harness import FAST, ROOT, last_run
from tests.services import create_database, postgres_server, redis_server

ARTICLES = int(os.environ.get("CLUSTER_ARTICLES", "400"))
RUNS = 3
SETTINGS = {**FAST, "DDDN_INGEST_WORKERS": "1", "CONCURRENT_REQUESTS": "16", "DDDN_FRONTIER_TIMEOUT": "10",
            "LOG_LEVEL": "WARNING"}


def crawl(base: str, db: str, processes: int, frontier: str | None) -> float:
    """Pages per second of one crawl by `processes` processes, start to the last exit."""
    alias = f"{base.split('//')[1].replace('127.0.0.1', 'localhost')}={base.split('//')[1]}"
    settings = {**SETTINGS, "DDDN_BASE_URL": base, "DDDN_HOST_ALIASES": alias, "ARCHIVE_DB_URL": db,
                **({"DDDN_FRONTIER": frontier} if frontier else {})}
    args = [sys.executable, "-m", "scrapy", "crawl", "dddn",
            *(arg for name, value in settings.items() for arg in ("-s", f"{name}={value}"))]
    started = time.perf_counter()
    procs = []
    for _ in range(processes):
        procs.append(subprocess.Popen(args, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    codes = [p.wait() for p in procs]
    elapsed = time.perf_counter() - started
    if codes != [0] * processes:
        raise RuntimeError(f"crawl exit codes {codes}")
    return int(last_run(db).counts["pages"]) / elapsed


def median_rate(make_db: Callable[[int], str], base: str, processes: int, frontier: str | None) -> float:
    return statistics.median(crawl(base, make_db(n), processes, frontier) for n in range(RUNS))


def run() -> None:
    names = iter(range(10_000))
    with tempfile.TemporaryDirectory() as tmp, replica_process(ARTICLES) as base, postgres_server() as server, \
            redis_server() as frontier:
        def sqlite(_: int) -> str:
            return f"sqlite:///{Path(tmp) / f'a{next(names)}.sqlite'}"

        def postgres(_: int) -> str:
            url = create_database(server, f"cluster_{next(names)}")
            subprocess.run([sys.executable, "-m", "archive", "--db", url, "db", "upgrade"], check=True,
                           capture_output=True)
            return url

        rates = {"sqlite": median_rate(sqlite, base, 1, None), "postgres": median_rate(postgres, base, 1, None)}
        for n in (1, 2, 3):
            rates[f"frontier {n}"] = median_rate(postgres, base, n, frontier)
    single = rates["sqlite"]
    rows = [("1 process, SQLite, no frontier (pages/s)", f"{single:.1f}"),
            ("1 process, PostgreSQL, no frontier", f"{rates['postgres']:.1f}  ({rates['postgres'] / single:.2f}×)")]
    rows += [(f"{n} process{'es' if n > 1 else ''}, Redis frontier, PostgreSQL",
              f"{rates[f'frontier {n}']:.1f}  ({rates[f'frontier {n}'] / single:.2f}× SQLite, "
              f"{rates[f'frontier {n}'] / rates['frontier 1']:.2f}× one frontier process)") for n in (1, 2, 3)]
    rows.append(("cost a page of PostgreSQL / of Redis + PostgreSQL, against SQLite",
                 f"{single / rates['postgres']:.2f}× / {single / rates['frontier 1']:.2f}× the time"))
    report(f"cluster: a {ARTICLES}-article replica, politeness off, median of {RUNS} crawls each", rows)
