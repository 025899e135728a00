"""`python -m tests.bench [NAME...]`: run the benchmarks and print their reports."""

from __future__ import annotations

import sys

from tests.bench import (
    archive_report,
    browser_report,
    cluster_report,
    crawl_report,
    extract_report,
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
    names = argv or list(BENCHES)
    unknown = [n for n in names if n not in BENCHES]
    if unknown:
        print(f"bench: unknown benchmark {unknown[0]!r}; choose from {', '.join(BENCHES)}", file=sys.stderr)
        return 2
    for name in names:
        BENCHES[name]()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
