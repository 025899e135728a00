"""`python -m tests.bench [NAME...] [--json FILE]`: run the benchmarks and print their reports; with
`--json`, also write their figures as one JSON object: a bench's named figures (the keys its docs and
issues name, such as `changes_page_p95_ms`) and every table it printed, under `tables`. With several
benches, one such object per bench, by name."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from tests.bench import (
    archive_report,
    browser_report,
    cluster_report,
    crawl_report,
    extract_report,
    harness,
    reextract_report,
    replica_speed,
    search_report,
    web_report,
)

BENCHES = {"replica": replica_speed.run, "extract": extract_report.run, "archive": archive_report.run,
           "crawl": crawl_report.run, "browser": browser_report.run, "search": search_report.run,
           "reextract": reextract_report.run, "web": web_report.run,
           "cluster": cluster_report.run}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench")
    parser.add_argument("names", nargs="*", metavar="NAME", help=", ".join(BENCHES))
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the figures to FILE as JSON")
    args = parser.parse_args(argv)
    names = args.names or list(BENCHES)
    unknown = [n for n in names if n not in BENCHES]
    if unknown:
        print(f"bench: unknown benchmark {unknown[0]!r}; choose from {', '.join(BENCHES)}", file=sys.stderr)
        return 2
    if args.json and not args.json.parent.is_dir():
        print(f"bench: no folder {args.json.parent} for {args.json}", file=sys.stderr)
        return 2
    results: dict[str, dict[str, Any]] = {}
    for name in names:
        harness.TABLES.clear()
        figures = BENCHES[name]() or {}
        results[name] = {**figures, "tables": dict(harness.TABLES)}
    if args.json:
        out = results[names[0]] if len(names) == 1 else results
        args.json.write_text(json.dumps(out, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
