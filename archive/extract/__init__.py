"""`extract(body, url)`: one fetched page to one clean Article. Pure: the same input, the same output.

The crawl pipeline and `archive reextract` both call this function and nothing else.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from lxml import etree

from archive.extract import noise
from archive.extract.decode import NotHtml, decode_html
from archive.extract.detect import detect, triage
from archive.extract.fingerprint import fingerprint
from archive.extract.html import parse as parse_html
from archive.extract.model import (
    EMPTY_BODY,
    NO_DATE,
    NOISE_SUSPECTED,
    NOT_HTML,
    SOFT_404,
    TOO_SHORT,
    TRUNCATED_INPUT,
    Article,
)
from archive.extract.version import PARSER_VERSION
from archive.urls import DEFAULT_RULES, UrlRules

MIN_TEXT_CHARS = 300

__all__ = ["PARSER_VERSION", "Article", "extract", "triage"]


def extract(body: bytes | str, url: str, headers: Mapping[str, str] | None = None,
            fetched_at: datetime | None = None, rules: UrlRules = DEFAULT_RULES) -> Article:
    """Never raises on bad input: what went wrong is in `flags`."""
    noise.forget()
    flags: list[str] = []
    try:
        text, truncated = (body, False) if isinstance(body, str) else decode_html(body, headers)
        doc = parse_html(text) if text.strip() else None
    except (NotHtml, etree.ParserError, ValueError):
        doc, truncated, flags = None, False, [NOT_HTML]
    if truncated:
        flags.append(TRUNCATED_INPUT)
    page_cls, soft_404 = detect(doc, text) if doc is not None else (None, False)
    if page_cls is None or soft_404:  # nothing to read: no page, or the site's not-found page
        article = Article(url=url, canonical_url=rules.canonical(url), site_id=rules.site_id(url))
        flags += [SOFT_404] if soft_404 else []
    else:
        article = page_cls(doc, url, rules, fetched_at).to_article()
        flags += article.flags
    article.flags = _quality(article, flags)
    article.parser_version = PARSER_VERSION
    article.fingerprint = fingerprint(article)
    return article


def _quality(article: Article, flags: list[str]) -> list[str]:
    text = article.text
    if not article.blocks:
        flags.append(EMPTY_BODY)
    elif len(text) < MIN_TEXT_CHARS:
        flags.append(TOO_SHORT)
    if article.published is None:
        flags.append(NO_DATE)
    if noise.find_noise("\n".join([article.title, article.lead, text])):
        flags.append(NOISE_SUSPECTED)
    return list(dict.fromkeys(flags))
