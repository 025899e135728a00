"""`make cluster N=3`: a local Redis, a local PostgreSQL and N crawler processes sharing one crawl of the
replica, then the archive's stats and the run record. Everything is thrown away at the end."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from rich.console import Console

from tests.crawler.harness import ROOT, command
from tests.replica import Replica
from tests.services import create_database, postgres_server, redis_server

console = Console()


def main() -> None:
    count = int(os.environ.get("N", "3"))
    articles = int(os.environ.get("ARTICLES", "500"))
    with redis_server() as frontier, postgres_server() as server, Replica(articles=articles, seed=1) as rep:
        db = create_database(server, "cluster")
        subprocess.run([sys.executable, "-m", "archive", "--db", db, "db", "upgrade"], check=True, cwd=ROOT)
        console.rule(f"{count} crawler processes, frontier {frontier}, archive {db}")
        started = time.monotonic()
        procs = []
        for n in range(count):
            log = ROOT / "data" / f"cluster-{n}.log"
            log.parent.mkdir(exist_ok=True)
            args = command(rep, db, DDDN_FRONTIER=frontier, DDDN_INGEST_WORKERS="1")
            procs.append(subprocess.Popen(args, cwd=ROOT, stdout=log.open("wb"), stderr=subprocess.STDOUT))
            console.print(f"process {n + 1}: pid {procs[-1].pid}, log {log.relative_to(ROOT)}")
            time.sleep(0.5)
        codes = [proc.wait() for proc in procs]
        console.print(f"exit codes {codes} after {time.monotonic() - started:.0f} s")
        subprocess.run([sys.executable, "-m", "archive", "--db", db, "stats"], cwd=ROOT)
        subprocess.run([sys.executable, "-m", "archive", "--db", db, "runs", "--limit", "1", "--format", "json"],
                       cwd=ROOT)


if __name__ == "__main__":
    main()
