"""`python -m tests.season [--plan full|short] [--out DIR]`: plays a season, checks the archive it built
against the replica's ground truth, and writes the report (season.md, season.svg). Exits 1 if a check
failed."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from tests.replica import Replica
from tests.season.check import Checker
from tests.season.driver import Player
from tests.season.plan import PLANS
from tests.season.report import write


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.season", description=__doc__)
    parser.add_argument("--plan", choices=sorted(PLANS), default="full")
    parser.add_argument("--out", type=Path, default=Path("data/season"), help="folder for the archive, logs "
                        "and report (emptied first; default data/season)")
    args = parser.parse_args(argv)
    plan, folder = PLANS[args.plan], args.out
    for suffix in ("", "-wal", "-shm", ".crawl.lock", ".reextract.lock"):
        (folder / f"season.sqlite{suffix}").unlink(missing_ok=True)
    started = time.monotonic()
    with Replica(articles=plan.articles, seed=plan.seed, now=plan.start, redesign=plan.redesign,
                 horizon_days=plan.days + 1) as rep:
        season = Player(plan, rep, folder, sys.stderr).play()
        accuracy = Checker(season, rep.site).run()
    report = write(season, accuracy, folder)
    print(report.read_text(encoding="utf-8"))
    print(f"report: {report} and {report.with_suffix('.svg')}; the season took {(time.monotonic() - started) / 60:.1f} "
          "min", file=sys.stderr)
    return 1 if accuracy.failures() else 0


if __name__ == "__main__":
    sys.exit(main())
