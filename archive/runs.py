"""Run records: what a crawl, import or re-extraction did, and how it ended."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any

from archive.database import Archive
from archive.models import Run
from archive.vocab import COMPLETED, RunKind, RunOutcome


def start(archive: Archive, kind: RunKind, args: dict[str, Any]) -> int:
    with archive.transaction() as session:
        run = Run(kind=kind, args=args, started_at=datetime.now(UTC), outcome=RunOutcome.RUNNING, counts={})
        session.add(run)
        session.flush()
        return run.id


def finish(archive: Archive, run_id: int, outcome: RunOutcome, counts: Counter[str] | dict[str, Any]) -> None:
    with archive.transaction() as session:
        run = session.get(Run, run_id)
        assert run is not None
        run.finished_at, run.outcome, run.counts = datetime.now(UTC), outcome, dict(counts)


def record(archive: Archive, kind: RunKind, args: dict[str, Any], started_at: datetime, outcome: RunOutcome,
           counts: dict[str, Any]) -> int:
    """Records a run that is over in one write: for one that holds no lock, nothing shows it "running", and
    an archive that cannot take the write (a full disk) is left as it was."""
    with archive.transaction() as session:
        run = Run(kind=kind, args=args, started_at=started_at, finished_at=datetime.now(UTC), outcome=outcome,
                  counts=counts)
        session.add(run)
        session.flush()
        return run.id


def refused(archive: Archive, kind: RunKind, args: dict[str, Any], why: str) -> int:
    """Records a run that did not start because another held the archive, with which one, if known."""
    with archive.transaction(write=False) as session:
        holder = session.query(Run).filter(Run.kind == kind, Run.outcome == RunOutcome.RUNNING).order_by(
            Run.id.desc()).first()
        if holder is not None:
            why += f" (run {holder.id}, started {holder.started_at:%Y-%m-%d %H:%M:%S} UTC)"
    return record(archive, kind, args, datetime.now(UTC), RunOutcome.REFUSED,
                  {"problems": [f"not started: {why}"]})


def interrupt_stale(archive: Archive, kind: RunKind, args: dict[str, Any] | None = None) -> int:
    """Marks runs of `kind` still "running" as "interrupted", saying so in their counts; call it holding
    the run lock. With `args`, only the runs started with those (a shard's runs, which its own lock
    covers)."""
    with archive.transaction() as session:
        stale = [run for run in session.query(Run).filter(Run.kind == kind, Run.outcome == RunOutcome.RUNNING)
                 if all(run.args.get(key) == value for key, value in (args or {}).items())]
        found = f"{datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC"
        for run in stale:
            run.outcome = RunOutcome.INTERRUPTED
            run.counts = {**(run.counts or {}), "problems": [
                f"the process stopped without recording how the run ended (killed or crashed); found still "
                f"running at {found} by the next run, which took over"]}
        return len(stale)


def last_completed(archive: Archive, kind: RunKind) -> Run | None:
    with archive.transaction(write=False) as session:
        return session.query(Run).filter(Run.kind == kind, Run.outcome.in_(COMPLETED)).order_by(
            Run.id.desc()).first()


def last_count(archive: Archive, kind: RunKind, *keys: str) -> Any:
    """`counts[key][subkey]…` of the latest run of `kind` that recorded it, or None."""
    with archive.transaction(write=False) as session:
        for run in session.query(Run).filter(Run.kind == kind, Run.finished_at.is_not(None)).order_by(
                Run.id.desc()).limit(50):
            value: Any = run.counts
            for key in keys:
                value = value.get(key) if isinstance(value, dict) else None
            if value is not None:
                return value
    return None


# The counts a run's one-line summary shows, in this order, with their English labels.
COUNT_LABELS = {"pages": "pages", "new_articles": "new articles", "new_versions": "new versions",
                "not_modified": "304s", "gone": "gone", "browser_pages": "in browser", "version": "versions",
                "unchanged": "unchanged", "failed": "failed", "refused_pages": "refused by the site's firewall",
                "extractions_written": "extractions", "articles_changed": "articles changed",
                "bodies_checked": "bodies checked", "problems_found": "problems found", "errors": "errors"}


def summarize(counts: dict[str, Any], labels: dict[str, str] = COUNT_LABELS) -> str:
    parts = [f"{labels[key]} {counts[key]:,}" for key in COUNT_LABELS if key != "errors" and counts.get(key)]
    errors = counts.get("errors") or {}
    if errors:
        listed = ", ".join(f"{kind} {n}" for kind, n in sorted(errors.items()))
        parts.append(f"{labels['errors']} {sum(errors.values()):,} ({listed})")
    parts += counts.get("problems") or []
    return " · ".join(parts) or "—"
