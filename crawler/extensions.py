"""Run bookkeeping: the run record with its counts and outcome (and the process's exit code), and a
progress line. Run-wide facts travel in the stats collector: `dddn/run_id` for the pipeline,
`dddn/exit_code` for the crawl command."""

from __future__ import annotations

import logging
import sys
import time
from collections import Counter
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.settings import BaseSettings
from scrapy.statscollectors import StatsCollector
from twisted.internet import task

from archive import runs
from archive.database import Archive, first_line
from archive.vocab import RunKind, RunOutcome
from crawler.frontier import COORDINATOR, ROLE, Cluster, merged
from crawler.revisits import Reason

log = logging.getLogger(__name__)

RUN_ID, EXIT_CODE = "dddn/run_id", "dddn/exit_code"
NO_SPACE_REASON = "no_space"  # the spider's close reason when the archive has no room left (the pipeline's)
EXIT_OK, EXIT_FAILED, EXIT_UNHEALTHY, EXIT_REFUSED, EXIT_NO_SPACE = 0, 1, 4, 5, 6
EXIT_CODES = {RunOutcome.OK: EXIT_OK, RunOutcome.UNHEALTHY: EXIT_UNHEALTHY}
RUN_ARGS = ("DDDN_BASE_URL", "DDDN_MODE", "DDDN_REVISIT_DAYS", "DDDN_MAX_PAGES", "DDDN_SINCE", "DDDN_SECTIONS")


class RunRecordExtension:
    """Opens a crawl run in the archive and closes it with counts, an outcome and an exit code."""

    def __init__(self, stats: StatsCollector, db_url: str, args: dict[str, Any], max_flagged: float,
                 min_articles: int, cluster: Cluster | None = None, coordinator: bool = True) -> None:
        self.stats, self.db_url, self.args = stats, db_url, args
        self.max_flagged, self.min_articles = max_flagged, min_articles
        self.cluster, self.coordinator = cluster, coordinator  # a crawl shared by several processes
        self.archive: Archive | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RunRecordExtension:
        settings = crawler.settings
        assert crawler.stats is not None
        frontier = settings.get("DDDN_FRONTIER")
        cluster = Cluster.from_settings(settings) if frontier else None
        extension = cls(crawler.stats, settings["ARCHIVE_DB_URL"], run_args(settings),
                        settings.getfloat("DDDN_MAX_FLAGGED_RATIO"), settings.getint("DDDN_MIN_ARTICLES"),
                        cluster, settings.get(ROLE, COORDINATOR) == COORDINATOR)
        crawler.signals.connect(extension.opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.closed, signal=signals.spider_closed)
        return extension

    def opened(self, spider: Spider) -> None:
        self.archive = Archive(self.db_url)
        self.archive.keep_reserve()
        if self.cluster is not None and not self.coordinator:  # a worker joins the coordinator's run
            self.stats.set_value(RUN_ID, self.cluster.wait_run())
            return
        run_id = runs.start(self.archive, RunKind.CRAWL, {**self.args, "frontier": self.cluster is not None})
        self.stats.set_value(RUN_ID, run_id)
        if self.cluster is not None:
            self.cluster.publish_run(run_id)

    def closed(self, spider: Spider, reason: str) -> None:
        assert self.archive is not None
        counts = run_counts(self.stats.get_stats())
        if self.cluster is not None:
            total = self.gathered(counts, reason)
            if total is None:  # a worker: the coordinator records the run
                self.stats.set_value(EXIT_CODE, EXIT_OK if reason == "finished" else EXIT_FAILED)
                self.archive.close()
                return
            counts = total
        outcome, problems = self.judge(reason, counts)
        counts["finish_reason"] = reason
        counts["problems"] = problems  # in words, for the run record
        run_id = self.stats.get_value(RUN_ID)
        refused = outcome == RunOutcome.INCOMPLETE and counts["refused_pages"]
        code = EXIT_REFUSED if refused else EXIT_CODES.get(outcome, EXIT_FAILED)
        self.stats.set_value(EXIT_CODE, EXIT_NO_SPACE if counts.get("no_space") else code)
        if counts.get("no_space"):
            self.archive.release_reserve()  # room for this run's record, the next run's start takes it back
        try:
            runs.finish(self.archive, run_id, outcome, counts)
        except Exception as exc:  # a full disk must not hide the outcome behind a traceback
            log.critical("run %s %s, but its record could not be written (%s): the next run marks it interrupted",
                         run_id, outcome, first_line(exc))
            self.archive.close()
            return
        summary = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()) if k not in ("finish_reason", "problems"))
        log.info("run %s %s: %s", run_id, outcome, summary)
        for problem in problems:
            log.error("run %s: %s", outcome, problem)
        pages = counts["article_pages"]
        if pages and counts["fallback_pages"] / pages > self.max_flagged:
            log.warning("run %s: %d of %d article pages matched no template and were read by the generic fallback: "
                        "has the site changed its template?", run_id, counts["fallback_pages"], pages)
        if self.cluster is not None:
            self.cluster.reset()  # the crawl is over: the next one starts from an empty frontier
            self.cluster.resign()
        self.archive.close()

    def gathered(self, counts: dict[str, Any], reason: str) -> dict[str, Any] | None:
        """On a shared frontier: this process's counts left for the coordinator (None, for a worker), or,
        for the coordinator, everyone's added up once the other processes are done or dead."""
        assert self.cluster is not None
        counts = {**counts, "finish_reasons": {reason: 1}}
        self.cluster.report(counts)
        if not self.coordinator:
            return None
        deadline = time.monotonic() + 2 * self.cluster.alive_seconds
        while self.cluster.others_running() and time.monotonic() < deadline:
            time.sleep(0.5)
        others = self.cluster.others_counts()
        total = merged([counts, *others.values()])
        total["processes"] = {self.cluster.worker: counts["pages"], **{w: c["pages"] for w, c in others.items()}}
        total["lost_processes"] = self.cluster.lost()
        return total

    def judge(self, reason: str, counts: dict[str, Any]) -> tuple[RunOutcome, list[str]]:
        stored = []
        if counts.get("unstored"):
            why = "no space left for the archive" if counts.get("no_space") else "the archive refused them"
            stored = [f"{counts['unstored']} fetches could not be stored ({why}; the first: "
                      f"{counts.get('unstored_first', '?')})"]
        if reason != "finished":
            early = "no space left for the archive" if reason == NO_SPACE_REASON else reason
            return RunOutcome.FAILED, [f"the crawl stopped early ({early})", *stored]
        if stored:
            return RunOutcome.FAILED, stored
        if counts.get("failed_articles") or counts.get("failed_listings") or counts.get("lost_processes"):
            problems = [f"{counts['failed_articles']} article and {counts['failed_listings']} discovery pages could "
                        "not be fetched; the next run walks every listing again"]
            if lost := counts.get("lost_processes"):
                problems = [f"{len(lost)} crawler process(es) stopped without finishing ({', '.join(lost)}): the "
                            "pages they had taken may be missing; the next run walks every listing again"]
            if counts["refused_pages"]:
                problems.append(f"the site's firewall (WAF) refused {counts['refused_pages']} pages with HTTP 403 "
                                f"through every retry ({counts['refusals']} refusals in all)")
            return RunOutcome.INCOMPLETE, problems
        problems = []
        pages = counts.get("article_pages", 0)
        if pages and counts.get("flagged_pages", 0) / pages > self.max_flagged:
            problems.append(f"{counts['flagged_pages']} of {pages} article pages were flagged by extraction "
                            f"(more than {self.max_flagged:.0%}): has the site changed its template?")
        if pages < self.min_articles:
            problems.append(f"only {pages} article pages fetched (DDDN_MIN_ARTICLES is {self.min_articles})")
        return (RunOutcome.UNHEALTHY if problems else RunOutcome.OK), problems


def run_args(settings: BaseSettings) -> dict[str, Any]:
    """What a crawl run was asked to do, as its record keeps it."""
    return {name: settings.get(name) for name in RUN_ARGS}


def run_counts(stats: dict[str, Any]) -> dict[str, Any]:
    """The run record's counts, from Scrapy's stats."""
    outcome = {k.split("/")[-1]: v for k, v in stats.items() if k.startswith("dddn/outcome/")}
    errors: Counter[str] = Counter()
    for key, value in stats.items():
        if key.startswith("downloader/exception_type_count/"):
            errors[key.rsplit(".", 1)[-1]] += value
        elif key.startswith("dddn/errors/"):
            errors[key.split("/")[-1]] += value
        elif (key.startswith("downloader/response_status_count/") and key[-3:] in ("403", "404", "410", "429")) or (
                key.startswith("downloader/response_status_count/5")):
            errors[f"http_{key[-3:]}"] += value
    return {
        "pages": stats.get("response_received_count", 0),
        "bytes": stats.get("downloader/response_bytes", 0),
        "article_pages": stats.get("dddn/article_pages", 0),
        "new_articles": stats.get("dddn/new_articles", 0),
        "new_versions": outcome.get("version", 0),
        "not_modified": outcome.get("not_modified", 0),
        "gone": outcome.get("gone", 0),
        "browser_pages": stats.get("dddn/browser_pages", 0),
        "flagged_pages": stats.get("dddn/flagged_pages", 0),
        "fallback_pages": stats.get("dddn/fallback_pages", 0),
        "retries": stats.get("retry/count", 0),
        "refusals": stats.get("dddn/refusals", 0),  # 403s from the site's firewall, retried after a back-off
        "refused_pages": stats.get("dddn/refused_pages", 0),  # pages still refused after every retry
        "absent_sources": stats.get("dddn/absent_sources", 0),
        "revisits": {reason.value: stats.get(f"dddn/revisits/{reason.value}", 0) for reason in Reason},
        "lastmod": stats.get("dddn/lastmod"),  # how revisits were chosen, why, and what the next run will do
        "failed_articles": stats.get("dddn/failed_articles", 0),
        "failed_listings": stats.get("dddn/failed_listings", 0),
        "unstored": stats.get("dddn/unstored", 0),  # fetches the archive could not store: the run fails
        "no_space": stats.get("dddn/no_space", 0),  # of those, for lack of space (exit 6)
        "unstored_first": stats.get("dddn/unstored_first", ""),
        "errors": dict(errors),
    }


class ProgressExtension:
    """Pages per second and what the run has archived so far: a live line on a terminal, a log line
    otherwise."""

    def __init__(self, stats: StatsCollector, interval: float, tty: bool) -> None:
        self.stats, self.interval, self.tty = stats, interval, tty
        self.started = time.monotonic()
        self.loop: task.LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ProgressExtension:
        if not crawler.settings.getbool("DDDN_PROGRESS"):
            raise NotConfigured
        assert crawler.stats is not None
        extension = cls(crawler.stats, crawler.settings.getfloat("DDDN_PROGRESS_INTERVAL"), sys.stderr.isatty())
        crawler.signals.connect(extension.opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.closed, signal=signals.spider_closed)
        return extension

    def opened(self, spider: Spider) -> None:
        self.started = time.monotonic()
        self.loop = task.LoopingCall(self.report)
        self.loop.start(self.interval if self.tty else max(self.interval, 10.0), now=False)

    def line(self) -> str:
        stats = self.stats
        pages = stats.get_value("response_received_count", 0)
        elapsed = max(time.monotonic() - self.started, 1e-6)
        queued = stats.get_value("scheduler/enqueued", 0) - stats.get_value("scheduler/dequeued", 0)
        value = stats.get_value
        return (f"pages {pages} ({pages / elapsed:.1f}/s) · new articles {value('dddn/new_articles', 0)} "
                f"· new versions {value('dddn/outcome/version', 0)} · not modified "
                f"{value('dddn/outcome/not_modified', 0)} · browser {value('dddn/browser_pages', 0)}"
                f" · retries {value('retry/count', 0)} · queued {queued}")

    def report(self) -> None:
        if self.tty:
            sys.stderr.write("\r\033[K" + self.line())
            sys.stderr.flush()
        else:
            log.info(self.line())

    def closed(self, spider: Spider) -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        if self.tty:
            sys.stderr.write("\r\033[K" + self.line() + "\n")
