"""What extraction returns: an `Article`, plain data with no parser objects inside."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

# Quality flags. A page with any of FAILURE_FLAGS is not an article version.
EMPTY_BODY = "empty_body"
NO_DATE = "no_date"
TOO_SHORT = "too_short"
NOISE_SUSPECTED = "noise_suspected"
FALLBACK_USED = "fallback_used"
NEEDS_BROWSER = "needs_browser"  # the body is built by script: render the page, then extract again
SOFT_404 = "soft_404"  # "200 OK" with the site's not-found page
NOT_HTML = "not_html"
TRUNCATED_INPUT = "truncated_input"  # larger than the extraction limit; only the head was read
FAILURE_FLAGS = frozenset({EMPTY_BODY, NEEDS_BROWSER, SOFT_404, NOT_HTML})


@dataclass
class Block:
    type: str  # "paragraph" | "heading" | "quote" | "list" | "table"
    text: str = ""
    items: list[str] = field(default_factory=list)  # list
    rows: list[list[str]] = field(default_factory=list)  # table

    def lines(self) -> list[str]:
        """The block as plain-text lines: one per paragraph, list item or table row."""
        if self.type == "list":
            return self.items
        if self.type == "table":
            return [" | ".join(row) for row in self.rows]
        return [self.text]

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.type}
        if self.type == "list":
            out["items"] = self.items
        elif self.type == "table":
            out["rows"] = self.rows
        else:
            out["text"] = self.text
        return out


@dataclass
class Image:
    src: str
    caption: str = ""


@dataclass
class Link:
    url: str
    title: str


@dataclass
class Article:
    url: str
    canonical_url: str
    site_id: int | None = None
    title: str = ""
    lead: str = ""
    blocks: list[Block] = field(default_factory=list)
    author: list[str] = field(default_factory=list)
    published: datetime | None = None
    updated: datetime | None = None
    section: str = ""
    section_path: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    images: list[Image] = field(default_factory=list)
    related: list[Link] = field(default_factory=list)
    language: str = "vi"
    template: str = "none"
    parser_version: str = ""
    flags: list[str] = field(default_factory=list)
    fingerprint: str = ""

    @property
    def text(self) -> str:
        return "\n".join(line for block in self.blocks for line in block.lines())

    @property
    def ok(self) -> bool:
        """Whether this is an article version worth keeping (no failure flag)."""
        return not FAILURE_FLAGS.intersection(self.flags)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, in a fixed key order. Built field by field: it runs for every page extracted, and
        `dataclasses.asdict` deep-copies every block only for them to be replaced."""
        return {"url": self.url, "canonical_url": self.canonical_url, "site_id": self.site_id, "title": self.title,
                "lead": self.lead, "text": self.text, "blocks": [b.to_dict() for b in self.blocks],
                "author": list(self.author), "published": _iso(self.published), "updated": _iso(self.updated),
                "section": self.section, "section_path": list(self.section_path), "tags": list(self.tags),
                "images": [{"src": i.src, "caption": i.caption} for i in self.images],
                "related": [{"url": link.url, "title": link.title} for link in self.related],
                "language": self.language, "template": self.template, "parser_version": self.parser_version,
                "flags": list(self.flags), "fingerprint": self.fingerprint}


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
