"""Which parser turns a page into an article: `archive.extract:extract`, or another function with its
signature named `MODULE:FUNCTION` (a branch's, a researcher's variant). `ARCHIVE_PARSER` names the one a
deployment runs: the crawl's ingest and `archive reextract` both take it, so that once the parser
changes, new fetches and re-extracted ones are read alike."""

from __future__ import annotations

import importlib
import inspect
import os
import sys
from collections.abc import Callable

from archive.extract import Article as ExtractedArticle
from archive.urls import UrlRules

DEFAULT_PARSER = "archive.extract:extract"
Parser = Callable[..., ExtractedArticle]


class ParserError(ValueError):
    """A parser that cannot be loaded or does not behave as `extract` does."""


def configured() -> str:
    """The deployment's parser: `ARCHIVE_PARSER`, else the built-in one."""
    return os.environ.get("ARCHIVE_PARSER") or DEFAULT_PARSER


def load_parser(spec: str) -> Parser:
    """The parser `spec` names, importable from the current folder too (a checkout of a branch, say)."""
    module, _, name = spec.partition(":")
    if not module or not name:
        raise ParserError(f"parser {spec!r} is not MODULE:FUNCTION")
    if os.getcwd() not in sys.path:
        sys.path.append(os.getcwd())
    try:
        parser = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError) as exc:
        raise ParserError(f"cannot load the parser {spec}: {exc}") from None
    if not callable(parser) or not _takes_five(parser):
        raise ParserError(f"{spec} is not a parser: it must take (body, url, headers, fetched_at, rules) as "
                          "archive.extract.extract does")
    return parser  # type: ignore[no-any-return]


def _takes_five(parser: Callable[..., object]) -> bool:
    """Whether the five arguments ingest passes bind to the parser's signature: `(body, url, headers,
    fetched_at, rules)` and any wrapper's `(body, url, *args, **kwargs)` alike."""
    try:
        inspect.signature(parser).bind(b"", "", None, None, None)
    except TypeError:
        return False
    except ValueError:  # a builtin without a signature: let it be tried
        return True
    return True


def reported_version(parser: Parser, rules: UrlRules) -> str:
    """The version a parser stamps on what it extracts; it names the extractions it writes."""
    version = getattr(parser(b"", "https://example.invalid/", None, None, rules), "parser_version", "")
    if not isinstance(version, str) or not version:
        raise ParserError("the parser's articles carry no parser_version")
    return version
