"""Re-extraction: `archive reextract` of a candidate parser over an archive of REEXTRACT_FETCHES (20,000)
stored pages, with one and with two workers, against extraction alone in one process over the same
pages (raw bodies read from the store in both), and the memory of each run sampled through it."""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from archive import rawstore
from archive.bulk import ingest_many
from archive.database import Archive
from archive.ingest import Ingestor
from archive.parsers import load_parser
from archive.records import FetchRecord
from archive.reextract import Scope, stored_pages
from archive.urls import DEFAULT_RULES
from tests.archive.feed import record
from tests.bench.harness import replica_process, report, status_bytes, tree

FETCHES = int(os.environ.get("REEXTRACT_FETCHES", "20000"))
ROUNDS = int(os.environ.get("REEXTRACT_ROUNDS", "3"))
CANDIDATE = "tests.archive.parsers:without_editors_note"
ROOT = Path(__file__).resolve().parents[2]


def records(base: str) -> Iterator[FetchRecord]:
    """Every live article fetched twice, a month of site time apart, until FETCHES pages."""
    served = 0
    for _ in range(2):
        truth = urllib.request.urlopen(base + "/__replica__/truth", timeout=300).read().decode().splitlines()
        for line in truth:
            article = json.loads(line)
            if article["status"] == "live" and served < FETCHES:
                served += 1
                yield record(article["canonical_url"])
        urllib.request.urlopen(urllib.request.Request(base + "/__replica__/advance?hours=720", method="POST"))


def build(db_url: str) -> None:
    with replica_process(FETCHES // 2 + FETCHES // 10, 4) as base:
        archive = Archive(db_url)
        ingest_many(Ingestor(archive, DEFAULT_RULES), records(base), workers=2)
        archive.close()


def extract_only(db_url: str) -> float:
    """Pages/s of the candidate parser alone, in one process: the work `reextract` parallelises."""
    parser = load_parser(CANDIDATE)
    archive = Archive(db_url)
    with archive.transaction(write=False) as session:
        pages = stored_pages(session, Scope(), DEFAULT_RULES)
    started = time.perf_counter()
    with archive.transaction(write=False) as session:
        for page in pages:
            body = rawstore.get(session, page.sha256)
            headers = {"Content-Type": page.content_type} if page.content_type else {}
            parser(body, page.url, headers, page.fetched_at, DEFAULT_RULES)
    archive.close()
    return len(pages) / (time.perf_counter() - started)


def memory(pid: int) -> int:
    """Resident memory of the run: its own and its largest worker's."""
    own, worker = 0, 0
    for p in tree(pid):
        try:
            rss = status_bytes(Path(f"/proc/{p}/status").read_text(), "VmRSS:")
        except (FileNotFoundError, ProcessLookupError):
            continue
        if p == pid:
            own = rss
        else:
            worker = max(worker, rss)
    return own + worker


def reextract(db_url: str, workers: int) -> tuple[float, list[int], int]:
    args = [sys.executable, "-m", "archive", "--db", db_url, "reextract", "--parser", CANDIDATE,
            "--workers", str(workers), "--format", "json"]
    started = time.perf_counter()
    proc = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    samples: list[int] = []

    def sample() -> None:
        while proc.poll() is None:
            samples.append(memory(proc.pid))
            time.sleep(0.5)

    sampler = threading.Thread(target=sample)
    sampler.start()
    out, _ = proc.communicate()
    elapsed = time.perf_counter() - started
    sampler.join()
    fetches = json.loads(out.strip().splitlines()[-1])["fetches"]
    return fetches / elapsed, samples, fetches


def quartiles(samples: list[int]) -> str:
    if not samples:
        return "—"
    points = [samples[min(len(samples) - 1, len(samples) * q // 4)] for q in (1, 2, 3)] + [max(samples)]
    return " / ".join(f"{p / 2**20:,.0f}" for p in points) + " MB"


def run() -> None:
    """ROUNDS rounds of (extraction alone, 1 worker, 2 workers), interleaved so that the machine's drift
    touches all three alike; rates and ratios are medians over the rounds, memory from the median round."""
    with tempfile.TemporaryDirectory() as tmp:
        built = Path(tmp) / "built.sqlite"
        started = time.perf_counter()
        build(f"sqlite:///{built}")
        build_seconds = time.perf_counter() - started
        rounds: list[tuple[float, dict[int, tuple[float, list[int], int]]]] = []
        for _ in range(ROUNDS):
            alone = extract_only(f"sqlite:///{built}")
            runs = {}
            for workers in (1, 2):
                copy = Path(tmp) / f"w{workers}.sqlite"
                shutil.copy(built, copy)
                runs[workers] = reextract(f"sqlite:///{copy}", workers)
                copy.unlink()
            rounds.append((alone, runs))
    fetches = rounds[0][1][1][2]
    alone_rate = statistics.median(alone for alone, _ in rounds)

    def rate(workers: int) -> str:
        rates = [runs[workers][0] for _, runs in rounds]
        ratios = sorted(runs[workers][0] / alone for alone, runs in rounds)
        return (f"{statistics.median(rates):,.1f} pages/s ({statistics.median(ratios):.2f}× extraction alone; "
                f"ratios {', '.join(f'{r:.2f}' for r in ratios)})")

    middle = sorted(rounds, key=lambda r: r[1][2][0] / r[0])[len(rounds) // 2][1]
    report(f"re-extraction: a candidate parser over {fetches:,} stored pages (archive built by bulk ingest "
           f"in {build_seconds:.0f} s), median of {ROUNDS} rounds", [
        ("the candidate's extraction alone, one process (raw bodies from the store)", f"{alone_rate:,.1f} pages/s"),
        *((f"archive reextract, {n} worker{'s' if n > 1 else ''}", rate(n)) for n in (1, 2)),
        ("memory, 1 worker: at ¼ / ½ / ¾ of the run / peak", quartiles(middle[1][1])),
        ("memory, 2 workers: at ¼ / ½ / ¾ of the run / peak", quartiles(middle[2][1])),
    ])
