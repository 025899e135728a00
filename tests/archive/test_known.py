"""What a crawl is told the archive knows: a page counts as checked, and its validators as the archive's,
only when a run that completed (or an import) fetched it."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from email.utils import format_datetime
from pathlib import Path

from archive import runs
from archive.database import Archive
from archive.ingest import Ingestor
from archive.known import known_pages
from archive.vocab import RunKind, RunOutcome
from tests.archive.feed import record
from tests.extract_eval import replica_rules
from tests.replica import Replica


def test_a_page_read_by_a_run_that_did_not_complete_is_not_vouched_for(tmp_path: Path, replica: Replica) -> None:
    """A sitemap read by a run that then lost the requests it gave (a killed process, a fault) must be read
    again by the next run, or the edits it announced are missed: its fetch in that run is not a check, nor
    are its validators asked with. An article fetched in that run is archived: its validators stand."""
    archive = Archive(f"sqlite:///{tmp_path / 'a.sqlite'}")
    ingestor = Ingestor(archive, replica_rules(replica))
    sitemap = replica.base_url + "/sitemap.xml"
    first = record(sitemap)
    completed = runs.start(archive, RunKind.CRAWL, {})
    ingestor.ingest(dataclasses.replace(first, run_id=completed))
    runs.finish(archive, completed, RunOutcome.OK, {})
    day_later = first.fetched_at + timedelta(days=1)
    later = record(sitemap)
    later = dataclasses.replace(later, fetched_at=day_later, headers={
        **later.headers, "date": format_datetime(day_later, usegmt=True), "etag": '"read-by-a-lost-run"'})
    lost = runs.start(archive, RunKind.CRAWL, {})
    ingestor.ingest(dataclasses.replace(later, run_id=lost))
    article = next(t["canonical_url"] for t in replica.truth() if t["status"] == "live" and t["kind"] == "normal")
    page = record(article)
    ingestor.ingest(dataclasses.replace(page, run_id=lost, headers={**page.headers, "etag": '"as-archived"'}))
    runs.finish(archive, lost, RunOutcome.INCOMPLETE, {})
    imported = dataclasses.replace(record(replica.base_url + "/rss"), run_id=None)
    ingestor.ingest(imported)
    with archive.transaction(write=False) as session:
        known = known_pages(session)
    archive.close()
    assert known[sitemap].checked == (first.server_date or first.fetched_at)
    assert known[sitemap].etag != '"read-by-a-lost-run"', "its next request must not be conditional on the lost read"
    assert known[article].etag == '"as-archived"', "an article's validators are those of the copy archived"
    assert known[replica.base_url + "/rss"].checked is not None, "an import vouches for what it holds"
