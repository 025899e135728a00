"""Real servers for tests: a throwaway PostgreSQL cluster, `archive serve` (and, for the crawler, Redis)."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager

from tests.http import fetch


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_postgres(args: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: root runs its tools as the `postgres` user."""
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


def postgres_bin(tool: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{tool}"))
    if not found:
        raise RuntimeError("PostgreSQL is missing: install the Debian package 'postgresql' "
                           "(make install does it as root)")
    return found[-1]


@contextmanager
def postgres_server() -> Iterator[str]:
    """A new cluster on a free port in a temporary folder; yields its base URL (no database part)."""
    home = tempfile.mkdtemp(prefix="archive-pg-")
    os.chmod(home, 0o755)
    data = os.path.join(home, "data")
    if os.geteuid() == 0:
        shutil.chown(home, "postgres", "postgres")
    port = free_port()
    subprocess.run(_as_postgres([postgres_bin("initdb"), "-D", data, "-A", "trust", "-U", "postgres", "--no-sync",
                                 "-E", "UTF8", "--locale=C.UTF-8"]), check=True, capture_output=True)
    options = f"-p {port} -k {home} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off"
    subprocess.run(_as_postgres([postgres_bin("pg_ctl"), "-D", data, "-o", options, "-w", "-l",
                                 os.path.join(home, "log"), "start"]), check=True, capture_output=True)
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}"
    finally:
        subprocess.run(_as_postgres([postgres_bin("pg_ctl"), "-D", data, "-m", "immediate", "stop"]),
                       capture_output=True)
        shutil.rmtree(home, ignore_errors=True)


def create_database(base_url: str, name: str) -> str:
    import psycopg

    with psycopg.connect(base_url.replace("postgresql+psycopg", "postgresql") + "/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{base_url}/{name}"


def wait_until_answers(proc: subprocess.Popen[str], url: str, what: str, timeout: float = 30) -> None:
    """Until the server `proc` started answers 200 at `url`; one clear error, with its output, if it dies
    or stays silent."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if fetch(url, timeout=2).status == 200:
                return
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError(f"{what} did not start: {proc.stdout.read() if proc.stdout else ''}")
        time.sleep(0.2)


@contextmanager
def serving(url: str, workers: int = 1) -> Iterator[str]:
    """`archive serve` in its own process on the archive at `url`; yields its base URL."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "archive", "--db", url, "serve", "--port", str(port),
                             "--workers", str(workers)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_answers(proc, base + "/api/runs", "archive serve")
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@contextmanager
def redis_server() -> Iterator[str]:
    """A throwaway Redis on a free port, keeping nothing on disk; yields its URL."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError("Redis is missing: install the Debian package 'redis-server' (make install does it as root)")
    port = free_port()
    folder = tempfile.mkdtemp(prefix="archive-redis-")
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                             "--dir", folder], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while True:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("redis-server did not start")
            time.sleep(0.1)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        shutil.rmtree(folder, ignore_errors=True)


PYWB = os.environ.get("PYWB_VENV", os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                                ".venv-pywb"))


@contextmanager
def pywb_replaying(warc: str, collection: str = "dddn") -> Iterator[str]:
    """pywb, the usual replay tool, serving one WARC file as a collection; yields the collection's base URL.
    pywb pins redis 2.10.6, which the crawler's scrapy-redis cannot share, so it lives in a venv of its own
    (`make install` builds it from tests/pywb.lock)."""
    tools = os.path.join(PYWB, "bin")
    if not os.path.exists(os.path.join(tools, "wayback")):
        raise RuntimeError(f"pywb is missing from {PYWB}: run make install (or set PYWB_VENV)")
    home = tempfile.mkdtemp(prefix="archive-pywb-")
    for step in (["init", collection], ["add", collection, warc]):
        subprocess.run([os.path.join(tools, "wb-manager"), *step], cwd=home, check=True, capture_output=True)
    port = free_port()
    proc = subprocess.Popen([os.path.join(tools, "wayback"), "--port", str(port), "--bind", "127.0.0.1"], cwd=home,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}/{collection}"
    try:
        wait_until_answers(proc, base + "/", "pywb")
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        shutil.rmtree(home, ignore_errors=True)
