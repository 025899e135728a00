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


def interrupt_stale(archive: Archive, kind: str) -> int:
    """Marks runs of `kind` still "running" as "interrupted"; call it holding the run lock."""
    with archive.transaction() as session:
        stale = session.query(Run).filter(Run.kind == kind, Run.outcome == "running").all()
        for run in stale:
            run.outcome = "interrupted"
        return len(stale)


def last_completed(archive: Archive, kind: str) -> Run | None:
    with archive.transaction(write=False) as session:
        return session.query(Run).filter(Run.kind == kind, Run.outcome.in_(("ok", "unhealthy"))).order_by(
            Run.id.desc()).first()
