"""The generic path on pages in the manner of other Vietnamese news CMS families
(`tests/archive/fixtures/vietnamese.py`): every field a reader sees, right, and nothing around the article
in its body."""

from __future__ import annotations

from typing import Any

import pytest

from archive.extract import extract
from tests.archive.fixtures.vietnamese import FAMILIES, LEAD_IMAGES
from tests.replica import Replica


@pytest.fixture(scope="module")
def articles(replica: Replica) -> list[dict[str, Any]]:
    return [t for t in replica.truth() if t["status"] == "live" and t["kind"] == "normal"
            and len(t["section_path"]) == 2 and t["tags"] and all(b["type"] != "box" for b in t["blocks"])][:4]


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_every_field_is_right_and_nothing_leaks(articles: list[dict[str, Any]], family: str) -> None:
    for n, t in enumerate(articles):
        page = FAMILIES[family](t)
        got = extract(page, f"https://bao-{family}.example.vn/kinh-te/bai-viet-{n}.html")
        assert got.template == "generic"
        assert got.title == t["title"]
        assert got.lead == t["lead"], "the visible sapo, not the meta description"
        assert got.section == t["section_path"][-1]
        assert got.section_path == (t["section_path"] if family != "c" else t["section_path"][-1:])
        assert got.tags == t["tags"], "each tag without the list's separators"
        assert got.author == t["authors"]
        assert got.images[0].caption == LEAD_IMAGES[family][1], "the paragraph after the image is its caption"
        assert got.text.splitlines() == t["body"], "no caption, control, teaser or counter in the body"
