"""Running `scrapy crawl dddn` for real against a replica, and reading what it archived."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

from sqlalchemy import select

from archive.database import Archive
from archive.models import Article, Extraction, Fetch, Run, Version
from tests.replica import Replica

ROOT = Path(__file__).parents[2]
FAST = {"AUTOTHROTTLE_ENABLED": "False", "DOWNLOAD_DELAY": "0", "CONCURRENT_REQUESTS_PER_DOMAIN": "16",
        "DDDN_PROGRESS": "False", "DDDN_INGEST_WORKERS": "2", "LOG_LEVEL": "INFO"}


def command(rep: Replica, db: str, **settings: str) -> list[str]:
    alias = rep.host_alias
    merged = {"DDDN_BASE_URL": rep.base_url, "DDDN_HOST_ALIASES": alias, "ARCHIVE_DB_URL": db, **FAST, **settings}
    args = [sys.executable, "-m", "scrapy", "crawl", "dddn"]
    for name, value in merged.items():
        args += ["-s", f"{name}={value}"]
    return args


def crawl(rep: Replica, db: str, timeout: float = 300, **settings: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command(rep, db, **settings), cwd=ROOT, capture_output=True, text=True, timeout=timeout)


def start_crawl(rep: Replica, db: str, log: Path, **settings: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(command(rep, db, **settings), cwd=ROOT, stdout=log.open("wb"), stderr=subprocess.STDOUT)


def archived(db: str) -> dict[int, dict[str, Any]]:
    """site id -> versions and fetches of each archived article."""
    arch = Archive(db)
    out: dict[int, dict[str, Any]] = {}
    with arch.transaction(write=False) as s:
        for article in s.scalars(select(Article)):
            fetches = s.execute(select(Fetch.rendered, Fetch.status, Fetch.run_id)
                                .where(Fetch.article_id == article.id)).all()
            texts = [v.extraction.fields["text"] for v in article.versions]
            out[article.site_id or 0] = {"versions": len(article.versions), "fetches": fetches, "texts": texts,
                                         "status": article.status, "url": article.canonical_url}
    arch.close()
    return out


def all_runs(db: str) -> list[Run]:
    arch = Archive(db)
    with arch.transaction(write=False) as s:
        runs = list(s.scalars(select(Run).order_by(Run.id)))
    arch.close()
    return runs


def last_run(db: str) -> Run:
    arch = Archive(db)
    with arch.transaction(write=False) as s:
        run = s.scalars(select(Run).order_by(Run.id.desc())).first()
    arch.close()
    assert run is not None
    return run


def bad_versions(db: str) -> int:
    arch = Archive(db)
    with arch.transaction(write=False) as s:
        n = len([v for v in s.scalars(select(Version)) if not s.get(Extraction, v.extraction_id).ok])
    arch.close()
    return n


def fetched_hosts(db: str) -> set[str]:
    from urllib.parse import urlsplit

    arch = Archive(db)
    with arch.transaction(write=False) as s:
        urls = s.scalars(select(Fetch.final_url)).all() + s.scalars(select(Fetch.requested_url)).all()
    arch.close()
    return {urlsplit(u).netloc for u in urls}


def wait_for_articles(db: str, count: int, timeout: float = 120) -> None:
    """Until the archive being crawled into holds `count` articles (for a kill to land mid-crawl)."""
    import time

    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import SQLAlchemyError

    engine = create_engine(db, connect_args={"timeout": 1} if db.startswith("sqlite") else {})
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            try:
                with engine.connect() as conn:
                    if (conn.execute(text("SELECT count(*) FROM articles")).scalar() or 0) >= count:
                        return
            except SQLAlchemyError:
                pass  # not created or not migrated yet
            time.sleep(0.2)
    finally:
        engine.dispose()
    raise AssertionError(f"the crawl did not archive {count} articles within {timeout} s")


def wait_for_run_lock(db: str, timeout: float = 60) -> None:
    """Until a crawl holds the archive's run lock. Read from /proc/locks, which lists every flock by
    inode, so that waiting never takes the lock itself and races the crawl for it."""
    import os
    import time

    path = Path(db.removeprefix("sqlite:///") + ".crawl.lock")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists():
            inode = f":{os.stat(path).st_ino} "
            if any(inode in line and "FLOCK" in line for line in Path("/proc/locks").read_text().splitlines()):
                return
        time.sleep(0.05)
    raise AssertionError(f"no crawl took the run lock of {db} within {timeout} s")
