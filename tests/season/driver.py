"""Plays a season: the replica's clock moves from run to run, and each scheduled run is a real `scrapy crawl
dddn` started as cron starts it (`/bin/sh -c` with cron's bare environment). What every command did, and
the run records it left, are kept for the check and the report.

On the distributed setup (`Plan.cluster`) each run is two such processes on one Redis frontier and one
PostgreSQL archive, the second started once the first holds the run (so it joins as a worker), and
`archive index follow` keeps the search index all season long."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path
from shlex import quote
from typing import IO, Any

from sqlalchemy import Engine, Row, create_engine, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from archive.search import store
from tests.archive.test_export import state
from tests.crawler.harness import FAST, ROOT
from tests.replica import Replica
from tests.season.plan import BACKUP, KILL, KILL_COORDINATOR, KILL_WORKER, OVERLAP, PARSER, Plan

CRON_ENV = {"PATH": "/usr/bin:/bin", "SHELL": "/bin/sh", "HOME": os.environ.get("HOME", "/root"), "LANG": "C.UTF-8"}
# The replica's firewall and rate limit forget in seconds where the real site's take minutes: back off as
# long as they need, no longer, so that a season's fault windows cost seconds.
POLITE_TO_THE_REPLICA = {"DDDN_REFUSAL_BACKOFF": "0.5", "DDDN_RETRY_AFTER_MAX": "2"}
FRONTIER_TIMEOUT = "8"  # seconds before a killed process stops counting in a shared crawl
EARLY_KILL = 20
INDEX_LAG = 60.0  # seconds the index follower may take to hold what a run archived


@cache
def _engine(url: str) -> Engine:
    args = {"timeout": 30} if url.startswith("sqlite") else {}
    return create_engine(url, poolclass=NullPool, connect_args=args)


def query(url: str, sql: str, **params: Any) -> list[Row[Any]]:
    """Rows of one statement on the season's archive, SQLite or PostgreSQL."""
    with _engine(url).connect() as conn:
        return list(conn.execute(text(sql), params))


def _counts(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else json.loads(value or "{}")  # JSON text on SQLite


@dataclass
class Command:
    """One command the season ran, and the run records it left (ids in the archive's `runs`)."""

    run: int  # the scheduled run it belongs to
    kind: str  # "crawl", "overlap" (the refused second start) or "reextract"
    clock: datetime  # the replica's clock
    faults: str
    event: str | None
    exit_code: int
    seconds: float
    records: list[int] = field(default_factory=list)
    worker_exit: int | None = None  # the second process of a run on the distributed setup


@dataclass
class Backup:
    """The mid-season backup: a WARC export of every fetch, and the archive's articles and versions when it
    was written, to compare with what restoring it gives."""

    run: int
    path: Path
    exit_code: int
    seconds: float
    state: dict[str, list[str]]


@dataclass
class Season:
    plan: Plan
    db_url: str
    commands: list[Command]
    end: datetime
    backup: Backup | None = None
    index_lags: list[float] = field(default_factory=list)  # seconds after each run until the index held it
    follower_exit: int | None = None

    def clock_of(self, run_id: int) -> datetime:
        return next(c.clock for c in self.commands if run_id in c.records)

    def records(self) -> dict[int, dict[str, Any]]:
        """The archive's run records: id -> kind, outcome and counts."""
        return {rid: {"kind": kind, "outcome": outcome, "counts": _counts(counts)}
                for rid, kind, outcome, counts in query(self.db_url, "SELECT id, kind, outcome, counts FROM runs")}


class Player:
    def __init__(self, plan: Plan, rep: Replica, folder: Path, say: IO[str], db_url: str | None = None,
                 frontier: str | None = None) -> None:
        self.plan, self.rep, self.say, self.folder = plan, rep, say, folder
        self.db_url = db_url or f"sqlite:///{folder / 'season.sqlite'}"
        self.frontier = frontier
        if plan.cluster and not (frontier and db_url):
            raise ValueError("a season on the distributed setup needs a PostgreSQL archive and a Redis frontier")
        self.logs = folder / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.commands: list[Command] = []
        self.backup_taken: Backup | None = None
        self.index_lags: list[float] = []

    def cron_line(self, run: int) -> str:
        """The crontab's command: settings the replica needs on the command line, the archive in the
        environment, as the README's crontab has it."""
        settings = {"DDDN_BASE_URL": self.rep.base_url, "DDDN_HOST_ALIASES": self.rep.host_alias, **FAST,
                    **POLITE_TO_THE_REPLICA}
        if self.frontier:
            settings.update(DDDN_FRONTIER=self.frontier, DDDN_FRONTIER_TIMEOUT=FRONTIER_TIMEOUT,
                            DDDN_INGEST_WORKERS="1")
        env = f"ARCHIVE_DB_URL={quote(self.db_url)}"
        if parser := self.plan.parser_at(run):
            env += f" ARCHIVE_PARSER={quote(parser)}"
        flags = " ".join(f"-s {quote(f'{k}={v}')}" for k, v in settings.items())
        return f"cd {quote(str(ROOT))} && {env} {quote(sys.executable)} -m scrapy crawl dddn {flags}"

    def start(self, line: str, log: Path) -> subprocess.Popen[bytes]:
        # its own process group: a kill takes the crawl with its ingest workers, as `kill -9 -PGID` does
        return subprocess.Popen(["/bin/sh", "-c", line], env=CRON_ENV, stdout=log.open("wb"),
                                stderr=subprocess.STDOUT, start_new_session=True)

    def archive_command(self, *args: str) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run([sys.executable, "-m", "archive", "--db", self.db_url, *args], cwd=ROOT,
                              capture_output=True, timeout=1800)

    def last_record(self) -> int:
        if self.db_url.startswith("sqlite:///") and not Path(self.db_url.removeprefix("sqlite:///")).exists():
            return 0
        try:
            return int(query(self.db_url, "SELECT coalesce(max(id), 0) FROM runs")[0][0])
        except DBAPIError:  # not migrated yet
            return 0

    def fetched_by(self, run_id: int) -> int:
        return int(query(self.db_url, "SELECT count(*) FROM fetches WHERE run_id = :run", run=run_id)[0][0])

    def play(self) -> Season:
        follower = self.start_follower() if self.plan.cluster else None
        try:
            for run in range(1, self.plan.runs + 1):
                self.play_run(run)
            follower_exit = None
            if follower is not None:
                follower.terminate()
                follower_exit = follower.wait(timeout=60)
        finally:
            if follower is not None and follower.poll() is None:
                follower.kill()
        return Season(self.plan, self.db_url, self.commands, self.rep.now, self.backup_taken, self.index_lags,
                      follower_exit)

    def play_run(self, run: int) -> None:
        if 1 < run < self.plan.runs:
            self.rep.advance(self.plan.every_hours)
        self.rep.set_faults(self.plan.fault_at(run))
        event = self.plan.event_at(run)
        before = self.last_record()
        started = time.monotonic()
        line, log = self.cron_line(run), self.logs / f"run-{run:02d}.log"
        proc = self.start(line, log)
        worker = None
        if self.plan.cluster:
            self.wait_fetched(before + 1, 0)  # the first process holds the run: the second joins as a worker
            worker = self.start(line, self.logs / f"run-{run:02d}-worker.log")
        if event in (KILL, KILL_COORDINATOR):
            self.kill_halfway(proc, before + 1)
        elif event == KILL_WORKER and worker is not None:
            self.kill_halfway(worker, before + 1)
        elif event == OVERLAP:
            self.wait_fetched(before + 1, 0)  # its record is written: the refused start's is the next
            self.overlap(run)
        elif event == PARSER:
            self.wait_fetched(before + 1, 20)
            self.reextract(run, "beside the crawl")
        code = proc.wait(timeout=1800)
        crawl = Command(run, "crawl", self.rep.now, self.plan.fault_at(run), event, code,
                        time.monotonic() - started, worker_exit=worker.wait(timeout=1800) if worker else None)
        crawl.records = self.records_since(before, exclude=self.commands)
        self.commands.append(crawl)
        processes = f" worker exit {crawl.worker_exit}" if worker else ""
        self.say.write(f"run {run:2d}/{self.plan.runs} {self.rep.now:%Y-%m-%d %H:%M} faults "
                       f"{crawl.faults:<9} {event or '':<16} exit {code}{processes} in {crawl.seconds:5.1f} s\n")
        self.say.flush()
        if event == PARSER:
            self.reextract(run, "after the crawl")  # what the crawl wrote meanwhile: "this run or the next"
        if self.plan.cluster:
            self.index_lags.append(self.wait_index_current())
        if event == BACKUP:
            self.audit(run)
            self.backup(run)

    def start_follower(self) -> subprocess.Popen[bytes]:
        """`archive index follow`, as its systemd unit runs it, for the whole season."""
        upgrade = self.archive_command("db", "upgrade")
        if upgrade.returncode:
            raise AssertionError(f"archive db upgrade failed: {upgrade.stderr.decode()[-2000:]}")
        return subprocess.Popen([sys.executable, "-m", "archive", "--db", self.db_url, "index", "follow"], cwd=ROOT,
                                stdout=(self.logs / "index-follow.log").open("wb"), stderr=subprocess.STDOUT)

    def wait_index_current(self) -> float:
        """Seconds until the follower's index holds everything the archive committed."""
        index, started = store.for_engine(_engine(self.db_url), self.db_url), time.monotonic()
        while not index.is_current():
            if time.monotonic() - started > INDEX_LAG:
                raise AssertionError(f"the search index did not follow the archive within {INDEX_LAG:.0f} s")
            time.sleep(0.2)
        return time.monotonic() - started

    def audit(self, run: int) -> None:
        """`archive verify --sample`, as the daily cron runs it."""
        before, started = self.last_record(), time.monotonic()
        result = self.archive_command("verify", "--sample", "0.05")
        (self.logs / f"run-{run:02d}-verify.log").write_bytes(result.stdout + result.stderr)
        command = Command(run, "verify", self.rep.now, self.plan.fault_at(run), "verify --sample 0.05",
                          result.returncode, time.monotonic() - started)
        command.records = self.records_since(before, exclude=self.commands)
        self.commands.append(command)

    def backup(self, run: int) -> None:
        """The portable backup: every fetch as WARC, with the archive's state when it was written."""
        path, started = self.folder / f"backup-run-{run:02d}.warc.gz", time.monotonic()
        path.unlink(missing_ok=True)
        snapshot = state(self.db_url)
        result = self.archive_command("export", "--format", "warc", "--fetches", "all", "-o", str(path))
        (self.logs / f"run-{run:02d}-backup.log").write_bytes(result.stdout + result.stderr)
        self.backup_taken = Backup(run, path, result.returncode, time.monotonic() - started, snapshot)

    def records_since(self, before: int, exclude: list[Command]) -> list[int]:
        taken = {r for c in exclude for r in c.records}
        return [r for r in range(before + 1, self.last_record() + 1) if r not in taken]

    def wait_fetched(self, run_id: int, pages: int, timeout: float = 300,
                     running: subprocess.Popen[bytes] | None = None) -> None:
        deadline = time.monotonic() + timeout
        while self.last_record() < run_id or self.fetched_by(run_id) < pages:
            if time.monotonic() > deadline:
                raise AssertionError(f"run {run_id} did not fetch {pages} pages within {timeout} s")
            if running is not None and running.poll() is not None:
                raise AssertionError(f"run {run_id} ended before it fetched {pages} pages")
            time.sleep(0.1)

    def kill_halfway(self, proc: subprocess.Popen[bytes], run_id: int) -> None:
        """SIGKILL once the run has fetched half the pages the crawl before it did; in a run shared by two
        processes, which ends sooner, once it has fetched EARLY_KILL pages."""
        previous = next((c.records[0] for c in reversed(self.commands) if c.kind == "crawl" and c.records), None)
        half = max(10, self.fetched_by(previous) // 2 if previous else 0)
        self.wait_fetched(run_id, EARLY_KILL if self.plan.cluster else half, running=proc)
        os.killpg(proc.pid, signal.SIGKILL)

    def overlap(self, run: int) -> None:
        """A second start while the run holds the archive: it must refuse, and leave a record saying so."""
        before, started = self.last_record(), time.monotonic()
        result = subprocess.run(["/bin/sh", "-c", self.cron_line(run)], env=CRON_ENV, capture_output=True,
                                timeout=300)
        (self.logs / f"run-{run:02d}-overlap.log").write_bytes(result.stdout + result.stderr)
        command = Command(run, "overlap", self.rep.now, self.plan.fault_at(run), OVERLAP, result.returncode,
                          time.monotonic() - started)
        command.records = self.records_since(before, exclude=self.commands)
        self.commands.append(command)

    def reextract(self, run: int, when: str) -> None:
        parser = self.plan.parser_at(run)
        assert parser is not None
        before, started = self.last_record(), time.monotonic()
        line = (f"cd {quote(str(ROOT))} && ARCHIVE_DB_URL={quote(self.db_url)} {quote(sys.executable)} -m archive "
                f"reextract --parser {quote(parser)} --workers 2")
        result = subprocess.run(["/bin/sh", "-c", line], env=CRON_ENV, capture_output=True, timeout=1800)
        tag = "during" if when.startswith("beside") else "after"
        (self.logs / f"run-{run:02d}-reextract-{tag}.log").write_bytes(result.stdout + result.stderr)
        command = Command(run, "reextract", self.rep.now, self.plan.fault_at(run), f"reextract {when}",
                          result.returncode, time.monotonic() - started)
        command.records = self.records_since(before, exclude=self.commands)
        self.commands.append(command)
