"""Saved pages beside their expected output, web-poet style: one test per case and field."""

from __future__ import annotations

import json
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from archive.extract import Article, extract

FIXTURES = Path(__file__).parent / "fixtures" / "extract"
CASES = sorted(p.name for p in FIXTURES.iterdir() if p.is_dir())


@cache
def run(case: str) -> tuple[Article, dict[str, Any], dict[str, Any]]:
    folder = FIXTURES / case
    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    want = json.loads((folder / "output.json").read_text(encoding="utf-8"))
    article = extract((folder / "input.html").read_bytes(), meta["url"], meta["headers"])
    return article, want, meta


def got_field(article: Article, name: str) -> Any:
    data = article.to_dict()
    if name == "published":
        return article.published
    if name == "images":
        return [{"src": i["src"], "caption": i["caption"]} for i in data["images"]]
    if name == "flags":
        return sorted(data["flags"])
    return data[name]


def want_field(want: dict[str, Any], name: str) -> Any:
    if name == "published":
        return datetime.fromisoformat(want[name])
    if name == "flags":
        return sorted(want[name])
    return want[name]


@pytest.mark.parametrize(("case", "field"), [(c, f) for c in CASES for f in json.loads(
    (FIXTURES / c / "output.json").read_text(encoding="utf-8"))])
def test_field(case: str, field: str) -> None:
    article, want, _ = run(case)
    assert got_field(article, field) == want_field(want, field)


@pytest.mark.parametrize("case", [c for c in CASES if "same_fingerprint_as" in run(c)[2]])
def test_same_article_in_both_templates_has_one_fingerprint(case: str) -> None:
    article, _, meta = run(case)
    other, _, _ = run(meta["same_fingerprint_as"])
    assert article.template != other.template
    assert article.fingerprint == other.fingerprint


def test_every_template_and_noise_kind_has_a_fixture() -> None:
    from archive.extract import noise

    templates = {run(c)[0].template for c in CASES}
    assert {"legacy", "current", "emagazine", "none"} <= templates
    kinds = {c.removeprefix("noise-").split("-")[0] for c in CASES if c.startswith("noise-")}
    assert {r.name for r in noise.RULES} - {"widgets"} <= kinds


def test_a_sister_site_on_the_same_cms_gets_the_same_page_object() -> None:
    """Detection is by markup: the same OneCMS page on nguoiquansat.vn reads the same."""
    folder = FIXTURES / "current-article"
    page = (folder / "input.html").read_bytes().replace(b"diendandoanhnghiep.vn", b"nguoiquansat.vn")
    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    article = extract(page, meta["url"].replace("diendandoanhnghiep.vn", "nguoiquansat.vn"))
    want = json.loads((folder / "output.json").read_text(encoding="utf-8"))
    assert article.template == "current" and article.title == want["title"] and article.text == want["text"]
    assert article.canonical_url.startswith("https://nguoiquansat.vn/")
