"""Search and export on a 100,000-article archive synthesized with the replica's generator: query latency,
index build time and size, export rates and memory; and a million articles built straight into an index.
The archive is built once into data/bench/ and reused while the generator's text is the same; its search
index is built afresh every run."""

from __future__ import annotations

import hashlib
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from sqlalchemy import insert, select, text

from archive.database import Archive, upgrade
from archive.models import Article, Extraction, Fetch, SearchDoc, Version
from archive.search import index as search_index
from archive.search import store
from archive.search.engine import Filters, best, search
from archive.search.fold import fold, words
from archive.search.query import parse
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
    with archive.transaction() as session:
        search_index.rebuild(session)
    archive.close()
    return {"articles": n, "load_s": loaded - started, "text_bytes": text_bytes}


def index_build(url: str) -> dict[str, float]:
    """The archive's search index built afresh: seconds, bytes, and the text bytes it indexes."""
    archive = Archive(url)
    index = store.for_engine(archive.engine, archive.url)
    started = time.perf_counter()
    index.rebuild()
    seconds = time.perf_counter() - started
    with archive.transaction(write=False) as session:
        text_bytes = sum(len(((f.get("title") or "") + (f.get("lead") or "") + (f.get("text") or "")).encode())
                         for (f,) in session.execute(select(Extraction.fields).join(
                             SearchDoc, SearchDoc.extraction_id == Extraction.id)).yield_per(1000))
    archive.close()
    return {"index_s": seconds, "index_bytes": folder_bytes(index.path), "text_bytes": text_bytes}


def folder_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


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


def named_queries(count: int, seed: int = 7) -> list[tuple[str, Filters]]:
    """Names and topical phrases as researchers type them: 2–4 consecutive title words, half folded."""
    rng = random.Random(seed)
    titles = [f["title"] for f in synthesized(2_000, seed=3)]
    out: list[tuple[str, Filters]] = []
    while len(out) < count:
        title = words(rng.choice(titles))
        start = rng.randrange(max(1, len(title) - 2))
        query = " ".join(title[start:start + rng.randint(2, 4)])
        out.append((fold(query) if len(out) % 2 else query, Filters()))
    return out


def latencies(url: str, queries: list[tuple[str, Filters]]) -> dict[str, list[float]]:
    """Each query's time (ms), snippets included, as the CLI and the web page run it."""
    archive = Archive(url)
    out: dict[str, list[float]] = {"plain": [], "filtered": []}
    for query, filters in queries:
        started = time.perf_counter()
        with archive.transaction(write=False) as session:
            search(session, query, filters, limit=20)
        out["filtered" if filters.section else "plain"].append((time.perf_counter() - started) * 1000)
    archive.close()
    return out


def million(queries: list[tuple[str, Filters]], count: int = 1_000_000) -> dict[str, float]:
    """`count` articles made by recombining the paragraphs of 20,000 synthesized ones, built straight into
    an index (no archive), then the queries against it: build seconds and p95 (ms, without snippets,
    which read the archive)."""
    rng = random.Random(11)
    pool = list(synthesized(20_000, seed=3))
    paragraphs = [p for f in pool for p in f["text"].split("\n")]
    with tempfile.TemporaryDirectory(dir=FOLDER) as tmp:
        path = Path(tmp)
        started = time.perf_counter()
        writer = store.create(path).writer(heap_size=store.HEAP_BYTES, num_threads=1)
        for n in range(count):
            base = pool[n % len(pool)]
            fields = {**base, "text": "\n".join(rng.choice(paragraphs) for _ in range(12))}
            writer.add_document(store.document(SimpleNamespace(
                article_id=n + 1, fields=fields, status="live", template="current", section=base["section"],
                published=datetime.fromisoformat(base["published"]), sections_key=search_index.key(
                    base["section_path"]), authors_key=search_index.key(base["author"]),
                tags_key=search_index.key(base["tags"]))))
        writer.commit()
        writer.wait_merging_threads()
        built = time.perf_counter() - started
        index = store.SearchIndex(path, engine=None)  # an index with no archive: nothing here asks it one
        searcher = index.searcher()
        times = []
        for query, filters in queries:
            began = time.perf_counter()
            hits, _ = best(searcher, index, parse(query), filters, limit=20)  # the top 20 and the exact total
            store.article_ids(searcher, hits)
            times.append((time.perf_counter() - began) * 1000)
        return {"million_build_s": round(built, 1), "million_p95_ms": round(pct(times, 95), 2),
                "million_index_bytes": folder_bytes(path)}


# The process's own peak (VmHWM): getrusage's ru_maxrss survives exec, so it would report the bench's own.
PEAK = ("import re, runpy, sys\n"
        "sys.argv = ['archive', *sys.argv[1:]]\n"
        "try:\n    runpy.run_module('archive', run_name='__main__')\n"
        "finally:\n    print('peak_kb', re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read()).group(1),"
        " file=sys.stderr)\n")


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


def corpus_digest() -> str:
    """Names the generator's text, so that a bench archive written by an older generator is not reused."""
    replica = ROOT / "tests" / "replica"
    sources = b"".join((replica / name).read_bytes() for name in ("site.py", "vocab.py", "names.py", "prose.py"))
    return hashlib.sha256(sources).hexdigest()[:10]


def prepared_archive() -> tuple[str, dict[str, float] | None]:
    """The URL of the bench archive, built first when missing (then with the build's timings too), and
    brought up to the latest schema."""
    FOLDER.mkdir(parents=True, exist_ok=True)
    path = FOLDER / f"search-{ARTICLES}-{corpus_digest()}.sqlite"
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


def run() -> dict[str, Any]:
    url, built = prepared_archive()
    index = index_build(url)
    with Archive(url).transaction() as session:
        indexed = session.execute(text("SELECT count(*) FROM search_docs")).scalar()
    queries, named = sample_queries(QUERIES), named_queries(QUERIES)
    runs = [latencies(url, queries) for _ in range(3)]
    named_runs = [latencies(url, named) for _ in range(3)]
    figures: dict[str, Any] = {
        "articles": indexed,
        "p50_ms": round(statistics.median(pct(r["plain"] + r["filtered"], 50) for r in runs), 2),
        "p95_ms": round(statistics.median(pct(r["plain"] + r["filtered"], 95) for r in runs), 2),
        "p95_filtered_ms": round(statistics.median(pct(r["filtered"], 95) for r in runs), 2),
        "p95_named_ms": round(statistics.median(pct(r["plain"], 95) for r in named_runs), 2),
        "index_bytes_per_text_byte": round(index["index_bytes"] / index["text_bytes"], 3),
        "index_build_s": round(index["index_s"], 1),
    }
    rows = [
        ("articles indexed", f"{indexed:,}"),
        ("search latency p50, all queries (ms)", f"{figures['p50_ms']:.1f}"),
        ("search latency p95, all queries (ms)", f"{figures['p95_ms']:.1f}  (target ≤ 10)"),
        ("search latency p95, section filter (ms)", f"{figures['p95_filtered_ms']:.1f}  (target ≤ 10)"),
        ("search latency p95, names and topics from titles (ms)", f"{figures['p95_named_ms']:.1f}  (target ≤ 10)"),
        ("index build time (s)", f"{index['index_s']:.0f}"),
        ("index bytes / text bytes", f"{figures['index_bytes_per_text_byte']:.2f}  (target ≤ 0.5)"),
    ]
    if built:
        rows.append(("archive load time (s)", f"{built['load_s']:.0f}"))
    for fmt in ("jsonl", "parquet"):
        rate, count, peak = export_run(url, fmt)
        _, small_count, small_peak = export_run(url, fmt, section="Kinh tế")
        rows += [(f"export {fmt}: rows/s ({count:,} rows)", f"{rate:,.0f}"),
                 (f"export {fmt}: peak memory, {count:,} rows vs {small_count:,} rows (MB)",
                  f"{peak:.0f} vs {small_peak:.0f}  (ratio {peak / small_peak:.2f})")]
    report(f"search: {ARTICLES:,} synthesized articles, {QUERIES} queries of 1–3 words, median of 3 runs", rows)
    if os.environ.get("SEARCH_MILLION", "1") != "0":
        big = million(queries)
        figures.update({k: v for k, v in big.items() if k != "million_index_bytes"})
        report("search: 1,000,000 articles built straight into an index, the same queries", [
            ("build time (s)", f"{big['million_build_s']:.0f}"),
            ("search latency p95, without snippets (ms)", f"{big['million_p95_ms']:.1f}  (target ≤ 30)"),
            ("index size (MB)", f"{big['million_index_bytes'] / 1e6:,.0f}")])
    figures.update(run_postgres(queries))
    return figures


def run_postgres(queries: list[tuple[str, Filters]], count: int = 20_000) -> dict[str, float]:
    """PostgreSQL on a smaller archive: loading 100,000 articles into a throwaway cluster takes too long for
    every `make bench`; the latency figures still compare."""
    with postgres_server() as base:
        url = create_database(base, "bench_search")
        build(url, count)
        built = index_build(url)
        runs = [latencies(url, queries) for _ in range(3)]
    report(f"search on PostgreSQL: {count:,} synthesized articles, the same {len(queries)} queries, median of 3", [
        ("search latency p50 (ms)", f"{statistics.median(pct(r['plain'] + r['filtered'], 50) for r in runs):.1f}"),
        ("search latency p95, no filter (ms)", f"{statistics.median(pct(r['plain'], 95) for r in runs):.1f}"),
        ("search latency p95, section filter (ms)", f"{statistics.median(pct(r['filtered'], 95) for r in runs):.1f}"),
        ("index build time (s)", f"{built['index_s']:.0f}"),
    ])
    return {"postgres_p95_ms": round(statistics.median(pct(r["plain"] + r["filtered"], 95) for r in runs), 2)}
