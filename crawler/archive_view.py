"""The one place a crawl reads the archive before it starts: what it already holds. The spider gets
this through the DDDN_ARCHIVE_VIEW setting, a function of the archive's URL, so tests and other tools
can hand it any view they like."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from archive import runs
from archive.database import Archive
from archive.known import Known, known_pages
from archive.vocab import RunKind


@dataclass(frozen=True)
class ArchiveView:
    known: dict[str, Known] = field(default_factory=dict)  # canonical URL -> what the archive knows of it
    completed_crawl: bool = False  # whether any crawl has ever seen the whole site
    lastmod_trust: dict[str, Any] | None = None  # what the last crawl concluded of the sitemaps' lastmod


def read_archive(db_url: str) -> ArchiveView:
    archive = Archive(db_url)
    try:
        with archive.transaction(write=False) as session:
            known = known_pages(session)
        return ArchiveView(known, runs.last_completed(archive, RunKind.CRAWL) is not None,
                           runs.last_count(archive, RunKind.CRAWL, "lastmod", "next"))
    finally:
        archive.close()
