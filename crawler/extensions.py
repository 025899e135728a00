"""Run bookkeeping: the run record with its counts and outcome (and the process's exit code), and a
progress line."""

from __future__ import annotations

import logging
import sys
import time
from collections import Counter
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from twisted.internet import task

from archive import runs
from archive.database import Archive

log = logging.getLogger(__name__)

EXIT_OK, EXIT_FAILED, EXIT_UNHEALTHY = 0, 1, 4
EXIT_CODES = {"ok": EXIT_OK, "unhealthy": EXIT_UNHEALTHY}


class RunRecordExtension:
    """Opens a crawl run in the archive and closes it with counts, an outcome and an exit code."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        settings = crawler.settings
        self.max_flagged = settings.getfloat("DDDN_MAX_FLAGGED_RATIO")
        self.min_articles = settings.getint("DDDN_MIN_ARTICLES")
        self.archive = Archive(settings["ARCHIVE_DB_URL"])
        crawler.signals.connect(self.opened, signal=signals.spider_opened)
        crawler.signals.connect(self.closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RunRecordExtension:
        return cls(crawler)

    def opened(self, spider: Spider) -> None:
        args = {k: self.crawler.settings.get(k) for k in (
            "DDDN_BASE_URL", "DDDN_MODE", "DDDN_REVISIT_DAYS", "DDDN_MAX_PAGES", "DDDN_SINCE", "DDDN_SECTIONS")}
        self.crawler.dddn_run_id = runs.start(self.archive, "crawl", args)  # type: ignore[attr-defined]

    def closed(self, spider: Spider, reason: str) -> None:
        counts = run_counts(self.crawler.stats.get_stats())
        outcome, problems = self.judge(reason, counts)
        counts["finish_reason"] = reason
        runs.finish(self.archive, self.crawler.dddn_run_id, outcome, counts)  # type: ignore[attr-defined]
        self.crawler.dddn_exit_code = EXIT_CODES.get(outcome, EXIT_FAILED)  # type: ignore[attr-defined]
        summary = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()) if k != "finish_reason")
        log.info("run %s %s: %s", self.crawler.dddn_run_id, outcome, summary)  # type: ignore[attr-defined]
        for problem in problems:
            log.error("run %s: %s", outcome, problem)
        self.archive.close()

    def judge(self, reason: str, counts: dict[str, Any]) -> tuple[str, list[str]]:
        if reason != "finished":
            return "failed", [f"the crawl stopped early ({reason})"]
        if counts.get("failed_articles") or counts.get("failed_listings"):
            return "incomplete", [f"{counts['failed_articles']} article and {counts['failed_listings']} discovery "
                                  "pages could not be fetched; the next run walks every listing again"]
        problems = []
        pages = counts.get("article_pages", 0)
        if pages and counts.get("flagged_pages", 0) / pages > self.max_flagged:
            problems.append(f"{counts['flagged_pages']} of {pages} article pages were flagged by extraction "
                            f"(more than {self.max_flagged:.0%}): has the site changed its template?")
        if pages < self.min_articles:
            problems.append(f"only {pages} article pages fetched (DDDN_MIN_ARTICLES is {self.min_articles})")
        return ("unhealthy" if problems else "ok"), problems


def run_counts(stats: dict[str, Any]) -> dict[str, Any]:
    """The run record's counts, from Scrapy's stats."""
    outcome = {k.split("/")[-1]: v for k, v in stats.items() if k.startswith("dddn/outcome/")}
    errors: Counter[str] = Counter()
    for key, value in stats.items():
        if key.startswith("downloader/exception_type_count/"):
            errors[key.rsplit(".", 1)[-1]] += value
        elif key.startswith("dddn/errors/"):
            errors[key.split("/")[-1]] += value
        elif (key.startswith("downloader/response_status_count/") and key[-3:] in ("404", "410", "429")) or (
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
        "retries": stats.get("retry/count", 0),
        "failed_articles": stats.get("dddn/failed_articles", 0),
        "failed_listings": stats.get("dddn/failed_listings", 0),
        "errors": dict(errors),
    }


class ProgressExtension:
    """Pages per second and what the run has archived so far: a live line on a terminal, a log line
    otherwise."""

    def __init__(self, crawler: Crawler, interval: float) -> None:
        self.crawler, self.interval = crawler, interval
        self.tty = sys.stderr.isatty()
        self.started = time.monotonic()
        self.loop: task.LoopingCall | None = None
        crawler.signals.connect(self.opened, signal=signals.spider_opened)
        crawler.signals.connect(self.closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ProgressExtension:
        if not crawler.settings.getbool("DDDN_PROGRESS"):
            raise NotConfigured
        return cls(crawler, crawler.settings.getfloat("DDDN_PROGRESS_INTERVAL"))

    def opened(self, spider: Spider) -> None:
        self.started = time.monotonic()
        self.loop = task.LoopingCall(self.report)
        self.loop.start(self.interval if self.tty else max(self.interval, 10.0), now=False)

    def line(self) -> str:
        stats = self.crawler.stats
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
