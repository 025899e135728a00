"""Article pages of the PHP CMS the site ran until 2024."""

from __future__ import annotations

from functools import cached_property

from lxml.html import HtmlElement

from archive.extract.html import first, text_of
from archive.extract.pages.base import Page, split_names
from archive.extract.pages.fields import field
from archive.extract.selectors import legacy as sel


class LegacyPage(Page):
    template = "legacy"
    markers = sel.MARKERS
    hints = sel.HINTS
    container_selector = sel.CONTAINER
    scope_selector = sel.SCOPE
    title_selectors = sel.TITLE
    lead_selectors = sel.LEAD
    date_selectors = sel.DATE
    breadcrumb_selector = sel.BREADCRUMB
    tag_selectors = sel.TAGS

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
    def author(self) -> list[str]:
        return split_names(self.byline) if self.byline else super().author

    @cached_property
    def byline(self) -> str:
        return text_of(self._byline_element(self.container))

    @staticmethod
    def _byline_element(container: HtmlElement | None) -> HtmlElement | None:
        """The last paragraph, if it is right-aligned and all bold: the PHP CMS's byline."""
        if container is None:
            return None
        paragraphs = container.cssselect(sel.AUTHOR_PARAGRAPH)
        if not paragraphs:
            return None
        last = paragraphs[-1]
        strong = last.find(".//strong")
        if strong is None or text_of(strong) != text_of(last) or len(text_of(last)) > 80:
            return None
        return last

    def prepare_container(self, container: HtmlElement) -> HtmlElement:
        byline = self._byline_element(container)
        if byline is not None:
            byline.drop_tree()
        return container
