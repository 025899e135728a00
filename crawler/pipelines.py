"""The one pipeline: every fetch goes to `archive` ingest. Ingest (extraction and the write) runs in
worker processes, each with its own connection, so that it uses the other cores instead of serialising
behind the reactor; the archive's transactions keep concurrent writers correct."""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from scrapy.crawler import Crawler
from sqlalchemy.engine import make_url

from archive.database import Archive
from archive.extract.model import FALLBACK_USED, NEEDS_BROWSER
from archive.ingest import Ingestor
from archive.parsers import load_parser
from archive.records import FetchRecord, IngestResult
from archive.urls import UrlRules
from archive.vocab import IngestOutcome, Rendering
from crawler.extensions import RUN_ID
from crawler.revisits import EDIT_FOUND
from crawler.rules import rules_from_settings

_ingestor: Ingestor | None = None
_write_lock: Any = None


def _start_worker(db_url: str, rules: UrlRules, parser_spec: str, write_lock: Any) -> None:
    global _ingestor, _write_lock
    _ingestor, _write_lock = Ingestor(Archive(db_url), rules, load_parser(parser_spec)), write_lock


def _ingest(record: FetchRecord) -> IngestResult:
    """Extraction, compression and the search text in parallel; the write one process at a time on
    SQLite, where a blocking lock hands over at once while SQLite's own busy handler would sleep with
    growing back-off."""
    assert _ingestor is not None
    prepared = _ingestor.prepare(record)
    with _write_lock or contextlib.nullcontext():
        return _ingestor.write([prepared])[0]


class ArchivePipeline:
    """Hands each FetchRecord to the archive, tagged with the run it belongs to (the stats' dddn/run_id)."""

    def __init__(self, crawler: Crawler, db_url: str, rules: UrlRules, parser_spec: str, workers: int) -> None:
        assert crawler.stats is not None
        self.signals, self.stats = crawler.signals, crawler.stats
        self.db_url, self.rules, self.parser_spec, self.workers = db_url, rules, parser_spec, workers
        self.pool: ProcessPoolExecutor | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArchivePipeline:
        settings = crawler.settings
        workers = settings.getint("DDDN_INGEST_WORKERS") or os.cpu_count() or 1
        return cls(crawler, settings["ARCHIVE_DB_URL"], rules_from_settings(settings), settings["ARCHIVE_PARSER"],
                   workers)

    def open_spider(self) -> None:
        # forkserver: workers start clean, not as copies of a process running a reactor and threads
        context = multiprocessing.get_context("forkserver")
        lock = context.Lock() if make_url(self.db_url).get_backend_name() == "sqlite" else None
        self.pool = ProcessPoolExecutor(self.workers, mp_context=context, initializer=_start_worker,
                                        initargs=(self.db_url, self.rules, self.parser_spec, lock))

    def close_spider(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True)

    async def process_item(self, item: Any) -> Any:
        assert self.pool is not None
        if not isinstance(item, FetchRecord):
            return item
        item.run_id = self.stats.get_value(RUN_ID)
        result = await asyncio.get_running_loop().run_in_executor(self.pool, _ingest, item)
        stats = self.stats
        stats.inc_value(f"dddn/outcome/{result.outcome}")
        stats.inc_value("dddn/new_articles", int(result.new_article))
        if result.outcome == IngestOutcome.VERSION and not result.new_article:
            self.signals.send_catch_log(EDIT_FOUND, url=self.rules.canonical(item.requested_url))
        if result.extracted:
            stats.inc_value("dddn/article_pages")
            if item.rendered == Rendering.BROWSER:
                stats.inc_value("dddn/browser_pages")
            # a page read by the generic fallback is not a bad page: it is counted on its own
            if set(result.flags) - {NEEDS_BROWSER, FALLBACK_USED}:
                stats.inc_value("dddn/flagged_pages")
            if FALLBACK_USED in result.flags:
                stats.inc_value("dddn/fallback_pages")
        item.body = None  # the archive has it; do not keep 100 KB per item alive in Scrapy's signals
        return item
