"""What the JSON API returns, as pydantic models: FastAPI validates responses against them and publishes
them in the OpenAPI schema. The HTML pages render the same objects, so both always agree."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from archive.diff import Kind, ListLabel, TextLabel
from archive.vocab import ArticleStatus


class Block(BaseModel):
    model_config = ConfigDict(extra="ignore")
    type: str = Field(description="paragraph, heading, quote, list or table")
    text: str = ""
    items: list[str] = Field(default_factory=list, description="a list's items")
    rows: list[list[str]] = Field(default_factory=list, description="a table's rows of cells")


class Image(BaseModel):
    model_config = ConfigDict(extra="ignore")
    src: str
    caption: str = ""


class Link(BaseModel):
    model_config = ConfigDict(extra="ignore")
    url: str
    title: str = ""


class Content(BaseModel):
    """A version's extracted fields, as stored."""

    model_config = ConfigDict(extra="ignore")
    url: str = ""
    canonical_url: str = ""
    title: str = ""
    lead: str = ""
    text: str = Field("", description="the body as plain text, one paragraph, list item or table row a line")
    blocks: list[Block] = Field(default_factory=list)
    author: list[str] = Field(default_factory=list)
    published: datetime | None = None
    updated: datetime | None = None
    section: str = ""
    section_path: list[str] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)
    images: list[Image] = Field(default_factory=list)
    related: list[Link] = Field(default_factory=list)
    template: str = ""
    parser_version: str = ""


class ArticleVersion(BaseModel):
    article_id: int
    canonical_url: str
    status: ArticleStatus
    gone_at: datetime | None
    first_seen: datetime
    last_seen: datetime
    version: int
    versions: int
    seen_at: datetime = Field(description="when this content was first fetched")
    content: Content


class HistoryEntry(BaseModel):
    number: int
    seen_at: datetime
    title: str
    words_removed: int
    words_added: int
    changed: list[str] = Field(description="fields changed from the version before: title, lead, body, section, "
                                           "authors, tags")


class History(BaseModel):
    article_id: int
    canonical_url: str
    status: ArticleStatus
    gone_at: datetime | None
    versions: list[HistoryEntry]


class Piece(BaseModel):
    kind: Kind
    text: str


class SideRow(BaseModel):
    old: list[Piece] | None = Field(description="the paragraph in the older version; null when only added")
    new: list[Piece] | None = Field(description="its counterpart in the newer version; null when only removed")


class TextDiff(BaseModel):
    field: TextLabel
    inline: list[Piece]
    side_by_side: list[SideRow]


class ListDiff(BaseModel):
    field: ListLabel
    old: list[str]
    new: list[str]


class Diff(BaseModel):
    article_id: int
    canonical_url: str
    title: str = Field(description="the newer version's title")
    a: int
    b: int
    a_seen_at: datetime
    b_seen_at: datetime
    versions: int
    words_removed: int
    words_added: int
    texts: list[TextDiff]
    lists: list[ListDiff]


class Hit(BaseModel):
    id: int
    canonical_url: str
    title: str
    published: datetime | None
    section: str
    author: str
    snippet: str = Field(description="plain text around the first match")
    snippet_html: str = Field(description="the same, HTML-escaped, with each match between <mark> and </mark>")
    score: float


class FacetCount(BaseModel):
    value: str
    count: int


class SearchResults(BaseModel):
    query: str
    total: int
    page: int
    per_page: int
    sort: str
    hits: list[Hit]
    sections: list[FacetCount] = Field(description="matches per section, most first")
    months: list[FacetCount] = Field(description="matches per month of publication (YYYY-MM, Vietnam time)")


class RunOut(BaseModel):
    id: int
    kind: str
    started_at: datetime
    finished_at: datetime | None
    outcome: str
    counts: dict[str, Any]
    args: dict[str, Any]
    summary: str


class Problem(BaseModel):
    detail: str


class ChangeOut(BaseModel):
    id: str = Field(description="stable across rebuilds and archives: a UUID from the URL, kind and fetch")
    kinds: list[str] = Field(description="the fields changed (title, lead, body, authors, tags, published, "
                                         "section), or takedown, or return")
    article_id: int
    canonical_url: str
    title: str = Field(description="the title after the change")
    title_before: str | None = Field(description="the title before, when the change was to the title")
    section: str
    seen_at: datetime = Field(description="when the change was first fetched")
    published: datetime | None
    lag_hours: float | None = Field(description="hours from publication to seen_at")
    version: int | None = Field(description="the version the edit made; its diff is version - 1 against it")
    words_removed: int
    words_added: int
    words: dict[str, list[int]] = Field(description="[removed, added] per text field changed: title, lead, body")
    status: int | None = Field(description="a takedown's HTTP status, 404 or 410")


class KindCount(BaseModel):
    kind: str
    count: int


class WeekCounts(BaseModel):
    week: str = Field(description="the week's Monday, YYYY-MM-DD, Vietnam time")
    kinds: dict[str, int]


class Changes(BaseModel):
    total: int
    page: int
    per_page: int
    kinds: list[KindCount] = Field(description="entries with each kind (an edit of several fields counts for each)")
    weeks: list[WeekCounts] = Field(description="kinds per week, oldest first")
    entries: list[ChangeOut] = Field(description="newest first")
