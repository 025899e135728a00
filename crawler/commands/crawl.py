"""`scrapy crawl dddn`, with one run at a time per archive and a meaningful exit code:
0 ok, 1 failed, 2 bad configuration, 3 another run holds the archive, 4 ran but unhealthy."""

from __future__ import annotations

import argparse
import sys

from scrapy.commands.crawl import Command as ScrapyCrawl
from scrapy.exceptions import UsageError

from archive import runs
from archive.database import Archive, ArchiveError
from archive.locks import Locked, RunLock
from archive.vocab import RunKind
from crawler.config import problems
from crawler.extensions import EXIT_CODE, EXIT_FAILED

EXIT_CONFIG, EXIT_LOCKED = 2, 3


class Command(ScrapyCrawl):
    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) != 1:
            raise UsageError
        assert self.crawler_process is not None and self.settings is not None
        if bad := problems(self.settings):
            print(f"crawl: {bad[0]}", file=sys.stderr)
            self.exitcode = EXIT_CONFIG
            return
        try:
            archive = Archive(self.settings["ARCHIVE_DB_URL"])
        except ArchiveError as exc:
            print(f"crawl: {exc}", file=sys.stderr)
            self.exitcode = EXIT_CONFIG
            return
        lock = RunLock(archive)
        try:
            lock.acquire()
        except Locked as exc:
            print(f"crawl: {exc}; not starting", file=sys.stderr)
            self.exitcode = EXIT_LOCKED
            archive.close()
            return
        try:
            runs.interrupt_stale(archive, RunKind.CRAWL)  # we hold the lock: a "running" run is a dead one
            crawler = self._create_crawler(args[0])
            self.crawler_process.crawl(crawler, **opts.spargs)
            self.crawler_process.start()
            stats = crawler.stats
            code = stats.get_value(EXIT_CODE, EXIT_FAILED) if stats is not None else EXIT_FAILED
            self.exitcode = EXIT_FAILED if self.crawler_process.bootstrap_failed else code
        finally:
            lock.release()
            archive.close()
