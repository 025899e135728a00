"""What ingest reads and answers, as plain data: a fetch as the crawler saw it (`FetchRecord`), the same
fetch with its costly steps done beforehand in any process (`Prepared`), and what writing it did
(`IngestResult`). Nothing here writes."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any

from sqlalchemy.orm import Session

from archive import rawstore
from archive.extract.model import Article as ExtractedArticle
from archive.parsers import Parser
from archive.urls import UrlRules
from archive.vocab import FetchSource, Rendering
from archive.vocab import IngestOutcome as Outcome


@dataclass
class FetchRecord:
    """One fetch as the crawler (or a WARC file) saw it; plain data, no Scrapy inside."""

    requested_url: str
    final_url: str
    status: int
    headers: Mapping[str, str]
    body: bytes | None
    fetched_at: datetime
    rendered: Rendering = Rendering.HTTP
    source: FetchSource = FetchSource.CRAWL
    run_id: int | None = None

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers.items() if k.lower() == name.lower()), None)

    @property
    def server_date(self) -> datetime | None:
        """The site's clock when it answered (its Date header), if it said."""
        try:
            value = parsedate_to_datetime(self.header("date") or "")
        except (TypeError, ValueError):
            return None
        return value if value.tzinfo else None

    @property
    def body_sha256(self) -> str | None:
        return rawstore.sha256(self.body) if self.body is not None else None

    def key(self, body_sha256: str | None) -> str:
        raw = "\n".join([self.requested_url, self.final_url, str(self.status), self.fetched_at.isoformat(),
                         body_sha256 or ""])
        return hashlib.sha256(raw.encode()).hexdigest()


@dataclass
class IngestResult:
    outcome: Outcome
    fetch_id: int | None = None
    article_id: int | None = None
    new_article: bool = False
    version: int | None = None
    new_body: bool = False
    extracted: bool = False  # an extraction ran (an article page)
    reindex: bool = False  # the article's status or version order changed without a new version
    indexed: bool = False  # the search entry was already brought up to date
    flags: list[str] = field(default_factory=list)


@dataclass
class Prepared:
    """A fetch with every costly step that needs no write done beforehand, in any process: its extraction
    (fields serialised once), and its body hashed and compressed."""

    record: FetchRecord
    parsed: ExtractedArticle | None
    fields: dict[str, Any] | None
    packed: rawstore.Packed | None
    # URLs canonicalized once, here: the final URL's (what the fetch row keeps), and the article's that the
    # fetch names (the page's own canonical URL for an article page, else the URL asked for: a 304's or a
    # 404's article)
    final_canonical: str = ""
    article_url: str = ""


def prepare(record: FetchRecord, rules: UrlRules, session: Session, parser: Parser,
            parsed: ExtractedArticle | None = None) -> Prepared:
    """`session` (read only) tells which compression dictionary the archive has; `parsed` is the
    extraction when already run."""
    parsed = parsed or extraction_for(record, rules, parser)
    fields = parsed.to_dict() if parsed is not None else None
    packed = rawstore.pack(session, record.body) if record.body is not None else None
    if parsed is not None:  # the writer reads its identity and fingerprint; the rest travels in `fields`
        parsed = replace(parsed, blocks=[], images=[], related=[])
    final = rules.canonical(record.final_url)
    named = ((parsed.canonical_url or final) if record.status == 200 and parsed is not None
             else rules.canonical(record.requested_url))
    # the body travels packed (a tenth of its size), never twice
    return Prepared(replace(record, body=None), parsed, fields, packed, final, named)


def is_article(record: FetchRecord, rules: UrlRules) -> bool:
    return rules.is_article(record.final_url) or rules.is_article(record.requested_url)


def extraction_for(record: FetchRecord, rules: UrlRules, parser: Parser) -> ExtractedArticle | None:
    """The extraction ingest runs for this fetch (None for pages that are not articles); pure, so it can
    run in another process and be handed to `Ingestor.ingest`."""
    if record.status != 200 or record.body is None or not is_article(record, rules):
        return None
    return parser(record.body, record.final_url, record.headers, record.fetched_at, rules)


@dataclass(frozen=True)
class Found:
    """What ingest needs of an archived article."""

    id: int
    status: str
    gone_at: datetime | None
    first_seen: datetime
    last_seen: datetime
