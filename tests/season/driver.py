"""Plays a season: the replica's clock moves from run to run, and each scheduled run is a real `scrapy crawl
dddn` started as cron starts it (`/bin/sh -c` with cron's bare environment). What every command did, and
the run records it left, are kept for the check and the report."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from shlex import quote
from typing import IO, Any

from tests.crawler.harness import FAST, ROOT, wait_for_run_lock
from tests.replica import Replica
from tests.season.plan import KILL, OVERLAP, PARSER, Plan

CRON_ENV = {"PATH": "/usr/bin:/bin", "SHELL": "/bin/sh", "HOME": os.environ.get("HOME", "/root"), "LANG": "C.UTF-8"}
# The replica's firewall and rate limit forget in seconds where the real site's take minutes: back off as
# long as they need, no longer, so that a season's fault windows cost seconds.
POLITE_TO_THE_REPLICA = {"DDDN_REFUSAL_BACKOFF": "0.5", "DDDN_RETRY_AFTER_MAX": "2"}


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


@dataclass
class Season:
    plan: Plan
    db: Path
    commands: list[Command]
    end: datetime

    @property
    def db_url(self) -> str:
        return f"sqlite:///{self.db}"

    def clock_of(self, run_id: int) -> datetime:
        return next(c.clock for c in self.commands if run_id in c.records)

    def records(self) -> dict[int, dict[str, Any]]:
        """The archive's run records: id -> kind, outcome and counts."""
        conn = sqlite3.connect(self.db)
        try:
            return {rid: {"kind": kind, "outcome": outcome, "counts": json.loads(counts or "{}")}
                    for rid, kind, outcome, counts in conn.execute("SELECT id, kind, outcome, counts FROM runs")}
        finally:
            conn.close()


class Player:
    def __init__(self, plan: Plan, rep: Replica, folder: Path, say: IO[str]) -> None:
        self.plan, self.rep, self.say = plan, rep, say
        self.db = folder / "season.sqlite"
        self.logs = folder / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.commands: list[Command] = []

    @property
    def db_url(self) -> str:
        return f"sqlite:///{self.db}"

    def cron_line(self, run: int) -> str:
        """The crontab's command: settings the replica needs on the command line, the archive in the
        environment, as the README's crontab has it."""
        settings = {"DDDN_BASE_URL": self.rep.base_url, "DDDN_HOST_ALIASES": self.rep.host_alias, **FAST,
                    **POLITE_TO_THE_REPLICA}
        env = f"ARCHIVE_DB_URL={quote(self.db_url)}"
        if parser := self.plan.parser_at(run):
            env += f" ARCHIVE_PARSER={quote(parser)}"
        flags = " ".join(f"-s {quote(f'{k}={v}')}" for k, v in settings.items())
        return f"cd {quote(str(ROOT))} && {env} {quote(sys.executable)} -m scrapy crawl dddn {flags}"

    def start(self, line: str, log: Path) -> subprocess.Popen[bytes]:
        # its own process group: a kill takes the crawl with its ingest workers, as `kill -9 -PGID` does
        return subprocess.Popen(["/bin/sh", "-c", line], env=CRON_ENV, stdout=log.open("wb"),
                                stderr=subprocess.STDOUT, start_new_session=True)

    def last_record(self) -> int:
        if not self.db.exists():
            return 0
        conn = sqlite3.connect(self.db, timeout=30)
        try:
            return conn.execute("SELECT coalesce(max(id), 0) FROM runs").fetchone()[0]
        except sqlite3.OperationalError:  # not migrated yet
            return 0
        finally:
            conn.close()

    def fetched_by(self, run_id: int) -> int:
        conn = sqlite3.connect(self.db, timeout=30)
        try:
            return conn.execute("SELECT count(*) FROM fetches WHERE run_id = ?", (run_id,)).fetchone()[0]
        finally:
            conn.close()

    def play(self) -> Season:
        for run in range(1, self.plan.runs + 1):
            if 1 < run < self.plan.runs:
                self.rep.advance(self.plan.every_hours)
            self.rep.set_faults(self.plan.fault_at(run))
            event = self.plan.event_at(run)
            before = self.last_record()
            started = time.monotonic()
            line, log = self.cron_line(run), self.logs / f"run-{run:02d}.log"
            proc = self.start(line, log)
            if event == KILL:
                self.kill_halfway(proc, before + 1)
            elif event == OVERLAP:
                wait_for_run_lock(self.db_url)
                self.wait_fetched(before + 1, 0)  # its record is written: the refused start's is the next
                self.overlap(run)
            elif event == PARSER:
                wait_for_run_lock(self.db_url)
                self.wait_fetched(before + 1, 20)
                self.reextract(run, "beside the crawl")
            code = proc.wait(timeout=1800)
            crawl = Command(run, "crawl", self.rep.now, self.plan.fault_at(run), event, code,
                            time.monotonic() - started)
            crawl.records = self.records_since(before, exclude=self.commands)
            self.commands.append(crawl)
            self.say.write(f"run {run:2d}/{self.plan.runs} {self.rep.now:%Y-%m-%d %H:%M} faults "
                           f"{crawl.faults:<9} {event or '':<9} exit {code} in {crawl.seconds:5.1f} s\n")
            self.say.flush()
            if event == PARSER:
                self.reextract(run, "after the crawl")  # what the crawl wrote meanwhile: "this run or the next"
        return Season(self.plan, self.db, self.commands, self.rep.now)

    def records_since(self, before: int, exclude: list[Command]) -> list[int]:
        taken = {r for c in exclude for r in c.records}
        return [r for r in range(before + 1, self.last_record() + 1) if r not in taken]

    def wait_fetched(self, run_id: int, pages: int, timeout: float = 300) -> None:
        deadline = time.monotonic() + timeout
        while self.last_record() < run_id or self.fetched_by(run_id) < pages:
            if time.monotonic() > deadline:
                raise AssertionError(f"run {run_id} did not fetch {pages} pages within {timeout} s")
            time.sleep(0.1)

    def kill_halfway(self, proc: subprocess.Popen[bytes], run_id: int) -> None:
        """SIGKILL once the run has fetched half the pages the crawl before it did."""
        previous = next((c.records[0] for c in reversed(self.commands) if c.kind == "crawl" and c.records), None)
        self.wait_fetched(run_id, max(10, self.fetched_by(previous) // 2 if previous else 0))
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
