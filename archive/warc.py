"""WARC captures of the site (other crawlers', Heritrix's, wget's) as fetch records for ingest."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path
from typing import BinaryIO

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from archive.database import ArchiveError, first_line
from archive.records import FetchRecord
from archive.vocab import FetchSource


def warc_files(path: Path) -> list[Path]:
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.name.endswith((".warc", ".warc.gz")))
        if not files:
            raise ArchiveError(f"no .warc or .warc.gz files in {path}")
        return files
    if not path.is_file():
        raise ArchiveError(f"no such file or folder: {path}")
    return [path]


def records(path: Path) -> Iterator[FetchRecord]:
    """The response records of one WARC file, bodies decoded (chunking and gzip undone)."""
    with path.open("rb") as stream:
        seen = 0
        try:
            for record in ArchiveIterator(stream):
                seen += 1
                if record.format != "warc":  # warcio reads any text as an old ARC file
                    raise ValueError("no WARC/1.x record header")
                if record.rec_type != "response" or record.http_headers is None:
                    continue
                url = record.rec_headers.get_header("WARC-Target-URI")
                date = record.rec_headers.get_header("WARC-Date")
                status = int(record.http_headers.get_statuscode() or 0)
                headers = dict(record.http_headers.headers)
                body = record.content_stream().read()
                yield FetchRecord(requested_url=url, final_url=url, status=status, headers=headers,
                                  body=body if status != 304 else None,
                                  fetched_at=datetime.fromisoformat(date.replace("Z", "+00:00")),
                                  source=FetchSource.WARC)
        except (ArchiveLoadFailed, ValueError, OSError) as exc:
            raise ArchiveError(f"{path}: not a readable WARC file ({first_line(exc)})") from None
        if not seen and path.stat().st_size:
            raise ArchiveError(f"{path}: not a readable WARC file (no WARC record in it)")


def check(files: list[Path]) -> int:
    """Reads every file once before anything is ingested, so a broken file changes nothing; the count."""
    return sum(1 for path in files for _ in records(path))


REASONS = {200: "OK", 301: "Moved Permanently", 302: "Found", 304: "Not Modified", 404: "Not Found", 410: "Gone"}


def warc_date(moment: datetime) -> str:
    """A WARC-Date as WARC/1.1 writes it: UTC, with a Z, and the fetch's fraction of a second (which
    tells apart two fetches of one second)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def write_records(stream: BinaryIO, records: Iterable[FetchRecord], gzip: bool = True,
                  info: dict[str, str] | None = None) -> int:
    """Fetches as WARC/1.1 response records, with their headers and dates; the number of records written.
    Bodies are stored decoded, so no Content-Encoding or Content-Length of the original transfer is
    repeated. `info`, when given, goes first as the file's warcinfo record (software, where from)."""
    writer = WARCWriter(stream, gzip=gzip, warc_version="1.1")
    count = 0
    if info is not None:
        writer.write_record(writer.create_warcinfo_record(getattr(stream, "name", "export.warc"), info))
        count += 1
    for record in records:
        skip = ("content-encoding", "content-length", "transfer-encoding")
        headers = [(k, v) for k, v in record.headers.items() if k.lower() not in skip]
        status = f"{record.status} {REASONS.get(record.status, 'Status')}"
        http = StatusAndHeaders(status, headers, protocol="HTTP/1.1")
        warc = writer.create_warc_record(record.final_url, "response", payload=BytesIO(record.body or b""),
                                         http_headers=http,
                                         warc_headers_dict={"WARC-Date": warc_date(record.fetched_at)})
        writer.write_record(warc)
        count += 1
    return count
