"""Which page object reads a page: by its markup, never by its host, so sister sites on the same CMS
get the same page object and a redesign falls through to the generic fallback."""

from __future__ import annotations

from lxml.html import HtmlElement

from archive.extract.html import first, first_text
from archive.extract.pages.base import Page
from archive.extract.pages.current import CurrentPage
from archive.extract.pages.emagazine import EmagazinePage
from archive.extract.pages.generic import GenericPage
from archive.extract.pages.legacy import LegacyPage

PAGES: tuple[type[Page], ...] = (EmagazinePage, CurrentPage, LegacyPage)
NOT_FOUND_MARKERS = ("div.page-404", "div.c-page-404")
NOT_FOUND_TEXT = ("không tìm thấy trang", "page not found")
NOT_FOUND_CLASSES = tuple(f'class="{m.split(".")[-1]}"'.encode() for m in NOT_FOUND_MARKERS)  # for `triage`


def detect(doc: HtmlElement, raw: str) -> tuple[type[Page] | None, bool]:
    """The page object for `doc` (whose text is `raw`), and whether the page is the site's not-found page
    served as 200. Substring hints spare a tree scan per template on pages that cannot match."""
    for page in PAGES:
        if any(hint in raw for hint in page.hints) and page.matches(doc):
            return page, False
    if any(first(doc, m) is not None for m in NOT_FOUND_MARKERS) or any(
            t in first_text(doc, "title", "h1").casefold() for t in NOT_FOUND_TEXT):
        return None, True
    return GenericPage, False


def triage(body: bytes) -> str | None:
    """What a fetched article page needs before it is worth extracting, from cheap markup checks:
    "empty" or "soft_404" (fetch it again later), "needs_browser" (render it), or None."""
    if not body.strip():
        return "empty"
    head = body[:400_000]
    if any(marker in head for marker in NOT_FOUND_CLASSES):
        return "soft_404"
    if b'id="emag-root"' in head and b'class="emag-content"' not in head:  # the script names it too
        return "needs_browser"
    return None
