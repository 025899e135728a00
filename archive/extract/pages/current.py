"""OneCMS article pages (the site since 2024, and its sister sites on the same CMS)."""

from __future__ import annotations

import re

from lxml.html import HtmlElement

from archive.extract.pages.base import Page
from archive.extract.pages.fields import field
from archive.extract.selectors import current as sel


class CurrentPage(Page):
    template = "current"
    markers = sel.MARKERS
    hints = sel.HINTS
    container_selector = sel.CONTAINER
    scope_selector = sel.CONTAINER  # the longform header sits inside the entry
    title_selectors = sel.TITLE
    lead_selectors = sel.LEAD
    author_selectors = sel.AUTHOR
    date_selectors = sel.DATE
    breadcrumb_selector = sel.BREADCRUMB
    tag_selectors = sel.TAGS
    related_selectors = sel.RELATED

    @field
    def site_id(self) -> int | None:
        if found := super().site_id:
            return found
        for script in self.doc.iter("script"):
            if script.text and (m := re.search(sel.PUBLISHER_ID, script.text)):
                return int(m[1])
        return None

    def prepare_container(self, container: HtmlElement) -> HtmlElement:
        for header in container.cssselect(sel.HEADER):
            header.drop_tree()
        return super().prepare_container(container)
