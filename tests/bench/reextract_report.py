"""Re-extraction: `archive reextract` of a candidate parser over an archive of REEXTRACT_FETCHES (20,000)
stored pages, with one and with two workers, against extraction alone in one process over the same
pages (raw bodies read from the store in both), and the memory of each run sampled through it."""

from __future__ import annotations

import json
import os
import shutil
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
from archive.extract import extract
from archive.ingest import Ingestor
from archive.records import FetchRecord
from archive.reextract import Scope, stored_pages
from archive.urls import DEFAULT_RULES
from tests.archive.feed import record
from tests.bench.crawl_report import _kib, tree
from tests.bench.harness import replica_process, report

FETCHES = int(os.environ.get("REEXTRACT_FETCHES", "20000"))
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
    archive = Archive(db_url)
    with archive.transaction(write=False) as session:
        pages = stored_pages(session, Scope(), DEFAULT_RULES)
    started = time.perf_counter()
    with archive.transaction(write=False) as session:
        for page in pages:
            body = rawstore.get(session, page.sha256)
            headers = {"Content-Type": page.content_type} if page.content_type else {}
            extract(body, page.url, headers, page.fetched_at, DEFAULT_RULES)
    archive.close()
    return len(pages) / (time.perf_counter() - started)


def memory(pid: int) -> int:
    """Resident memory of the run: its own and its largest worker's."""
    own, worker = 0, 0
    for p in tree(pid):
        try:
            rss = _kib(Path(f"/proc/{p}/status").read_text(), "VmRSS:")
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
    with tempfile.TemporaryDirectory() as tmp:
        built = Path(tmp) / "built.sqlite"
        started = time.perf_counter()
        build(f"sqlite:///{built}")
        build_seconds = time.perf_counter() - started
        alone = extract_only(f"sqlite:///{built}")
        results = {}
        for workers in (1, 2):
            copy = Path(tmp) / f"w{workers}.sqlite"
            shutil.copy(built, copy)
            results[workers] = reextract(f"sqlite:///{copy}", workers)
            copy.unlink()
    fetches = results[1][2]
    report(f"re-extraction: a candidate parser over {fetches:,} stored pages (archive built by bulk ingest "
           f"in {build_seconds:.0f} s)", [
        ("extraction alone, one process (raw bodies from the store)", f"{alone:,.1f} pages/s"),
        *((f"archive reextract, {n} worker{'s' if n > 1 else ''}",
           f"{results[n][0]:,.1f} pages/s ({results[n][0] / alone:.2f}× extraction alone)") for n in (1, 2)),
        ("memory, 1 worker: at ¼ / ½ / ¾ of the run / peak", quartiles(results[1][1])),
        ("memory, 2 workers: at ¼ / ½ / ¾ of the run / peak", quartiles(results[2][1])),
    ])
