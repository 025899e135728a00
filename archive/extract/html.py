"""Small readers over a parsed page that every page object uses."""

from __future__ import annotations

import html
import json
import unicodedata
from functools import lru_cache
from typing import Any
from urllib.parse import urljoin

from lxml import etree
from lxml.cssselect import CSSSelector
from lxml.html import HtmlElement


def clean(text: str | None) -> str:
    """One line of text as a reader sees it: NFC, runs of any blank (no-break spaces too) as one space."""
    if not text:
        return ""
    text = " ".join(text.split())
    return text if unicodedata.is_normalized("NFC", text) else unicodedata.normalize("NFC", text)


def text_of(el: HtmlElement | None) -> str:
    return clean(el.text_content()) if el is not None else ""


@lru_cache(maxsize=512)
def css(selector: str) -> etree.XPath:
    return CSSSelector(selector)


def select(root: HtmlElement, selector: str) -> list[HtmlElement]:
    return list(css(selector)(root))


def first(root: HtmlElement, selector: str) -> HtmlElement | None:
    found = css(selector)(root)
    return found[0] if found else None


def first_text(root: HtmlElement, *selectors: str) -> str:
    for selector in selectors:
        if (value := text_of(first(root, selector))):
            return value
    return ""


def meta(root: HtmlElement, *names: str) -> str:
    """The first non-empty <meta> content among `name=` or `property=` names."""
    for name in names:
        for el in root.xpath(f'//meta[@name="{name}" or @property="{name}" or @itemprop="{name}"]'):
            if value := clean(el.get("content")):
                return value
    return ""


def absolute(base: str, href: str | None) -> str:
    if not href:
        return ""
    href = href.strip()
    return href if href.startswith(("http://", "https://")) else urljoin(base, href)


def json_ld(root: HtmlElement, kind: str) -> dict[str, Any]:
    """The first JSON-LD object of @type `kind`; the site writes HTML entities inside its strings."""
    for script in root.xpath('//script[@type="application/ld+json"]'):
        try:
            data = json.loads(script.text or "", strict=False)
        except ValueError:
            continue
        for item in data if isinstance(data, list) else data.get("@graph", [data]):
            if isinstance(item, dict) and kind in _types(item):
                return item
    return {}


def _types(item: dict[str, Any]) -> list[str]:
    value = item.get("@type", [])
    return value if isinstance(value, list) else [value]


def ld_text(value: Any) -> str:
    """A JSON-LD string, person or list of them, as text."""
    if isinstance(value, dict):
        value = value.get("name", "")
    if isinstance(value, list):
        return ", ".join(ld_text(v) for v in value)
    return clean(html.unescape(str(value))) if value else ""  # the site HTML-escapes inside JSON-LD
