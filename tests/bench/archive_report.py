"""The archive: raw-store size against raw HTML, the cost of re-fetching unchanged pages, ingest rate."""

from __future__ import annotations

import statistics
import tempfile
import time
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from archive.database import Archive
from archive.ingest import FetchRecord, Ingestor
from archive.queries import stats
from tests.archive.feed import record
from tests.bench.harness import report
from tests.extract_eval import replica_rules
from tests.replica import Replica
from tests.services import create_database, postgres_server

RUNS = 3


def ingest_rate(url: str, records: list[FetchRecord], rules: object) -> tuple[float, dict[str, int], dict[str, int]]:
    arch = Archive(url)
    ingestor = Ingestor(arch, rules)  # type: ignore[arg-type]
    started = time.perf_counter()
    for rec in records:
        ingestor.ingest(rec)
    rate = len(records) / (time.perf_counter() - started)
    with arch.transaction(write=False) as s:
        first = stats(s).as_dict()
    for rec in records:  # the same pages fetched again an hour later
        ingestor.ingest(replace(rec, fetched_at=rec.fetched_at + timedelta(hours=1)))
    with arch.transaction(write=False) as s:
        second = stats(s).as_dict()
    arch.close()
    return rate, first, second


def run() -> None:
    with Replica(articles=800, seed=2) as rep:
        urls = [t["canonical_url"] for t in rep.truth() if t["status"] == "live"][:600]
        records = [record(u) for u in urls]
        rules = replica_rules(rep)
    rates, pg_rates = [], []
    for _ in range(RUNS):
        with tempfile.TemporaryDirectory() as tmp:
            rate, first, second = ingest_rate(f"sqlite:///{Path(tmp) / 'bench.sqlite'}", records, rules)
            rates.append(rate)
    with postgres_server() as base:
        for n in range(RUNS):
            pg_rates.append(ingest_rate(create_database(base, f"bench_{n}"), records, rules)[0])
    report(f"archive: {len(records)} replica pages ingested (extract + store + version), median of {RUNS}", [
        ("raw HTML bytes", f"{first['raw_bytes']:,}"),
        ("stored bytes (zstd, dictionary trained on the site)", f"{first['stored_bytes']:,}"),
        ("stored / raw", f"{first['stored_bytes'] / first['raw_bytes']:.1%}"),
        ("body bytes added by re-fetching every page unchanged", f"{second['stored_bytes'] - first['stored_bytes']:,}"),
        ("versions added by that re-fetch", f"{second['versions'] - first['versions']}"),
        ("ingest rate, SQLite", f"{statistics.median(rates):,.0f} fetches/s  ({', '.join(f'{r:.0f}' for r in rates)})"),
        ("ingest rate, PostgreSQL", f"{statistics.median(pg_rates):,.0f} fetches/s  "
                                    f"({', '.join(f'{r:.0f}' for r in pg_rates)})"),
    ])
