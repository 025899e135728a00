"""Long-form "E-magazine" pages on OneCMS, whose article is built by script in the browser."""

MARKERS: tuple[str, ...] = ("#emag-root, div.c-emagazine",)  # either one
HINTS: tuple[str, ...] = ("emag-root", "c-emagazine")
ROOT = "#emag-root"
CONTENT = "#emag-root .emag-content"
TITLE: tuple[str, ...] = ("#emag-root .emag-title",)
LEAD: tuple[str, ...] = ("#emag-root .emag-sapo",)
AUTHOR: tuple[str, ...] = ("#emag-root .emag-author",)
DATE: tuple[str, ...] = ("#emag-root .emag-time",)
