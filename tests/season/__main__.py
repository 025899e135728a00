"""`python -m tests.season [--plan full|short|cluster|cluster-short] [--out DIR]`: plays a season, checks the
archive it built against the replica's ground truth, and writes the report (season.md, season.svg). Exits
1 if a check failed. The cluster plans start a throwaway PostgreSQL and Redis of their own."""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from tests.replica import Replica
from tests.season.check import Checker
from tests.season.driver import Player
from tests.season.plan import PLANS, Plan
from tests.season.report import write
from tests.services import create_database, postgres_server, redis_server


@contextmanager
def setup(plan: Plan, folder: Path) -> Iterator[tuple[str | None, str | None, str | None]]:
    """The archive's URL, the frontier's and an empty database to restore into: a throwaway PostgreSQL and
    Redis for a season on the distributed setup, the SQLite default (None) otherwise."""
    if not plan.cluster:
        yield None, None, None
        return
    with ExitStack() as stack:
        server, frontier = stack.enter_context(postgres_server()), stack.enter_context(redis_server())
        yield create_database(server, "season"), frontier, create_database(server, "restored")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.season", description=__doc__)
    parser.add_argument("--plan", choices=sorted(PLANS), default="full")
    parser.add_argument("--out", type=Path, default=Path("data/season"), help="folder for the archive, logs "
                        "and report (emptied first; default data/season)")
    args = parser.parse_args(argv)
    plan, folder = PLANS[args.plan], args.out
    for suffix in ("", "-wal", "-shm", ".crawl.lock", ".reextract.lock"):
        (folder / f"season.sqlite{suffix}").unlink(missing_ok=True)
    if plan.cluster:  # the PostgreSQL archive's search index, beside the report rather than in the cache
        shutil.rmtree(folder / "search", ignore_errors=True)
        os.environ.setdefault("ARCHIVE_SEARCH_DIR", str(folder.resolve() / "search"))
    started = time.monotonic()
    with setup(plan, folder) as (db, frontier, restore_into), Replica(
            articles=plan.articles, seed=plan.seed, now=plan.start, redesign=plan.redesign,
            horizon_days=plan.days + 1) as rep:
        season = Player(plan, rep, folder, sys.stderr, db_url=db, frontier=frontier).play()
        accuracy = Checker(season, rep.site, restore_into=restore_into).run()
        report = write(season, accuracy, folder)  # while the archive's server still runs
    print(report.read_text(encoding="utf-8"))
    print(f"report: {report} and {report.with_suffix('.svg')}; the season took {(time.monotonic() - started) / 60:.1f} "
          "min", file=sys.stderr)
    return 1 if accuracy.failures() else 0


if __name__ == "__main__":
    sys.exit(main())
