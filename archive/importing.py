"""`archive import`: WARC captures into the archive as one import run, whose record is closed with its
outcome however the import ends."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path

from archive import runs, warc
from archive.database import Archive
from archive.ingest import Ingestor
from archive.urls import UrlRules
from archive.vocab import RunKind, RunOutcome


def import_warcs(archive: Archive, files: list[Path], rules: UrlRules, label: str,
                 on_record: Callable[[], None] = lambda: None) -> Counter[str]:
    """Ingests every response record of `files` (checked beforehand with `warc.check`); the counts of
    ingest outcomes and new articles. `label` names the source in the run record."""
    ingestor = Ingestor(archive, rules)
    run_id = runs.start(archive, RunKind.IMPORT, {"path": label})
    counts: Counter[str] = Counter()
    outcome = RunOutcome.FAILED
    try:
        for name in files:
            for record in warc.records(name):
                record.run_id = run_id
                result = ingestor.ingest(record)
                counts[result.outcome] += 1
                counts["new_articles"] += result.new_article
                on_record()
        outcome = RunOutcome.OK
    except KeyboardInterrupt:
        outcome = RunOutcome.INTERRUPTED
        raise
    finally:
        runs.finish(archive, run_id, outcome, counts)
    return counts
