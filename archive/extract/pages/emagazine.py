"""Long-form E-magazine pages: the article exists only once the page's script has run."""

from __future__ import annotations

from lxml.html import HtmlElement

from archive.extract.model import NEEDS_BROWSER
from archive.extract.pages.current import CurrentPage
from archive.extract.pages.fields import field
from archive.extract.selectors import emagazine as sel


class EmagazinePage(CurrentPage):
    template = "emagazine"
    markers = sel.MARKERS
    hints = sel.HINTS
    container_selector = sel.CONTENT
    scope_selector = sel.ROOT
    title_selectors = sel.TITLE
    lead_selectors = sel.LEAD
    author_selectors = sel.AUTHOR
    date_selectors = sel.DATE

    @property
    def rendered(self) -> bool:
        return self.container is not None

    @field
    def flags(self) -> list[str]:
        return [] if self.rendered else [NEEDS_BROWSER]

    def prepare_container(self, container: HtmlElement) -> HtmlElement:
        return container
