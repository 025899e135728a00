"""The archive: raw-store size against raw HTML, the cost of re-fetching unchanged pages, and the ingest
rate one fetch at a time against the bulk path (two processes preparing, one writer batching), with the
writer alone on prepared fetches as the ceiling, set-wise and by the one-at-a-time path; SQLite and
PostgreSQL, in one run."""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from archive.bulk import ingest_many
from archive.database import Archive
from archive.ingest import Ingestor
from archive.queries import stats
from archive.records import FetchRecord
from archive.urls import UrlRules
from archive.verify import verify
from tests.archive.feed import record
from tests.bench.harness import report
from tests.extract_eval import replica_rules
from tests.replica import Replica
from tests.services import create_database, postgres_server

RUNS = 3
WORKERS = 2
WARM_UP = 100


def one_at_a_time(ingestor: Ingestor, records: list[FetchRecord]) -> None:
    for rec in records:
        ingestor.ingest(rec)


def bulk(ingestor: Ingestor, records: list[FetchRecord]) -> None:
    ingest_many(ingestor, records, WORKERS)


def writer_alone(ingestor: Ingestor, records: list[FetchRecord]) -> float:
    """Fetches per second the writer takes when everything else was done beforehand: past the archive's
    first pages (its compression dictionary trained on them, as in any archive but a new one), the
    others prepared, then written in batches."""
    for rec in records[:WARM_UP]:
        ingestor.ingest(rec)
    prepared = [ingestor.prepare(rec) for rec in records[WARM_UP:]]
    started = time.perf_counter()
    for i in range(0, len(prepared), 50):
        ingestor.write(prepared[i:i + 50])
    return len(prepared) / (time.perf_counter() - started)


def rates(make_url: Callable[[str], str], records: list[FetchRecord], rules: UrlRules) -> dict[str, float]:
    out = {}
    for name, path in (("one", one_at_a_time), ("bulk", bulk)):
        arch = Archive(make_url(name))
        started = time.perf_counter()
        path(Ingestor(arch, rules), records)
        out[name] = len(records) / (time.perf_counter() - started)
        if name == "bulk":  # the fixity audit of what was just built, all of it
            started = time.perf_counter()
            audit = verify(arch)
            assert audit.ok, audit.problems[:3]
            out["verify"] = audit.checked["bodies"] / (time.perf_counter() - started)
        arch.close()
    for name, set_wise in (("writer", True), ("writer_one", False)):
        arch = Archive(make_url(name))
        out[name] = writer_alone(Ingestor(arch, rules, set_wise=set_wise), records)
        arch.close()
    return out


def sizes(url: str, records: list[FetchRecord], rules: UrlRules) -> tuple[dict[str, int], dict[str, int]]:
    arch = Archive(url)
    ingestor = Ingestor(arch, rules)
    one_at_a_time(ingestor, records)
    with arch.transaction(write=False) as s:
        first = stats(s).as_dict()
    one_at_a_time(ingestor, [replace(r, fetched_at=r.fetched_at + timedelta(hours=1)) for r in records])
    with arch.transaction(write=False) as s:
        second = stats(s).as_dict()
    arch.close()
    return first, second


def median(runs: list[dict[str, float]], key: str, unit: str = "fetches/s") -> str:
    values = [r[key] for r in runs]
    return f"{statistics.median(values):,.0f} {unit}  ({', '.join(f'{v:.0f}' for v in values)})"


def ratio(runs: list[dict[str, float]], over: str = "bulk", under: str = "one") -> str:
    values = [r[over] / r[under] for r in runs]
    return f"{statistics.median(values):.2f}×  ({', '.join(f'{v:.2f}' for v in values)})"


def run() -> dict[str, float]:
    with Replica(articles=800, seed=2) as rep:
        urls = [t["canonical_url"] for t in rep.truth() if t["status"] == "live"][:600]
        records = [record(u) for u in urls]
        rules = replica_rules(rep)
    with tempfile.TemporaryDirectory() as tmp:
        first, second = sizes(f"sqlite:///{Path(tmp) / 'sizes.sqlite'}", records, rules)
    sqlite_runs, pg_runs = [], []
    for _ in range(RUNS):
        with tempfile.TemporaryDirectory() as tmp:
            sqlite_runs.append(rates(lambda name: f"sqlite:///{Path(tmp) / f'{name}.sqlite'}", records, rules))
    with postgres_server() as base:
        for n in range(RUNS):
            pg_runs.append(rates(lambda name, n=n: create_database(base, f"bench_{name}_{n}"), records, rules))
    report(f"archive: {len(records)} replica pages ingested (extract + store + version + index), median of {RUNS}", [
        ("raw HTML bytes", f"{first['raw_bytes']:,}"),
        ("stored bytes (zstd, dictionary trained on the site)", f"{first['stored_bytes']:,}"),
        ("stored / raw", f"{first['stored_bytes'] / first['raw_bytes']:.1%}"),
        ("body bytes added by re-fetching every page unchanged", f"{second['stored_bytes'] - first['stored_bytes']:,}"),
        ("versions added by that re-fetch", f"{second['versions'] - first['versions']}"),
        ("SQLite, one fetch at a time (extract + write, one process)", median(sqlite_runs, "one")),
        (f"SQLite, bulk ({WORKERS} processes prepare, one writer batches)", median(sqlite_runs, "bulk")),
        ("SQLite, bulk / one at a time", ratio(sqlite_runs)),
        (f"SQLite, the writer alone on prepared fetches (after the first {WARM_UP})", median(sqlite_runs, "writer")),
        ("SQLite, the writer alone, every fetch by the one-at-a-time path", median(sqlite_runs, "writer_one")),
        ("SQLite, writer set-wise / one at a time", ratio(sqlite_runs, "writer", "writer_one")),
        ("PostgreSQL, one fetch at a time", median(pg_runs, "one")),
        (f"PostgreSQL, bulk ({WORKERS} processes)", median(pg_runs, "bulk")),
        ("PostgreSQL, bulk / one at a time", ratio(pg_runs)),
        ("PostgreSQL, the writer alone", median(pg_runs, "writer")),
        ("PostgreSQL, the writer alone, one-at-a-time path", median(pg_runs, "writer_one")),
        ("PostgreSQL, writer set-wise / one at a time", ratio(pg_runs, "writer", "writer_one")),
        ("SQLite, archive verify of the bulk archive (every check; target 2,000)",
         median(sqlite_runs, "verify", "bodies/s")),
        ("PostgreSQL, archive verify of the bulk archive", median(pg_runs, "verify", "bodies/s")),
    ])

    def middle(runs: list[dict[str, float]], key: str) -> float:
        return round(statistics.median(r[key] for r in runs), 1)

    return {"fetches": len(records), "stored_over_raw": round(first["stored_bytes"] / first["raw_bytes"], 4),
            "ingest_fetches_per_s": middle(sqlite_runs, "bulk"), "writer_fetches_per_s": middle(sqlite_runs, "writer"),
            "verify_bodies_per_s": middle(sqlite_runs, "verify"),
            "postgres_verify_bodies_per_s": middle(pg_runs, "verify")}
