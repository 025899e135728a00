"""The one pipeline: every fetch goes to `archive` ingest. Ingest (extraction and the write) runs in
worker processes, each with its own connection, so that it uses the other cores instead of serialising
behind the reactor; the archive's transactions keep concurrent writers correct. Fetches go to a worker
in batches (`DDDN_INGEST_BATCH`, or what came within `DDDN_INGEST_BATCH_SECONDS`), written in one
transaction each: the archive's set-wise path, a third of the write's cost of one fetch at a time."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from scrapy.crawler import Crawler
from sqlalchemy.engine import make_url

from archive.database import Archive, first_line, out_of_space
from archive.extract.model import FALLBACK_USED, NEEDS_BROWSER
from archive.ingest import Ingestor
from archive.parsers import load_parser
from archive.records import FetchRecord, IngestResult
from archive.urls import UrlRules
from archive.vocab import IngestOutcome, Rendering
from crawler.extensions import NO_SPACE_REASON, RUN_ID
from crawler.revisits import EDIT_FOUND
from crawler.rules import rules_from_settings

_ingestor: Ingestor | None = None
_write_lock: Any = None
log = logging.getLogger(__name__)
UNSTORED, NO_SPACE = "dddn/unstored", "dddn/no_space"  # fetches the archive could not store, and why


def _start_worker(db_url: str, rules: UrlRules, parser_spec: str, write_lock: Any) -> None:
    global _ingestor, _write_lock
    _ingestor, _write_lock = Ingestor(Archive(db_url), rules, load_parser(parser_spec)), write_lock


def _ingest(records: list[FetchRecord]) -> list[IngestResult | Exception]:
    """Extraction, compression and the search text in parallel; the write one process at a time on
    SQLite, where a blocking lock hands over at once while SQLite's own busy handler would sleep with
    growing back-off. A batch that fails is written again one fetch at a time, so that a bad fetch fails
    alone."""
    assert _ingestor is not None
    ingestor = _ingestor
    try:
        prepared = ingestor.prepare_many(records)
        with _write_lock or contextlib.nullcontext():
            return list(ingestor.write(prepared))
    except Exception:
        if len(records) == 1:
            raise
    results: list[IngestResult | Exception] = []
    for record in records:
        try:
            results.append(_ingest([record])[0])
        except Exception as exc:  # handed back to the item it belongs to
            results.append(exc)
    return results


class Batches:
    """Gathers the items' records into batches for the pool, and hands each item its own result."""

    def __init__(self, pool: ProcessPoolExecutor, size: int, seconds: float) -> None:
        self.pool, self.size, self.seconds = pool, size, seconds
        self.waiting: list[tuple[FetchRecord, asyncio.Future[IngestResult]]] = []
        self.timer: asyncio.TimerHandle | None = None

    async def ingest(self, record: FetchRecord) -> IngestResult:
        loop = asyncio.get_running_loop()
        result: asyncio.Future[IngestResult] = loop.create_future()
        self.waiting.append((record, result))
        if len(self.waiting) >= self.size:
            self.send()
        elif self.timer is None:
            self.timer = loop.call_later(self.seconds, self.send)
        return await result

    def send(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        batch, self.waiting = self.waiting, []
        if not batch:
            return
        done = asyncio.get_running_loop().run_in_executor(self.pool, _ingest, [record for record, _ in batch])

        def hand_out(finished: asyncio.Future[list[IngestResult | Exception]]) -> None:
            if finished.cancelled():  # the pool went away first: so do the items
                for _, result in batch:
                    result.cancel()
                return
            error = finished.exception()
            for (_, result), outcome in zip(batch, [error] * len(batch) if error else finished.result(),
                                            strict=True):
                if isinstance(outcome, BaseException):
                    result.set_exception(outcome)
                else:
                    result.set_result(outcome)

        done.add_done_callback(hand_out)


class ArchivePipeline:
    """Hands each FetchRecord to the archive, tagged with the run it belongs to (the stats' dddn/run_id)."""

    def __init__(self, crawler: Crawler, db_url: str, rules: UrlRules, parser_spec: str, workers: int) -> None:
        assert crawler.stats is not None
        self.crawler, self.signals, self.stats = crawler, crawler.signals, crawler.stats
        self.full_limit = max(1, crawler.settings.getint("DDDN_STORAGE_FULL_STOP"))
        self.db_url, self.rules, self.parser_spec, self.workers = db_url, rules, parser_spec, workers
        self.batch_size = max(1, crawler.settings.getint("DDDN_INGEST_BATCH"))
        self.batch_seconds = crawler.settings.getfloat("DDDN_INGEST_BATCH_SECONDS")
        self.pool: ProcessPoolExecutor | None = None
        self.batches: Batches | None = None
        self.closing: asyncio.Future[None] | None = None

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
        self.batches = Batches(self.pool, self.batch_size, self.batch_seconds)

    def close_spider(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True)

    async def process_item(self, item: Any) -> Any:
        assert self.batches is not None
        if not isinstance(item, FetchRecord):
            return item
        item.run_id = self.stats.get_value(RUN_ID)
        try:
            result = await self.batches.ingest(item)
        except Exception as exc:  # whatever a write raises, the run says so, in one line
            self.unstored(item, exc)
            return item
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

    def unstored(self, item: FetchRecord, exc: BaseException) -> None:
        """A fetch the archive could not store: counted (the run fails), one line, never a traceback. Once
        the disk has been full DDDN_STORAGE_FULL_STOP times, the crawl stops: fetching more is pointless."""
        item.body = None
        self.stats.inc_value(UNSTORED)
        first = first_line(exc)
        if self.stats.get_value(UNSTORED) == 1:
            self.stats.set_value("dddn/unstored_first", f"{item.requested_url}: {first}")
        if not out_of_space(exc):
            log.error("could not store %s: %s", item.requested_url, first)
            return
        self.stats.inc_value(NO_SPACE)
        if self.stats.get_value(NO_SPACE) == self.full_limit:
            log.critical("no space left for the archive (%s): stopping the crawl", first)
            assert self.crawler.engine is not None
            # not awaited: closing waits for the items in flight, this one among them
            self.closing = asyncio.ensure_future(self.crawler.engine.close_spider_async(reason=NO_SPACE_REASON))
