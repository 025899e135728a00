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

import trafilatura
from lxml.html import HtmlElement
from trafilatura.metadata import extract_metadata

from archive.extract import conventions, dates, noise
from archive.extract.blocks import Body, read_body
from archive.extract.html import clean, common_ancestor, first_text, select, text_of
from archive.extract.model import FALLBACK_USED, Block
from archive.extract.pages.base import DATELINE, Page
from archive.extract.pages.fields import field

LINE_TAGS = ("p", "li", "h2", "h3", "h4", "blockquote", "td", "pre")
MIN_LINE = 25  # shorter lines say too little about where they came from
COVERAGE = 0.8  # the container holds this share of the lines that were placed
MIN_RECOVERED = 0.6  # the container's text is at least this share of trafilatura's, or trafilatura's is used


class GenericPage(Page):
    template = "generic"

    @cached_property
    def lines(self) -> list[str]:
        """trafilatura's text of the page, cleaned by our noise rules. trafilatura works on a copy of the
        tree it is given, so the page's own tree is handed over as it is."""
        result = trafilatura.bare_extraction(self.doc, url=self.url, with_metadata=False,
                                             include_comments=False, include_tables=True, fast=True)
        text = (result.get("text") if isinstance(result, dict) else result.text) if result is not None else None
        return [line for raw in (text or "").splitlines()
                if (line := clean(noise.cut_noise(raw))) and not noise.is_noise_line(line)]

    @cached_property
    def container(self) -> HtmlElement | None:
        """The smallest element holding most of trafilatura's lines; when its lines cannot be placed (it
        flattens a layout table into one line), the element whose own paragraphs hold the most text."""
        wanted = {line for line in self.lines if len(line) >= MIN_LINE}
        # a text shorter than MIN_LINE before cleaning is shorter after it: not worth cleaning
        placed = [el for el in self.doc.iter(*LINE_TAGS)
                  if len(raw := el.text_content()) >= MIN_LINE and clean(raw) in wanted] if wanted else []
        if not placed:
            return self._paragraph_parent()
        holders: Counter[HtmlElement] = Counter()
        for el in placed:
            holders.update(el.iterancestors())
        need = COVERAGE * len(placed)
        candidates = [el for el, n in holders.items() if n >= need and el.tag not in ("html", "body")]
        return max(candidates, key=_depth, default=None)

    def _paragraph_parent(self) -> HtmlElement | None:
        text: Counter[HtmlElement] = Counter()
        for p in self.doc.iter("p"):
            parent = p.getparent()
            if parent is not None and len(line := text_of(p)) >= MIN_LINE:
                text[parent] += len(line)
        return text.most_common(1)[0][0] if text else None

    @cached_property
    def region(self) -> HtmlElement:
        """The smallest element around both the title and the body: the article's header is in it, the
        page's header and sidebar are not."""
        container = self.container
        if container is None:
            return self.doc
        title = self.title_element
        return container if title is None else common_ancestor(container, title, self.doc)

    @cached_property
    def title_element(self) -> HtmlElement | None:
        """The first `h1`; without one, the first `h2` or `h3` the page's <title> names (the headline of a
        Joomla article or a Blogger post)."""
        if (h1 := next((h for h in self.doc.iter("h1") if text_of(h)), None)) is not None:
            return h1
        page_title = first_text(self.doc, "title")
        return next((h for h in self.doc.iter("h2", "h3") if (text := text_of(h)) and text in page_title), None)

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
        """The header, bylines and the breadcrumb line dropped: a theme may keep them inside the article."""
        trail = select(container, "[class*=breadcrumb], nav")
        for el in [*container.iter("h1"), *conventions.byline_boxes(container), *trail]:
            if el.getparent() is not None:
                el.drop_tree()
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
    def published(self) -> datetime | None:
        """trafilatura's own date finder (it also reads URLs and free text) is the last resort: it costs
        about a third of an extraction, so it runs only when ours found nothing."""
        if found := super().published:
            return found
        return self.plausible(dates.parse_iso(extract_metadata(copy.deepcopy(self.doc), default_url=self.url).date
                                              or ""))

    @field
    def flags(self) -> list[str]:
        return [FALLBACK_USED]


def _depth(el: HtmlElement) -> int:
    return sum(1 for _ in el.iterancestors())
