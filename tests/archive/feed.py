"""Feeding replica pages to ingest without the crawler: plain HTTP, one page at a time."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from archive.ingest import FetchRecord, Ingestor
from tests.http import fetch


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
    """A WARC file of response records, as a web archive would hold them."""
    from io import BytesIO

    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    reasons = {200: "OK", 301: "Moved Permanently", 404: "Not Found", 410: "Gone"}
    with open(path, "wb") as out:
        writer = WARCWriter(out, gzip=path.endswith(".gz"))
        for rec in records:
            skip = ("content-encoding", "content-length")  # the body is stored decoded
            headers = [(k, v) for k, v in rec.headers.items() if k.lower() not in skip]
            http = StatusAndHeaders(f"{rec.status} {reasons.get(rec.status, 'Status')}", headers, protocol="HTTP/1.1")
            warc = writer.create_warc_record(rec.requested_url, "response", payload=BytesIO(rec.body or b""),
                                             http_headers=http,
                                             warc_headers_dict={"WARC-Date": rec.fetched_at.isoformat()})
            writer.write_record(warc)
