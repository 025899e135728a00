"""Article pages of the PHP CMS the site ran until 2024."""

from __future__ import annotations

from functools import cached_property

from lxml.html import HtmlElement

from archive.extract import conventions
from archive.extract.html import common_ancestor, first, select
from archive.extract.pages.base import Page
from archive.extract.pages.fields import field
from archive.extract.selectors import legacy as sel


class LegacyPage(Page):
    template = "legacy"
    hints = sel.HINTS
    container_selector = sel.CONTAINER
    title_selectors = sel.TITLE
    lead_selectors = sel.LEAD
    author_selectors = sel.AUTHOR
    date_selectors = sel.DATE
    breadcrumb_selector = sel.BREADCRUMB
    tag_selectors = sel.TAGS

    @classmethod
    def matches(cls, doc: HtmlElement) -> bool:
        return any(first(doc, title) is not None and first(doc, body) is not None for title, body in sel.FORMS)

    @cached_property
    def scope(self) -> HtmlElement:
        """The smallest element around the title and the body: the theme names no article wrapper."""
        title = first(self.doc, ", ".join(sel.TITLE))
        if title is None or self.container is None:
            return self.doc
        return common_ancestor(title, self.container, self.doc)

    @field
    def site_id(self) -> int | None:
        if found := super().site_id:
            return found
        for selector in sel.POST_ID:
            el = first(self.doc, selector)
            value = el.get("value") or el.get("data-id") if el is not None else None
            if value and value.isdigit():
                return int(value)
        return None

    @field
    def tags(self) -> list[str]:
        for box in select(self.doc, sel.TAG_BOX):
            links = box.findall(".//a")
            if 0 < len(links) <= conventions.MAX_TAGS and box.find(".//li") is None and (
                    found := conventions.tag_texts(links)):
                return found
        return super().tags
