"""Run records: what a crawl, import or re-extraction did, and how it ended."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any

from archive.database import Archive
from archive.models import Run


def start(archive: Archive, kind: str, args: dict[str, Any]) -> int:
    with archive.transaction() as session:
        run = Run(kind=kind, args=args, started_at=datetime.now(UTC), outcome="running", counts={})
        session.add(run)
        session.flush()
        return run.id


def finish(archive: Archive, run_id: int, outcome: str, counts: Counter[str] | dict[str, Any]) -> None:
    with archive.transaction() as session:
        run = session.get(Run, run_id)
        assert run is not None
        run.finished_at, run.outcome, run.counts = datetime.now(UTC), outcome, dict(counts)
