"""The change log on the web: `/changes`, its Atom feeds and `/api/changes`, against the web archive (an
edit, a takedown, and the hostile article edited), and the polish found on the way."""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from typing import Any
from urllib.parse import urlencode

import feedparser
import pytest

from archive.web import chart
from tests.http import fetch
from tests.services import serving
from tests.web.conftest import WebArchive
from tests.web.hostile import MARK, SCRIPT

ATOM = "{http://www.w3.org/2005/Atom}"


def api(server: str, **params: Any) -> dict[str, Any]:
    resp = fetch(f"{server}/api/changes?{urlencode(params, doseq=True)}")
    assert resp.status == 200, resp.text
    data: dict[str, Any] = resp.json()
    return data


def test_the_api_lists_the_edit_the_takedown_and_the_hostile_edit(server: str, web_archive: WebArchive) -> None:
    data = api(server)
    found = {(e["article_id"], tuple(e["kinds"])) for e in data["entries"]}
    assert (web_archive.edited, ("lead",)) in found
    assert (web_archive.gone, ("takedown",)) in found
    assert (web_archive.hostile, ("title",)) in found
    assert data["total"] == len(data["entries"]) == 3
    assert {c["kind"]: c["count"] for c in data["kinds"]} == {"title": 1, "lead": 1, "takedown": 1}
    edit = next(e for e in data["entries"] if e["article_id"] == web_archive.edited)
    assert edit["version"] == 2 and edit["words"]["lead"][0] > 0 and edit["lag_hours"] > 0
    assert api(server, kind=["takedown"])["total"] == 1
    assert api(server, min_words=10_000)["total"] == 0


def test_the_page_shows_counts_a_chart_entries_and_links_its_feed(server: str, web_archive: WebArchive) -> None:
    resp = fetch(f"{server}/changes?lang=en")
    assert resp.status == 200
    page = resp.text
    assert "3 changes" in page and 'class="chart"' in page
    assert f'href="/articles/{web_archive.edited}/diff?a=1&amp;b=2"' in page
    assert '<link rel="alternate" type="application/atom+xml"' in page
    hostile = fetch(f"{server}/changes?kind=title&lang=en").text
    assert "1 change<" in hostile and "Title: <del>" in hostile and "&lt;script&gt;" in hostile
    assert "<script>" + MARK not in hostile


def _feed(server: str, path: str) -> tuple[Any, ET.Element]:
    resp = fetch(server + path)
    assert resp.status == 200 and resp.headers["content-type"].startswith("application/atom+xml")
    return feedparser.parse(resp.body), ET.fromstring(resp.body)  # well formed, or ET raises


def test_the_feeds_parse_and_hostile_text_stays_text(server: str, web_archive: WebArchive) -> None:
    parsed, tree = _feed(server, "/changes.atom")
    assert not parsed.bozo and len(parsed.entries) == 3
    assert len({e.id for e in parsed.entries}) == 3 and all(e.id.startswith("urn:uuid:") for e in parsed.entries)
    assert {el.tag for el in tree.iter()} <= {ATOM + t for t in ("feed", "id", "title", "updated", "link",
                                                                  "generator", "entry", "summary")}
    hostile = next(e for e in tree.iter(ATOM + "entry") if SCRIPT in (e.findtext(ATOM + "title") or ""))
    assert "→" in (hostile.findtext(ATOM + "summary") or "")
    again, _ = _feed(server, "/changes.atom")
    assert [e.id for e in again.entries] == [e.id for e in parsed.entries]  # stable ids
    history, _ = _feed(server, f"/articles/{web_archive.edited}/history.atom?lang=en")
    assert not history.bozo and [e.title for e in history.entries] == [f"lead: {web_archive.new['title']}"]
    assert 'rel="alternate" type="application/atom+xml"' in fetch(
        f"{server}/articles/{web_archive.edited}/history").text


@pytest.mark.parametrize("query", ["kind=typo", "min_words=-1", "since=yesterday", "q=%28unbalanced",
                                   "since=2026-06-02&until=2026-06-01"])
@pytest.mark.parametrize("path", ["/changes", "/api/changes", "/changes.atom"])
def test_bad_filters_are_a_400_with_one_line(server: str, path: str, query: str) -> None:
    resp = fetch(f"{server}{path}?{query}")
    assert resp.status in ((400, 422) if path.startswith("/api") and "since=yesterday" in query else (400,))
    assert "Traceback" not in resp.text


def test_one_article_matches_in_the_singular_and_the_diff_is_headed_by_the_title(
        server: str, web_archive: WebArchive) -> None:
    title = str(web_archive.new["title"])
    phrase = '"' + " ".join(re.findall(r"\w+", title)) + '"'
    page = fetch(f"{server}/search?{urlencode({'q': phrase, 'lang': 'en'})}").text
    assert "1 article matches" in page and "1 articles" not in page
    diff = fetch(f"{server}/articles/{web_archive.edited}/diff?lang=en").text
    heading = diff[diff.index("<h1>"):diff.index("</h1>")]
    assert html.unescape(heading).endswith(title + "</a>") and web_archive.new["canonical_url"] not in heading


def test_zero_words_removed_is_not_drawn_as_a_removal(server: str, web_archive: WebArchive) -> None:
    history = fetch(f"{server}/articles/{web_archive.hostile}/history").text
    assert "<span>−0</span>" in history and "<del>−0</del>" not in history


def test_a_single_month_of_matches_is_one_narrow_bar() -> None:
    bars = chart.bars([("2026-06", 7)])
    assert len(bars) == 1 and bars[0].width < chart.WIDTH / 6
    columns = chart.stacked([("2026-06-01", {"title": 2, "body": 1})], ("title", "body"))
    assert columns[0].width < chart.WIDTH / 6 and [s.kind for s in columns[0].segments] == ["title", "body"]


def test_serve_with_two_workers_answers_from_both(web_archive: WebArchive) -> None:
    with serving(web_archive.url, workers=2) as base:
        answers = {fetch(f"{base}/api/changes").json()["total"] for _ in range(6)}
        assert answers == {3} and fetch(f"{base}/changes").status == 200
