"""Small readers over a parsed page that every page object uses."""

from __future__ import annotations

import html
import json
import re
import unicodedata
from functools import lru_cache
from typing import Any
from urllib.parse import urljoin

import lxml.html
from lxml import etree
from lxml.cssselect import CSSSelector
from lxml.html import HtmlElement

# lxml.html's own parser picks each element's class in Python (for its form helpers, which we never
# use), on every element that Python touches: a fifth of our own time on a page. The same classes
# chosen in C.
_PARSER = etree.HTMLParser()
_PARSER.set_element_class_lookup(etree.ElementDefaultClassLookup(
    element=HtmlElement, comment=lxml.html.HtmlComment, pi=lxml.html.HtmlProcessingInstruction,
    entity=lxml.html.HtmlEntity))


def parse(text: str) -> HtmlElement:
    """A page's document element. Raises what `lxml.html.document_fromstring` raises."""
    return lxml.html.document_fromstring(text, parser=_PARSER)


def clean(text: str | None) -> str:
    """One line of text as a reader sees it: NFC, runs of any blank (no-break spaces too) as one space."""
    if not text:
        return ""
    # Most texts reach here clean already (a block's text is cleaned again for the fingerprint, say).
    # Every blank but the space is unprintable, so a printable text with no doubled or outer space is
    # what splitting and joining would return, found at a fraction of the cost.
    if not (text.isprintable() and "  " not in text and text[0] != " " and text[-1] != " "):
        text = " ".join(text.split())
    return text if unicodedata.is_normalized("NFC", text) else unicodedata.normalize("NFC", text)


def text_of(el: HtmlElement | None) -> str:
    return clean(el.text_content()) if el is not None else ""


def is_inside(element: HtmlElement, root: HtmlElement) -> bool:
    return any(ancestor is root for ancestor in element.iterancestors())


def common_ancestor(a: HtmlElement, b: HtmlElement, default: HtmlElement) -> HtmlElement:
    """The smallest element holding both `a` and `b` (one of them, if it holds the other)."""
    if a is b or is_inside(b, a):
        return a
    ancestors = set(b.iterancestors())
    return next((el for el in a.iterancestors() if el in ancestors), default)


@lru_cache(maxsize=512)
def css(selector: str) -> etree.XPath:
    return CSSSelector(selector)


def select(root: HtmlElement, selector: str) -> list[HtmlElement]:
    return list(css(selector)(root))


@lru_cache(maxsize=64)
def _having_class(names: tuple[str, ...]) -> etree.XPath:
    return etree.XPath("descendant-or-self::*[@class and ({})]".format(
        " or ".join(f"contains(@class, '{name}')" for name in names)))


def having_class(root: HtmlElement, names: tuple[str, ...]) -> list[HtmlElement]:
    """Elements at or below `root` whose class contains one of `names`, in page order: what the selector
    `[class*=a], [class*=b], …` finds, in one walk of the tree where lxml walks it once per part."""
    return list(_having_class(names)(root))


def class_rank(el: HtmlElement, names: tuple[str, ...]) -> int:
    """The index of the first of `names` that `el`'s class contains (`len(names)` if none): sorted by it,
    `having_class` finds what trying `[class*=a]`, then `[class*=b]`, … one after another finds."""
    classes = el.get("class") or ""
    return next((i for i, name in enumerate(names) if name in classes), len(names))


def first(root: HtmlElement, selector: str) -> HtmlElement | None:
    found = css(selector)(root)
    return found[0] if found else None


def first_text(root: HtmlElement, *selectors: str) -> str:
    for selector in selectors:
        if (value := text_of(first(root, selector))):
            return value
    return ""


def absolute(base: str, href: str | None) -> str:
    if not href:
        return ""
    href = href.strip()
    return href if href.startswith(("http://", "https://")) else urljoin(base, href)


def json_ld(root: HtmlElement, *kinds: str) -> dict[str, Any]:
    """The first JSON-LD object of any @type in `kinds`, wherever it sits: top level, a list, `@graph`,
    or nested (`mainEntity`, …). Scripts that are not valid JSON are repaired as far as they can be."""
    wanted = set(kinds)
    for item in json_ld_objects(root):
        if wanted.intersection(_types(item)):
            return item
    return {}


def json_ld_objects(root: HtmlElement) -> list[dict[str, Any]]:
    """Every typed JSON-LD object of the page, outer objects before the ones nested in them."""
    found: list[dict[str, Any]] = []
    for script in root.xpath('//script[contains(translate(@type, "LDJSON", "ldjson"), "ld+json")]'):
        queue: list[Any] = _decode_all(script.text or "")
        while queue:
            value = queue.pop(0)
            if isinstance(value, list):
                queue.extend(value)
            elif isinstance(value, dict):
                if "@type" in value:
                    found.append(value)
                queue.extend(v for v in value.values() if isinstance(v, dict | list))
    return found


_TRAILING_COMMA = re.compile(r",\s*([}\]])")
_WRAPPERS = re.compile(r"^\s*(?:<!--|<!\[CDATA\[)|(?:-->|\]\]>)\s*$")


def _decode_all(text: str) -> list[Any]:
    """The JSON values in a script: as written, else with HTML entities decoded and trailing commas
    dropped. Several values in one script (`{…}{…}` or `{…},{…}`) are all read; raw control characters
    inside strings are accepted."""
    text = _WRAPPERS.sub("", text)
    values, complete = _decode_sequence(text)
    if complete:
        return values
    repaired, _ = _decode_sequence(_TRAILING_COMMA.sub(r"\1", html.unescape(text)))
    return repaired if len(repaired) > len(values) else values


def _decode_sequence(text: str) -> tuple[list[Any], bool]:
    """The values read from the start of `text`, and whether all of it was read."""
    decoder = json.JSONDecoder(strict=False)
    values: list[Any] = []
    at = 0
    while True:
        while at < len(text) and text[at] in " \t\r\n,;":
            at += 1
        if at >= len(text):
            return values, True
        try:
            value, at = decoder.raw_decode(text, at)
        except ValueError:
            return values, False
        values.append(value)


def _types(item: dict[str, Any]) -> list[str]:
    value = item.get("@type", [])
    # "NewsArticle", "schema:NewsArticle" and "https://schema.org/NewsArticle" are one type
    return [str(v).rsplit("/", 1)[-1].rsplit(":", 1)[-1] for v in (value if isinstance(value, list) else [value])]


def ld_text(value: Any) -> str:
    """A JSON-LD string, thing (Person, Organization, …) or list of them, as text."""
    if isinstance(value, dict):
        value = value.get("name", "")
    if isinstance(value, list):
        return ", ".join(t for v in value if (t := ld_text(v)))
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        return ""
    return clean(html.unescape(str(value))) if value != "" else ""  # the site HTML-escapes inside JSON-LD


def ld_names(value: Any) -> list[str]:
    """The names in a JSON-LD `author`-like value: one string, a thing, or a list of either."""
    if isinstance(value, list):
        return [name for v in value for name in ld_names(v)]
    text = ld_text(value)
    return [text] if text else []


def ld_date(value: Any) -> str:
    """A JSON-LD date as text; some pages give a list of them, or a `{"@value": …}`."""
    if isinstance(value, list):
        value = value[0] if value else ""
    if isinstance(value, dict):
        value = value.get("@value", "")
    return value if isinstance(value, str) else ""


def ld_breadcrumbs(crumbs: dict[str, Any]) -> list[str]:
    """The names of a BreadcrumbList, in `position` order. `itemListElement` may be one element or a list;
    an element names itself, or its `item` does (a thing, a list of things, or a bare URL, which has no
    name to show)."""
    elements = crumbs.get("itemListElement", [])
    elements = elements if isinstance(elements, list) else [elements]
    named: list[tuple[float, int, str]] = []
    for index, element in enumerate(elements):
        if not isinstance(element, dict):
            continue
        item = element.get("item")
        if isinstance(item, list):
            item = next((i for i in item if isinstance(i, dict)), None)
        name = ld_text(element.get("name")) or (ld_text(item.get("name")) if isinstance(item, dict) else "")
        position = element.get("position")
        try:
            order = float(position) if position is not None else float(index)
        except (TypeError, ValueError):
            order = float(index)
        if name:
            named.append((order, index, name))
    return [name for _, _, name in sorted(named)]
