"""Article pages of the PHP CMS the site ran until 2024."""

from __future__ import annotations

from archive.extract.html import first
from archive.extract.pages.base import Page
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
