"""What every benchmark shares: a replica in its own process, repeated timing, a report table."""

from __future__ import annotations

import contextlib
import statistics
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

from rich.console import Console
from rich.table import Table

from tests.services import free_port, wait_until_answers

console = Console()
TABLES: dict[str, dict[str, str]] = {}  # every table reported in this process, for `--json`


@contextlib.contextmanager
def replica_process(articles: int, seed: int = 1, *extra: str) -> Iterator[str]:
    """The replica as a separate process, so that it has a core of its own."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "tests.replica", "serve", "--port", str(port),
                             "--articles", str(articles), "--seed", str(seed), *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_answers(proc, base + "/__replica__/now", "replica", timeout=120)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def median_of(runs: int, fn: Callable[[], float]) -> tuple[float, list[float]]:
    values = [fn() for _ in range(runs)]
    return statistics.median(values), values


def report(title: str, rows: list[tuple[str, str]]) -> None:
    TABLES[title] = dict(rows)
    table = Table(title=title, show_header=False, title_justify="left")
    for name, value in rows:
        table.add_row(name, value)
    console.print(table)


def tree(pid: int) -> list[int]:
    """A process and all its descendants, by /proc."""
    out, todo = [], [pid]
    while todo:
        current = todo.pop()
        out.append(current)
        try:
            for task in Path(f"/proc/{current}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError):
            continue
    return out


def chromium_processes(pid: int) -> list[tuple[int, str, list[str]]]:
    """The Chromium processes below `pid`, as (pid, kind, command line): kind "browser" for the one
    Playwright talks to over a pipe, else its `--type`. Chromium rewrites its children's titles, so a
    child's command line is one string: every command line is split on NULs and spaces alike."""
    argvs: dict[int, list[str]] = {}
    for p in tree(pid):
        with contextlib.suppress(OSError):
            argvs[p] = Path(f"/proc/{p}/cmdline").read_bytes().decode(errors="replace").replace("\0", " ").split()
    binary = next((argv[0] for argv in argvs.values() if "--remote-debugging-pipe" in argv), None)
    return [(p, next((a.split("=", 1)[1] for a in argv if a.startswith("--type=")), "browser"), argv)
            for p, argv in argvs.items() if binary is not None and argv[:1] == [binary]]


def status_bytes(text: str, field: str) -> int:
    """A "<field> <n> kB" line of a /proc status or smaps file, in bytes."""
    return int(next((line.split()[1] for line in text.splitlines() if line.startswith(field)), "0")) * 1024
