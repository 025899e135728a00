"""`archive export`: articles or their versions out of the archive, streamed, whatever its size.

JSONL, CSV and Parquet rows are the research views' plain columns (`articles_latest`, or
`article_versions` with `versions="all"`). WARC (1.1, readable by the standard tools: cdxj-indexer, pywb)
holds the raw fetches of the chosen articles, or with `fetches="all"` every fetch the archive holds, as
response records with their headers and dates, after a warcinfo record: another archive can take them in
again (`archive import`), which makes it the portable backup of any archive, SQLite or PostgreSQL.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from typing import Any, BinaryIO, Literal

from sqlalchemy import Select, func, literal_column, select, table, text
from sqlalchemy.orm import Session

from archive import __version__, rawstore, warc
from archive.database import ArchiveError
from archive.models import Fetch
from archive.records import FetchRecord
from archive.search.engine import NO_FILTERS, Filters, matching_articles
from archive.vocab import FetchSource, Rendering

Format = Literal["jsonl", "csv", "parquet", "warc"]
FORMATS: tuple[Format, ...] = ("jsonl", "csv", "parquet", "warc")
Versions = Literal["latest", "all"]
Fetches = Literal["articles", "all"]  # WARC: the chosen articles' fetches, or every fetch the archive holds
BATCH = 500
TIMES = ("first_seen", "last_seen", "seen_at")  # stored in UTC; SQLite gives them back as bare text
INTEGERS = ("id", "article_id", "site_id", "number", "versions")
VIEWS: dict[Versions, tuple[str, str, str]] = {  # view, its article id column, row order
    "latest": ("articles_latest", "id", "id"), "all": ("article_versions", "article_id", "article_id, number")}


def export(session: Session, fmt: Format, out: BinaryIO, query: str | None = None, filters: Filters = NO_FILTERS,
           versions: Versions = "latest", exact: bool = False, on_row: Callable[[], None] = lambda: None,
           fetches: Fetches = "articles") -> int:
    """Writes the chosen articles to `out`; the number of rows (or WARC records, its warcinfo record
    included) written. Raises `QueryError` for a query that cannot be searched, `ArchiveError` when
    Parquet support is missing."""
    require(fmt)
    chosen = matching_articles(session, query, filters, exact)
    if fmt == "warc":
        info = {"software": f"dddn-archive/{__version__}", "format": "WARC File Format 1.1",
                "isPartOf": session.get_bind().engine.url.render_as_string(hide_password=True),
                "description": "every fetch of the archive" if fetches == "all" else "the chosen articles' fetches"}
        return warc.write_records(out, _counted(_fetches(session, chosen, fetches), on_row), info=info)
    rows = _counted(_rows(session, chosen, versions), on_row)
    if fmt == "jsonl":
        return _write_jsonl(out, rows)
    if fmt == "csv":
        return write_csv(out, rows)
    return _write_parquet(out, rows, _columns(session, versions))


def count(session: Session, query: str | None = None, filters: Filters = NO_FILTERS, versions: Versions = "latest",
          exact: bool = False, fmt: Format = "jsonl", fetches: Fetches = "articles") -> int:
    """How many rows (or WARC records) `export` would write: the size of its progress bar."""
    ids = select(matching_articles(session, query, filters, exact).subquery().c.article_id)
    if fmt == "warc" and fetches == "all":
        return session.scalar(select(func.count()).select_from(Fetch)) or 0
    if fmt == "warc":
        return session.scalar(select(func.count()).select_from(Fetch).where(Fetch.article_id.in_(ids))) or 0
    view, key, _ = VIEWS[versions]
    return session.scalar(select(func.count()).select_from(table(view)).where(literal_column(key).in_(ids))) or 0


def _counted(items: Iterator[Any], on_row: Callable[[], None]) -> Iterator[Any]:
    for item in items:
        yield item
        on_row()


def _rows(session: Session, chosen: Select[Any], versions: Versions) -> Iterator[dict[str, Any]]:
    view, key, order = VIEWS[versions]
    ids = chosen.subquery()
    stmt = (select(text("*")).select_from(table(view)).where(literal_column(key).in_(select(ids.c.article_id)))
            .order_by(text(order)))
    result = session.execute(stmt.execution_options(yield_per=BATCH))
    for mapping in result.mappings():
        yield {name: _plain(name, value) for name, value in mapping.items()}


def _columns(session: Session, versions: Versions) -> list[str]:
    return list(session.execute(select(text("*")).select_from(table(VIEWS[versions][0])).limit(0)).keys())


def _plain(name: str, value: Any) -> Any:
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()
    if name in TIMES and isinstance(value, str):
        return datetime.fromisoformat(value).replace(tzinfo=UTC).isoformat()
    return value


def _fetches(session: Session, chosen: Select[Any], which: Fetches) -> Iterator[FetchRecord]:
    ids = chosen.subquery()
    stmt = select(Fetch) if which == "all" else select(Fetch).where(Fetch.article_id.in_(select(ids.c.article_id)))
    stmt = stmt.order_by(Fetch.fetched_at, Fetch.id).execution_options(yield_per=BATCH)
    for fetch in session.scalars(stmt):
        headers = {name: value for name, value in (("Content-Type", fetch.content_type), ("ETag", fetch.etag),
                                                   ("Last-Modified", fetch.last_modified)) if value}
        body = rawstore.get(session, fetch.body_sha256) if fetch.body_sha256 else None
        yield FetchRecord(requested_url=fetch.requested_url, final_url=fetch.final_url, status=fetch.status,
                          headers=headers, body=body, fetched_at=fetch.fetched_at, rendered=Rendering(fetch.rendered),
                          source=FetchSource(fetch.source))


def _write_jsonl(out: BinaryIO, rows: Iterator[dict[str, Any]]) -> int:
    n = 0
    for row in rows:
        out.write(json.dumps(row, ensure_ascii=False).encode() + b"\n")
        n += 1
    return n


def write_csv(out: BinaryIO, rows: Iterable[dict[str, Any]], fieldnames: list[str] | None = None) -> int:
    """UTF-8 CSV, columns from the first row; with `fieldnames`, the header is written even without rows."""
    stream = io.TextIOWrapper(out, encoding="utf-8", newline="", write_through=True)
    writer: csv.DictWriter[str] | None = None
    if fieldnames is not None:
        writer = csv.DictWriter(stream, fieldnames=fieldnames)
        writer.writeheader()
    n = 0
    for row in rows:
        if writer is None:
            writer = csv.DictWriter(stream, fieldnames=list(row))
            writer.writeheader()
        writer.writerow(row)
        n += 1
    stream.detach()  # `out` belongs to the caller
    return n


def require(fmt: Format) -> None:
    """Raises `ArchiveError` when the libraries a format needs are not installed."""
    if fmt == "parquet":
        try:
            import pyarrow.parquet  # noqa: F401
        except ImportError:
            raise ArchiveError("Parquet export needs pyarrow: pip install 'dddn-archive[parquet]'") from None


def _write_parquet(out: BinaryIO, rows: Iterator[dict[str, Any]], columns: list[str]) -> int:
    import pyarrow as pa  # `export` has checked with `require`
    import pyarrow.parquet as pq
    schema = pa.schema([(c, pa.int64() if c in INTEGERS else pa.string()) for c in columns])
    batch: list[dict[str, Any]] = []
    n = 0
    with pq.ParquetWriter(out, schema, compression="zstd") as writer:  # row groups of BATCH rows: flat memory
        for row in rows:
            batch.append(row)
            n += 1
            if len(batch) >= BATCH:
                writer.write_table(pa.Table.from_pylist(batch, schema=schema))
                batch.clear()
        if batch:
            writer.write_table(pa.Table.from_pylist(batch, schema=schema))
    return n
