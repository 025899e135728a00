"""Feeding replica pages to ingest without the crawler: plain HTTP, one page at a time."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from archive import warc
from archive.ingest import Ingestor
from archive.records import FetchRecord
from tests.http import fetch
from tests.replica import Replica
from tests.replica.site import ArticleMeta


def record(url: str, headers: dict[str, str] | None = None) -> FetchRecord:
    final = url
    for _ in range(5):  # follow redirects as a crawler does, keeping the URL asked for
        resp = fetch(final, headers={"Accept-Encoding": "gzip", **(headers or {})})
        if resp.status not in (301, 302, 307, 308) or "location" not in resp.headers:
            break
        final = resp.headers["location"]
    body = resp.text.encode("utf-8") if resp.body and resp.headers.get("content-encoding") == "gzip" else resp.body
    # The replica's clock is the server's Date header: fetch times follow it, as they would follow real time.
    when = parsedate_to_datetime(resp.headers["date"]) if "date" in resp.headers else datetime.now(UTC)
    stamp = datetime.now(UTC)
    when = when.replace(microsecond=stamp.microsecond)  # distinct fetches within one replica second
    return FetchRecord(url, final, resp.status, resp.headers, body if resp.status != 304 else None, when)


def ingest_all(ingestor: Ingestor, urls: list[str]) -> Counter[str]:
    outcomes: Counter[str] = Counter()
    for url in urls:
        outcomes[ingestor.ingest(record(url)).outcome] += 1
    return outcomes


def write_warc(path: str, records: list[FetchRecord]) -> None:
    """A WARC file of response records, as a web archive would hold them: each under the URL asked for
    (an alias host's, say), as captures of old links are."""
    with open(path, "wb") as out:
        warc.write_records(out, [replace(r, final_url=r.requested_url) for r in records], gzip=path.endswith(".gz"))


def next_lead_edit(rep: Replica) -> ArticleMeta:
    """A published article whose next edit, still to come, rewrites its lead."""
    return next(a for a in rep.site.visible() if a.kind == "normal" and a.edits
                and a.edits[0][1] == "lead" and a.edits[0][0] > rep.now)


def advance_past_edit(rep: Replica, meta: ArticleMeta) -> None:
    """The replica's clock, half an hour past the article's next edit."""
    rep.advance((meta.edits[0][0] - rep.now).total_seconds() / 3600 + 0.5)
