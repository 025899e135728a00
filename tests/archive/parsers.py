"""Candidate parsers for `archive reextract --parser`: variants of the one `extract()`, as a branch or a
researcher would write them."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from archive.extract import PARSER_VERSION, Article, extract
from archive.extract.fingerprint import fingerprint
from archive.urls import DEFAULT_RULES, UrlRules

EDITORS_NOTE = ("Ghi chú của Tòa soạn", "Đính chính")


def without_editors_note(body: bytes | str, url: str, headers: Mapping[str, str] | None = None,
                         fetched_at: datetime | None = None, rules: UrlRules = DEFAULT_RULES) -> Article:
    """Drops an article's last body block when it is the newsroom's correction note: the note is no
    longer seen, so the version it made merges into the one before."""
    article = extract(body, url, headers, fetched_at, rules)
    if article.blocks and article.blocks[-1].text.startswith(EDITORS_NOTE):
        article.blocks = article.blocks[:-1]
    article.parser_version = PARSER_VERSION + "+without-editors-note"
    article.fingerprint = fingerprint(article)
    return article


def not_a_parser(body: bytes) -> Article:
    """Takes the wrong arguments."""
    return extract(body, "https://example.invalid/")


def wrapped(body: bytes | str, url: str, *args: object, **kwargs: object) -> Article:
    """The usual way to wrap a function: whatever it is given goes on to `extract`."""
    article = extract(body, url, *args, **kwargs)  # type: ignore[arg-type]
    article.parser_version = PARSER_VERSION + "+wrapped"
    return article
