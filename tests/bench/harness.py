"""What every benchmark shares: a replica in its own process, repeated timing, a report table."""

from __future__ import annotations

import contextlib
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

from rich.console import Console
from rich.table import Table

from tests.services import free_port

console = Console()


@contextlib.contextmanager
def replica_process(articles: int, seed: int = 1, *extra: str) -> Iterator[str]:
    """The replica as a separate process, so that it has a core of its own."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "tests.replica", "serve", "--port", str(port),
                             "--articles", str(articles), "--seed", str(seed), *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(base + "/__replica__/now", timeout=2).read()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"replica did not start: {proc.stdout.read() if proc.stdout else ''}") from None
                time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def median_of(runs: int, fn: Callable[[], float]) -> tuple[float, list[float]]:
    values = [fn() for _ in range(runs)]
    return statistics.median(values), values


def report(title: str, rows: list[tuple[str, str]]) -> None:
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


def status_bytes(text: str, field: str) -> int:
    """A "<field> <n> kB" line of a /proc status or smaps file, in bytes."""
    return int(next((line.split()[1] for line in text.splitlines() if line.startswith(field)), "0")) * 1024
