"""Search and export on a 100,000-article archive synthesized with the replica's generator: query latency,
index build time and size, export rates and memory. The archive is built once into data/bench/ and
reused; delete the folder to build it again."""

from __future__ import annotations

import os
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import insert, text

from archive.database import Archive, upgrade
from archive.models import Article, Extraction, Fetch, Version
from archive.search import index as search_index
from archive.search.engine import Filters, search
from archive.search.fold import fold, words
from tests.bench.harness import report
from tests.replica.site import Site
from tests.services import create_database, postgres_server

ROOT = Path(__file__).parents[2]
FOLDER = ROOT / "data" / "bench"
ARTICLES = int(os.environ.get("SEARCH_ARTICLES", "100000"))  # the size of the bench archive
QUERIES = 200
CHUNK = 2_000


def synthesized(count: int, seed: int = 3) -> Iterator[dict[str, Any]]:
    """Extraction fields for `count` articles of the replica's generator, without rendering HTML."""
    site = Site(articles=int(count * 1.03) + 50, seed=seed)
    for meta in site.visible()[:count]:
        content = site.content(meta)
        lines = []
        for block in content["blocks"]:
            if block["type"] in ("p", "h2", "quote"):
                lines.append(block["text"])
            elif block["type"] == "list":
                lines += block["items"]
            elif block["type"] == "table":
                lines += [" | ".join(row) for row in block["rows"]]
        url = f"https://diendandoanhnghiep.vn/{meta.slug or 'bai'}-{meta.id}.html"
        yield {"url": url, "canonical_url": url, "site_id": meta.id, "title": content["title"],
               "lead": content["lead"], "text": "\n".join(lines), "author": content["authors"],
               "published": meta.published.isoformat(), "updated": meta.published.isoformat(),
               "section": meta.section.name, "section_path": [s.name for s in meta.section.trail],
               "tags": content["tags"], "template": "current", "flags": [], "fingerprint": f"{meta.id:064d}"}


def build(url: str, count: int) -> dict[str, float]:
    """Loads `count` synthesized articles (one version each), then builds the search index; timings."""
    archive = Archive(url)
    started, text_bytes, n = time.perf_counter(), 0, 0
    batch: list[dict[str, Any]] = []

    def flush() -> None:
        if not batch:
            return
        with archive.transaction() as session:
            seen = datetime.now(UTC)
            base = n - len(batch)
            session.execute(insert(Article), [
                {"id": base + i + 1, "canonical_url": f["canonical_url"], "site_id": f["site_id"], "first_seen": seen,
                 "last_seen": seen, "status": "live"} for i, f in enumerate(batch)])
            session.execute(insert(Fetch), [
                {"id": base + i + 1, "key": f"{base + i + 1:064d}", "requested_url": f["url"], "final_url": f["url"],
                 "canonical_url": f["url"], "status": 200, "fetched_at": seen, "rendered": "http", "source": "crawl",
                 "article_id": base + i + 1} for i, f in enumerate(batch)])
            session.execute(insert(Extraction), [
                {"id": base + i + 1, "fetch_id": base + i + 1, "parser_version": "bench", "ok": True,
                 "fingerprint": f["fingerprint"], "flags": [], "fields": f} for i, f in enumerate(batch)])
            session.execute(insert(Version), [
                {"article_id": base + i + 1, "number": 1, "extraction_id": base + i + 1,
                 "fingerprint": f["fingerprint"], "seen_at": seen, "title": f["title"],
                 "published": datetime.fromisoformat(f["published"])}
                for i, f in enumerate(batch)])
        batch.clear()

    for fields in synthesized(count):
        batch.append(fields)
        n += 1
        text_bytes += len((fields["title"] + fields["lead"] + fields["text"]).encode())
        if len(batch) >= CHUNK:
            flush()
    flush()
    loaded = time.perf_counter()
    size_before = _size(archive)
    started_index = time.perf_counter()
    with archive.transaction() as session:
        search_index.rebuild(session)
    indexed = time.perf_counter()
    size_after = _size(archive)
    fts = _fts_size(archive)
    archive.close()
    return {"articles": n, "load_s": loaded - started, "index_s": indexed - started_index, "text_bytes": text_bytes,
            "index_bytes": size_after - size_before, "fts_bytes": fts}


def _size(archive: Archive) -> int:
    """The database's size once compacted: what its data takes, free pages left out."""
    if archive.dialect == "sqlite":
        archive.engine.dispose()
        with sqlite3.connect(str(archive.engine.url.database), isolation_level=None) as conn:  # VACUUM needs autocommit
            conn.execute("VACUUM")
            return int(conn.execute("SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()")
                       .fetchone()[0])
    with archive.engine.connect() as conn:
        return int(conn.execute(text("SELECT pg_database_size(current_database())")).scalar() or 0)


def _fts_size(archive: Archive) -> int:
    """The full-text index alone (FTS5's shadow tables), without the filter table beside it."""
    if archive.dialect != "sqlite":
        return 0
    with sqlite3.connect(str(archive.engine.url.database)) as conn:
        return int(conn.execute("SELECT sum(pgsize) FROM dbstat WHERE name LIKE 'search_fts%'").fetchone()[0] or 0)


def sample_queries(count: int, seed: int = 5) -> list[tuple[str, Filters]]:
    """1–3 word queries taken from the corpus, half typed without diacritics; every other one filtered."""
    rng = random.Random(seed)
    fields = list(synthesized(2_000, seed=3))
    sections = sorted({f["section_path"][0] for f in fields})
    out: list[tuple[str, Filters]] = []
    while len(out) < count:
        body = words(rng.choice(fields)["text"])
        start = rng.randrange(max(1, len(body) - 3))
        query = " ".join(body[start:start + rng.randint(1, 3)])
        if len(out) % 4 >= 2:
            query = fold(query)
        filters = Filters(section=rng.choice(sections)) if len(out) % 2 else Filters()
        out.append((query, filters))
    return out


def latencies(url: str, queries: list[tuple[str, Filters]]) -> dict[str, list[float]]:
    archive = Archive(url)
    out: dict[str, list[float]] = {"plain": [], "filtered": []}
    for query, filters in queries:
        started = time.perf_counter()
        with archive.transaction(write=False) as session:
            search(session, query, filters, limit=20)
        out["filtered" if filters.section else "plain"].append((time.perf_counter() - started) * 1000)
    archive.close()
    return out


PEAK = ("import resource, runpy, sys\n"
        "sys.argv = ['archive', *sys.argv[1:]]\n"
        "try:\n    runpy.run_module('archive', run_name='__main__')\n"
        "finally:\n    print('peak_kb', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)\n")


def export_run(url: str, fmt: str, section: str | None = None) -> tuple[float, int, float]:
    """An `archive export` process: rows per second, rows, and the process's own peak memory in MB."""
    with tempfile.TemporaryDirectory() as tmp:
        args = [sys.executable, "-c", PEAK, "--db", url, "export", "--format", fmt, "-o", str(Path(tmp) / "out")]
        started = time.perf_counter()
        done = subprocess.run(args + (["--section", section] if section else []), capture_output=True, text=True)
        elapsed = time.perf_counter() - started
    lines = done.stderr.strip().splitlines()
    rows = int(next(line for line in lines if line.startswith("exported")).split()[1].replace(",", ""))
    peak = int(next(line for line in lines if line.startswith("peak_kb")).split()[1])
    return rows / elapsed, rows, peak / 1024


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] if len(values) > 1 else values[0]


def prepared_archive() -> tuple[str, dict[str, float] | None]:
    """The URL of the bench archive, built first when missing (then with the build's timings too), and
    brought up to the latest schema."""
    FOLDER.mkdir(parents=True, exist_ok=True)
    path = FOLDER / f"search-{ARTICLES}.sqlite"
    url = f"sqlite:///{path}"
    built: dict[str, float] | None = None
    if not path.exists():
        partial = FOLDER / "building.sqlite"
        for leftover in FOLDER.glob("building.sqlite*"):
            leftover.unlink()
        built = build(f"sqlite:///{partial}", ARTICLES)
        partial.replace(path)
        for leftover in FOLDER.glob("building.sqlite*"):
            leftover.unlink()
    archive = Archive(url, migrate=False)  # an archive built by an older checkout gains the later migrations
    upgrade(archive.engine)
    archive.close()
    return url, built


def run() -> None:
    url, built = prepared_archive()
    with Archive(url).transaction() as session:
        indexed = session.execute(text("SELECT count(*) FROM search_docs")).scalar()
    queries = sample_queries(QUERIES)
    runs = [latencies(url, queries) for _ in range(3)]
    plain = statistics.median(pct(r["plain"], 95) for r in runs)
    filtered = statistics.median(pct(r["filtered"], 95) for r in runs)
    p50 = statistics.median(pct(r["plain"] + r["filtered"], 50) for r in runs)
    rows = [
        ("articles indexed", f"{indexed:,}"),
        ("search latency p50, all queries (ms)", f"{p50:.1f}"),
        ("search latency p95, no filter (ms)", f"{plain:.1f}  (target ≤ 30)"),
        ("search latency p95, section filter (ms)", f"{filtered:.1f}  (target ≤ 30)"),
    ]
    if built:
        rows += [("load time (s)", f"{built['load_s']:.0f}"), ("index build time (s)", f"{built['index_s']:.0f}"),
                 ("index bytes per article", f"{built['index_bytes'] / built['articles']:,.0f}"),
                 ("index bytes / text bytes", f"{built['index_bytes'] / built['text_bytes']:.2f}  (target ≤ 1.0)"),
                 ("of which the FTS5 index alone / text bytes", f"{built['fts_bytes'] / built['text_bytes']:.2f}")]
    else:
        rows.append(("index build", f"measured when the archive is built: delete {FOLDER} to measure again"))
    for fmt in ("jsonl", "parquet"):
        rate, count, peak = export_run(url, fmt)
        _, small_count, small_peak = export_run(url, fmt, section="Kinh tế")
        rows += [(f"export {fmt}: rows/s ({count:,} rows)", f"{rate:,.0f}"),
                 (f"export {fmt}: peak memory, {count:,} rows vs {small_count:,} rows (MB)",
                  f"{peak:.0f} vs {small_peak:.0f}  (ratio {peak / small_peak:.2f})")]
    report(f"search: {ARTICLES:,} synthesized articles, {QUERIES} queries of 1–3 words, median of 3 runs", rows)
    run_postgres(queries)


def run_postgres(queries: list[tuple[str, Filters]], count: int = 20_000) -> None:
    """PostgreSQL on a smaller archive: loading 100,000 articles into a throwaway cluster takes too long for
    every `make bench`; the latency figures still compare."""
    with postgres_server() as base:
        url = create_database(base, "bench_search")
        built = build(url, count)
        runs = [latencies(url, queries) for _ in range(3)]
    report(f"search on PostgreSQL: {count:,} synthesized articles, the same {len(queries)} queries, median of 3", [
        ("search latency p50 (ms)", f"{statistics.median(pct(r['plain'] + r['filtered'], 50) for r in runs):.1f}"),
        ("search latency p95, no filter (ms)", f"{statistics.median(pct(r['plain'], 95) for r in runs):.1f}"),
        ("search latency p95, section filter (ms)", f"{statistics.median(pct(r['filtered'], 95) for r in runs):.1f}"),
        ("index build time (s)", f"{built['index_s']:.0f}"),
    ])
