"""Extraction never raises, whatever shape a page's JSON-LD takes, and a field that cannot be read costs
only itself. Real pages write JSON-LD every way schema.org allows, and many it doesn't."""

from __future__ import annotations

import html
import json
from datetime import datetime
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from archive.extract import extract
from archive.extract.conventions import HOME_CRUMBS
from archive.extract.dates import VN
from archive.extract.pages.current import CurrentPage
from archive.extract.pages.fields import field
from archive.urls import DEFAULT_RULES

URL = "https://example.com/tin-tuc/bai-viet-thu-nghiem-123456.html"
PARAGRAPHS = "".join(
    f"<p>Đoạn {i}: doanh nghiệp địa phương đẩy mạnh chuyển đổi số, nâng cao năng lực cạnh tranh và mở rộng thị "
    f"trường xuất khẩu trong năm nay, theo báo cáo của hiệp hội ngành hàng.</p>" for i in range(6))
FIXTURES = Path(__file__).parent / "fixtures" / "extract"

# Section and person names; never a home page's label ("Home"), which a breadcrumb rightly leaves out.
names = st.text(alphabet="abcdeghiklmnopqrstuvxyĐđăâêôơưáàảãạ", min_size=2, max_size=12).map(str.title).filter(
    lambda name: name.casefold() not in HOME_CRUMBS)
people = st.tuples(names, names).map(" ".join)


def person(name: str) -> st.SearchStrategy[Any]:
    return st.sampled_from([name, {"@type": "Person", "name": name}, {"@type": "Organization", "name": name},
                            {"@type": ["Person"], "name": name, "url": "https://example.com/a"}])


@st.composite
def authors(draw: st.DrawFn) -> tuple[Any, list[str]]:
    chosen = draw(st.lists(people, min_size=1, max_size=3, unique=True))
    shapes = [draw(person(n)) for n in chosen]
    return (shapes[0] if len(shapes) == 1 and draw(st.booleans()) else shapes), chosen


@st.composite
def breadcrumbs(draw: st.DrawFn) -> tuple[dict[str, Any], list[str]]:
    chosen = draw(st.lists(names, min_size=1, max_size=3, unique=True))
    elements = []
    for position, name in enumerate(chosen, start=1):
        url = f"https://example.com/muc-{position}"
        item = draw(st.sampled_from([url, {"@id": url, "name": name}, [{"@id": url, "name": name}]]))
        element: dict[str, Any] = {"@type": "ListItem", "position": position, "item": item}
        if isinstance(item, str) or draw(st.booleans()):
            element["name"] = name
        elements.append(element)
    listed = elements[0] if len(elements) == 1 and draw(st.booleans()) else elements
    return {"@type": "BreadcrumbList", "itemListElement": listed}, chosen


dates = st.sampled_from([("2026-05-27T14:51:01+07:00", datetime(2026, 5, 27, 14, 51, 1, tzinfo=VN)),
                         ("2026-05-27T14:51:01", datetime(2026, 5, 27, 14, 51, 1, tzinfo=VN)),
                         ("2026-05-27T07:51:01Z", datetime(2026, 5, 27, 14, 51, 1, tzinfo=VN))])


@st.composite
def json_ld_page(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    author, author_names = draw(authors())
    crumbs, crumb_names = draw(breadcrumbs())
    date_text, date = draw(dates)
    article = {"@context": "https://schema.org", "@type": draw(st.sampled_from(
        ["NewsArticle", "Article", "https://schema.org/NewsArticle", ["NewsArticle", "Article"]])),
        "headline": "Doanh nghiệp và chuyển đổi số", "author": author, "datePublished": date_text}
    layout = draw(st.sampled_from(["separate", "list", "graph", "main_entity", "one_script_two_objects"]))
    if layout == "separate":
        scripts = [json.dumps(article), json.dumps(crumbs)]
    elif layout == "list":
        scripts = [json.dumps([article, crumbs])]
    elif layout == "graph":
        scripts = [json.dumps({"@context": "https://schema.org", "@graph": [crumbs, article]})]
    elif layout == "main_entity":
        scripts = [json.dumps({"@type": "WebPage", "mainEntity": article, "breadcrumb": crumbs})]
    else:
        scripts = [json.dumps(article) + draw(st.sampled_from(["", "\n", ","])) + json.dumps(crumbs)]
    damage = draw(st.sampled_from(["none", "trailing_comma", "entities", "control_characters"]))
    if damage == "trailing_comma":
        scripts = [s[:-1] + ",}" if s.endswith("}") else s[:-1] + ",]" for s in scripts]
    elif damage == "entities":
        scripts = [html.escape(s) for s in scripts]
    elif damage == "control_characters":
        scripts = [s.replace("Doanh nghiệp", "Doanh\tnghiệp\n") for s in scripts]
    head = "".join(f'<script type="application/ld+json">{s}</script>' for s in scripts)
    page = f"<html><head><title>Bài viết</title>{head}</head><body><article>{PARAGRAPHS}</article></body></html>"
    return page, {"author": author_names, "section_path": crumb_names, "published": date}


@settings(max_examples=150, deadline=None)
@given(json_ld_page())
def test_every_json_ld_shape_is_read(case: tuple[str, dict[str, Any]]) -> None:
    page, want = case
    article = extract(page.encode(), URL)
    assert not [f for f in article.flags if f.startswith("field_error:")]
    assert article.author == want["author"]
    assert article.section_path == want["section_path"]
    assert article.published == want["published"]


@settings(max_examples=80, deadline=None)
@given(st.text(max_size=300))
def test_any_script_text_is_tolerated(script: str) -> None:
    page = (f'<html><head><script type="application/ld+json">{html.escape(script, quote=False)}</script></head>'
            f"<body><article>{PARAGRAPHS}</article></body></html>")
    article = extract(page.encode(), URL)
    assert "Đoạn 5" in article.text


class TaglessPage(CurrentPage):
    """A page object whose tag reader breaks, as one would on markup it was never written for."""

    @field
    def tags(self) -> list[str]:
        raise ValueError("unexpected markup")


def test_a_field_that_cannot_be_read_is_left_empty_and_flagged_and_the_rest_is_extracted() -> None:
    import lxml.html

    folder = FIXTURES / "current-article"
    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    want = json.loads((folder / "output.json").read_text(encoding="utf-8"))
    doc = lxml.html.document_fromstring((folder / "input.html").read_bytes())
    article = TaglessPage(doc, meta["url"], DEFAULT_RULES).to_article()
    assert article.tags == [] and "field_error:tags" in article.flags
    assert (article.title, article.text, article.author) == (want["title"], want["text"], want["author"])


def test_a_broken_canonical_link_falls_back_to_the_page_url() -> None:
    page = (f'<html><head><link rel="canonical" href="http://[broken/x"></head><body><article>{PARAGRAPHS}'
            "</article></body></html>")
    article = extract(page.encode(), URL)
    assert article.canonical_url in (URL, "http://[broken/x")
    assert "Đoạn 0" in article.text
