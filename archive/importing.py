"""`archive import`: WARC captures into the archive as one import run, whose record is closed with its
outcome however the import ends."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

from archive import runs, warc
from archive.bulk import ingest_many
from archive.database import Archive
from archive.ingest import Ingestor
from archive.records import FetchRecord, IngestResult
from archive.urls import UrlRules
from archive.vocab import RunKind, RunOutcome


def import_warcs(archive: Archive, files: list[Path], rules: UrlRules, label: str,
                 on_record: Callable[[], None] = lambda: None, workers: int = 1) -> Counter[str]:
    """Ingests every response record of `files` (checked beforehand with `warc.check`), prepared by
    `workers` processes; the counts of ingest outcomes and new articles. `label` names the source in the
    run record."""
    ingestor = Ingestor(archive, rules)
    run_id = runs.start(archive, RunKind.IMPORT, {"path": label, "workers": workers})
    counts: Counter[str] = Counter()
    outcome = RunOutcome.FAILED

    def tagged() -> Iterator[FetchRecord]:
        for name in files:
            for record in warc.records(name):
                record.run_id = run_id
                yield record

    def counted(result: IngestResult) -> None:
        counts[result.outcome] += 1
        counts["new_articles"] += result.new_article
        on_record()

    try:
        ingest_many(ingestor, tagged(), workers, counted)
        outcome = RunOutcome.OK
    except KeyboardInterrupt:
        outcome = RunOutcome.INTERRUPTED
        raise
    finally:
        runs.finish(archive, run_id, outcome, counts)
    return counts
