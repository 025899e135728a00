"""Anything no template recognises (an unseen variant of the site, a future redesign, another site):
trafilatura finds the body, and the site layer reads it as it reads a template's.

trafilatura's text tells which element holds the article: the smallest one around most of its lines.
That element is read by the same walker as every template's container (captions, ">>" links, boxes that
list other articles dropped), and the conventions in `archive.extract.conventions` find the byline, date
line, breadcrumb and tags around it. When the lines cannot be placed, trafilatura's text is the body.
"""

from __future__ import annotations

import copy
from collections import Counter
from datetime import datetime
from functools import cached_property
from typing import Any

import trafilatura
from lxml.html import HtmlElement

from archive.extract import dates, noise
from archive.extract.blocks import Body, read_body
from archive.extract.html import clean, is_inside, text_of
from archive.extract.model import FALLBACK_USED, Block
from archive.extract.pages.base import DATELINE, Page, split_names
from archive.extract.pages.fields import field

LINE_TAGS = ("p", "li", "h2", "h3", "h4", "blockquote", "td", "pre")
MIN_LINE = 25  # shorter lines say too little about where they came from
COVERAGE = 0.8  # the container holds this share of the lines that were placed
MIN_RECOVERED = 0.6  # the container's text is at least this share of trafilatura's, or trafilatura's is used


class GenericPage(Page):
    template = "generic"

    @cached_property
    def extracted(self) -> dict[str, Any]:
        # trafilatura prunes the elements our rules name, then extracts; our line rules clean what is left.
        result = trafilatura.bare_extraction(
            copy.deepcopy(self.doc), url=self.url, with_metadata=True, include_comments=False, include_tables=True,
            prune_xpath=noise.prune_xpaths())
        if result is None:
            return {}
        return result if isinstance(result, dict) else result.as_dict()

    @cached_property
    def lines(self) -> list[str]:
        return [line for raw in (self.extracted.get("text") or "").splitlines()
                if (line := clean(noise.cut_noise(raw))) and not noise.is_noise_line(line)]

    @cached_property
    def container(self) -> HtmlElement | None:
        """The smallest element holding most of trafilatura's lines."""
        wanted = {line for line in self.lines if len(line) >= MIN_LINE}
        if not wanted:
            return None
        placed = [el for el in self.doc.iter(*LINE_TAGS) if text_of(el) in wanted]
        if not placed:
            return None
        holders: Counter[HtmlElement] = Counter()
        for el in placed:
            holders.update(el.iterancestors())
        need = COVERAGE * len(placed)
        candidates = [el for el, n in holders.items() if n >= need and el.tag not in ("html", "body")]
        return max(candidates, key=_depth, default=None)

    @cached_property
    def region(self) -> HtmlElement:
        """The smallest element around both the title and the body: the article's header is in it, the
        page's header and sidebar are not."""
        container = self.container
        if container is None:
            return self.doc
        title = next((h for h in self.doc.iter("h1") if text_of(h)), None)
        if title is None or is_inside(title, container):
            return container
        ancestors = set(container.iterancestors())
        return next((a for a in title.iterancestors() if a in ancestors), self.doc)

    @cached_property
    def body(self) -> Body:
        text = "\n".join(self.lines)
        if self.container is not None:
            read = read_body(self.prepare_container(copy.deepcopy(self.container)), self.url, self.rules)
            read.blocks = [b for b in read.blocks if not self._is_header(b)]
            if len("\n".join(line for b in read.blocks for line in b.lines())) >= MIN_RECOVERED * len(text):
                return read
        return Body([Block("paragraph", line) for line in self.lines])

    def prepare_container(self, container: HtmlElement) -> HtmlElement:
        for heading in container.iter("h1"):
            heading.drop_tree()
        return super().prepare_container(container)

    def _is_header(self, block: Block) -> bool:
        """A line of the article's header that trafilatura's container took in: the lead, the date line."""
        text = block.text
        if not text:
            return False  # a list or a table
        if DATELINE.sub("", text) in (self.title, self.lead):
            return True
        return len(text) <= 60 and dates.parse_visible(text) is not None

    @field
    def author(self) -> list[str]:
        return super().author or split_names(clean(self.extracted.get("author")))

    @field
    def published(self) -> datetime | None:
        return super().published or self.plausible(dates.parse_iso(self.extracted.get("date") or ""))

    @field
    def flags(self) -> list[str]:
        return [FALLBACK_USED]


def _depth(el: HtmlElement) -> int:
    return sum(1 for _ in el.iterancestors())
