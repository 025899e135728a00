"""The generic path on pages in the manner of six other Vietnamese news CMS families, saved in
`tests/archive/fixtures/viet/` next to the fields a reader sees on them (written by
`python -m tests.archive.fixtures.record vietnamese`): every field right, and nothing around the article
in its body."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from archive.extract import extract
from archive.extract.model import Article

FOLDER = Path(__file__).parent / "fixtures" / "viet"
PAGES = sorted(FOLDER.glob("*.html"))
FIELDS = ("title", "lead", "section", "section_path", "tags", "author", "lead_caption", "published", "text")


def fields_of(article: Article) -> dict[str, Any]:
    return {"title": article.title, "lead": article.lead, "section": article.section,
            "section_path": article.section_path, "tags": article.tags, "author": article.author,
            "lead_caption": article.images[0].caption if article.images else "",
            "published": article.published.isoformat() if article.published else None, "text": article.text}


def test_six_families_of_four_pages() -> None:
    assert len(PAGES) == 24 and len({p.name.split("-")[0] for p in PAGES}) == 6


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.stem)
@pytest.mark.parametrize("name", FIELDS)
def test_each_field_as_a_reader_sees_it(page: Path, name: str) -> None:
    wanted = json.loads(page.with_suffix(".json").read_text(encoding="utf-8"))
    got = extract(page.read_bytes(), wanted["url"])
    assert got.template == "generic"
    assert fields_of(got)[name] == wanted[name]
