"""Pages no page object knows (64 pages of 16 other sites' templates and an imagined redesign) go to the
generic path, which must never do worse than bare trafilatura on the same page."""

from __future__ import annotations

from pathlib import Path

import lxml.html
import pytest
import trafilatura

from archive.extract import extract
from archive.extract.model import FALLBACK_USED
from archive.extract.pages.generic import GenericPage
from archive.urls import DEFAULT_RULES
from tests.archive.fixtures import foreign
from tests.extract_eval import token_f1

GENERIC = Path(__file__).parent / "fixtures" / "generic"
PAGES = sorted(p.stem for p in GENERIC.glob("*.html"))


@pytest.mark.parametrize("name", PAGES)
def test_fallback_never_worse_than_bare_trafilatura(name: str) -> None:
    raw = (GENERIC / f"{name}.html").read_bytes()
    want = (GENERIC / f"{name}.txt").read_text(encoding="utf-8")
    article = extract(raw, f"https://example.vn/{name}")
    assert article.template == "generic" and FALLBACK_USED in article.flags
    ours, bare = token_f1(article.text, want), token_f1(trafilatura.extract(raw) or "", want)
    assert ours >= bare
    assert ours >= 0.95


def test_the_set_covers_other_sites_and_a_redesign() -> None:
    assert {name.split("-")[0] for name in PAGES} == {*foreign.TEMPLATES, "redesign"}
    assert len(PAGES) >= 60


@pytest.mark.parametrize("name", PAGES[::8])
def test_trafilatura_leaves_the_page_it_reads_untouched(name: str) -> None:
    # the generic page hands trafilatura its own tree, uncopied, and reads the same tree afterwards
    doc = lxml.html.document_fromstring((GENERIC / f"{name}.html").read_text(encoding="utf-8"))
    before = lxml.html.tostring(doc)
    assert GenericPage(doc, f"https://example.vn/{name}", DEFAULT_RULES).lines
    assert lxml.html.tostring(doc) == before
