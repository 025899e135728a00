"""The one pipeline: every fetch goes to `archive` ingest. Extraction runs in worker processes, so that
it uses the other cores instead of serialising behind the reactor; writes go through one thread."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from typing import Any

from scrapy.crawler import Crawler

from archive.database import Archive
from archive.extract.model import NEEDS_BROWSER, Article
from archive.ingest import FetchRecord, Ingestor, extraction_for
from archive.urls import UrlRules
from crawler.rules import rules_from_settings


def _extract(record: FetchRecord, rules: UrlRules) -> Article | None:
    return extraction_for(record, rules)


class ArchivePipeline:
    def __init__(self, crawler: Crawler, db_url: str, rules: UrlRules, workers: int) -> None:
        self.crawler, self.db_url, self.rules, self.workers = crawler, db_url, rules, workers
        self.archive: Archive | None = None
        self.ingestor: Ingestor | None = None
        self.pool: Executor | None = None
        self.writer: ThreadPoolExecutor | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArchivePipeline:
        workers = crawler.settings.getint("DDDN_EXTRACT_WORKERS") or os.cpu_count() or 1
        return cls(crawler, crawler.settings["ARCHIVE_DB_URL"], rules_from_settings(crawler.settings), workers)

    def open_spider(self) -> None:
        self.archive = Archive(self.db_url)
        self.ingestor = Ingestor(self.archive, self.rules)
        # forkserver: workers start clean, not as copies of a process running a reactor and threads
        self.pool = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("forkserver"))
        self.writer = ThreadPoolExecutor(1, thread_name_prefix="archive-writer")

    def close_spider(self) -> None:
        for executor in (self.pool, self.writer):
            if executor is not None:
                executor.shutdown(wait=True)
        if self.archive is not None:
            self.archive.close()

    async def process_item(self, item: Any) -> Any:
        assert self.ingestor is not None and self.pool is not None and self.writer is not None
        if not isinstance(item, FetchRecord):
            return item
        item.run_id = getattr(self.crawler, "dddn_run_id", None)
        loop = asyncio.get_running_loop()
        parsed = None
        if self.ingestor.extracts(item):
            parsed = await loop.run_in_executor(self.pool, _extract, item, self.rules)
        result = await loop.run_in_executor(self.writer, self.ingestor.ingest, item, parsed)
        stats = self.crawler.stats
        stats.inc_value(f"dddn/outcome/{result.outcome}")
        stats.inc_value("dddn/new_articles", int(result.new_article))
        if parsed is not None:
            stats.inc_value("dddn/article_pages")
            if item.rendered == "browser":
                stats.inc_value("dddn/browser_pages")
            if [f for f in parsed.flags if f != NEEDS_BROWSER]:
                stats.inc_value("dddn/flagged_pages")
        item.body = None  # the archive has it; do not keep 100 KB per item alive in Scrapy's signals
        return item
