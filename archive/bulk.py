"""Ingest of many fetches at once (`archive import`, the benchmarks): worker processes prepare them
(extraction, compression, search text) and this process writes them in batches, one transaction each.

The write is the one `Ingestor.write`, so a batch means the same rows as one fetch at a time; only the
order of fetches is kept, which versions depend on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from itertools import islice

from archive.database import Archive
from archive.ingest import Ingestor
from archive.records import FetchRecord, IngestResult, Prepared
from archive.urls import UrlRules

BATCH = 50

_ingestor: Ingestor | None = None


def _start(db_url: str, rules: UrlRules) -> None:
    global _ingestor
    _ingestor = Ingestor(Archive(db_url, migrate=False, create=False), rules)


def _prepare(records: list[FetchRecord]) -> list[Prepared]:
    assert _ingestor is not None
    return _ingestor.prepare_many(records)


def ingest_many(ingestor: Ingestor, records: Iterable[FetchRecord], workers: int = 1,
                on_result: Callable[[IngestResult], None] = lambda result: None) -> None:
    """Ingests `records` in order: prepared by `workers` processes (here, with one), written in batches."""
    for batch in _prepared(ingestor, records, workers):
        for result in ingestor.write(batch):
            on_result(result)


def _prepared(ingestor: Ingestor, records: Iterable[FetchRecord], workers: int) -> Iterator[list[Prepared]]:
    chunks = _chunks(iter(records))
    if workers <= 1:
        for chunk in chunks:
            yield ingestor.prepare_many(chunk)
        return
    with ProcessPoolExecutor(workers, initializer=_start, initargs=(ingestor.archive.url, ingestor.rules)) as pool:
        ahead: list[Future[list[Prepared]]] = []
        for chunk in chunks:
            ahead.append(pool.submit(_prepare, chunk))
            if len(ahead) > 2 * workers:  # a few batches ahead, never the whole input in memory
                yield ahead.pop(0).result()
        for future in ahead:
            yield future.result()


def _chunks(records: Iterator[FetchRecord]) -> Iterator[list[FetchRecord]]:
    while chunk := list(islice(records, BATCH)):
        yield chunk
