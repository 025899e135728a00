"""`scrapy crawl dddn`, with one run at a time per archive and a meaningful exit code:
0 ok, 1 failed, 2 bad configuration, 3 another run holds the archive, 4 ran but unhealthy, 5 refused by
the site's firewall, 6 no space left for the archive.

With `DDDN_FRONTIER` (a Redis URL) the run is one crawl shared by several processes: the first becomes
its coordinator and takes the archive's lock, each later one joins it as a worker (`crawler.frontier`)."""

from __future__ import annotations

import argparse
import sys

import redis
from scrapy.commands.crawl import Command as ScrapyCrawl
from scrapy.exceptions import UsageError

from archive import runs
from archive.database import Archive, ArchiveError
from archive.locks import Locked, RunLock
from archive.vocab import RunKind
from crawler.config import problems
from crawler.extensions import EXIT_CODE, EXIT_FAILED, run_args
from crawler.frontier import COORDINATOR, WORKER, Cluster, frontier_settings

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
            if archive.read_only:
                archive.close()
                raise ArchiveError(f"{archive.safe_url} is read-only: a crawl needs an archive it can write")
        except ArchiveError as exc:
            print(f"crawl: {exc}", file=sys.stderr)
            self.exitcode = EXIT_CONFIG
            return
        cluster, coordinator = None, True
        if frontier := self.settings.get("DDDN_FRONTIER"):
            cluster = Cluster(frontier, archive.url, self.settings.getint("DDDN_FRONTIER_TIMEOUT"))
            try:
                cluster.check()
            except redis.RedisError as exc:
                print(f"crawl: cannot reach the frontier {frontier}: {exc}", file=sys.stderr)
                self.exitcode = EXIT_CONFIG
                archive.close()
                return
            coordinator = cluster.elect()
            frontier_settings(self.settings, cluster, COORDINATOR if coordinator else WORKER)
        lock = RunLock(archive)
        try:
            if coordinator:  # a worker joins the crawl whose coordinator holds the lock
                lock.acquire()
        except Locked as exc:
            print(f"crawl: {exc}; not starting", file=sys.stderr)
            runs.refused(archive, RunKind.CRAWL, run_args(self.settings), str(exc))
            self.exitcode = EXIT_LOCKED
            if cluster is not None:
                cluster.resign()
            archive.close()
            return
        try:
            if coordinator:  # we hold the lock: a "running" run is a dead one, and so is its frontier
                runs.interrupt_stale(archive, RunKind.CRAWL)
                if cluster is not None:
                    cluster.reset()
            crawler = self._create_crawler(args[0])
            self.crawler_process.crawl(crawler, **opts.spargs)
            self.crawler_process.start()
            stats = crawler.stats
            code = stats.get_value(EXIT_CODE, EXIT_FAILED) if stats is not None else EXIT_FAILED
            self.exitcode = EXIT_FAILED if self.crawler_process.bootstrap_failed else code
        finally:
            lock.release()
            archive.close()
