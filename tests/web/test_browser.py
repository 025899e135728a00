"""The researcher's flow in Debian's Chromium, with JavaScript and without; stored XSS; accessibility."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import feedparser
import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, BrowserContext, Dialog, Page, expect, sync_playwright

from archive.search.fold import fold
from tests.web.conftest import WebArchive
from tests.web.hostile import HANDLER, SCRIPT

pytestmark = [pytest.mark.browser, pytest.mark.slow]
SERIOUS = ("serious", "critical")


@pytest.fixture(scope="module")
def browser(chromium_path: str) -> Iterator[Browser]:
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=chromium_path,
                                     args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                                           "--disable-component-update", "--disable-sync", "--no-first-run"])
        yield launched
        launched.close()


@dataclass
class Watched:
    """What a page did that a hostile archive would want it to do."""

    dialogs: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)


def context(browser: Browser, javascript: bool = True, language: str = "en-US") -> tuple[BrowserContext, Watched]:
    ctx = browser.new_context(java_script_enabled=javascript, locale=language,
                              extra_http_headers={"Accept-Language": language})
    watched = Watched()

    def on_dialog(dialog: Dialog) -> None:
        watched.dialogs.append(dialog.message)
        dialog.dismiss()

    def on_page(page: Page) -> None:
        page.on("dialog", on_dialog)
        page.on("console", lambda message: watched.console.append(f"{message.type}: {message.text}"))

    ctx.on("page", on_page)
    return ctx, watched


def errors(console: list[str]) -> list[str]:
    """Console errors, but for images of the original site, which cannot load offline."""
    return [m for m in console if m.startswith(("error", "warning")) and "ERR_NAME_NOT_RESOLVED" not in m]


@pytest.mark.parametrize("javascript", [True, False], ids=["with-js", "without-js"])
def test_search_filter_article_history_diff_permalink(browser: Browser, server: str, web_archive: WebArchive,
                                                      javascript: bool) -> None:
    ctx, watched = context(browser, javascript)
    page = ctx.new_page()
    title, section = str(web_archive.new["title"]), str(web_archive.new["section_path"][0])
    page.goto(server + "/")
    expect(page).to_have_url(re.compile(r"/search$"))
    # search without diacritics
    page.get_by_label("Query").fill(" ".join(re.findall(r"\w+", fold(title))))
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("heading", name=re.compile(r"articles? match"))).to_be_visible()
    # filter by section
    page.get_by_label("Section").fill(section)
    page.get_by_role("button", name="Search").click()
    expect(page).to_have_url(re.compile(r"section="))
    hit = page.get_by_role("link", name=title, exact=True)
    expect(hit).to_be_visible()
    for meta in page.locator("article.hit p.meta").all():
        assert meta.inner_text()  # every hit shows its date and section
    # open the article
    hit.click()
    expect(page).to_have_url(f"{server}/articles/{web_archive.edited}")
    expect(page.locator("p.lead")).to_have_text(str(web_archive.new["lead"]))
    expect(page.get_by_text("Version 2 of 2")).to_be_visible()
    # its history
    page.get_by_role("link", name="History", exact=True).first.click()
    expect(page).to_have_url(f"{server}/articles/{web_archive.edited}/history")
    expect(page.locator("table.history tbody tr")).to_have_count(2)
    # a diff, inline then side by side
    page.get_by_role("link", name="1 → 2").click()
    expect(page.locator("del").first).to_be_visible()
    removed = " ".join(page.locator(".inline del").all_inner_texts())
    assert removed and all(word in str(web_archive.old["lead"]) for word in removed.split())
    page.get_by_label("Side by side").check()
    if not javascript:  # with scripts on, choosing a view applies it at once
        page.get_by_role("button", name="Compare").click()
    expect(page).to_have_url(re.compile(r"view=side"))
    expect(page.locator("table.side ins").first).to_be_visible()
    # follow a permalink: version 1, straight from the address bar
    permalink = f"{server}/articles/{web_archive.edited}/versions/1"
    page.goto(permalink)
    expect(page.locator("p.lead")).to_have_text(str(web_archive.old["lead"]))
    expect(page.get_by_text("Version 1 of 2")).to_be_visible()
    assert not watched.dialogs and not errors(watched.console)
    ctx.close()


def test_the_language_switch_overrides_the_browser(browser: Browser, server: str) -> None:
    ctx, _ = context(browser, language="en-US")
    page = ctx.new_page()
    page.goto(server + "/search")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.get_by_role("link", name="Tiếng Việt").click()
    expect(page.locator("html")).to_have_attribute("lang", "vi")
    page.goto(server + "/runs")  # remembered
    expect(page.get_by_role("heading", level=1)).to_have_text("Các lần thu thập, nhập và trích xuất lại")
    ctx.close()


def _hostile_pages(server: str, web_archive: WebArchive) -> list[str]:
    id_ = web_archive.hostile
    return ["/search?q=window+xss", "/search?q=onerror&sort=newest", f"/articles/{id_}", f"/articles/{id_}/versions/1",
            f"/articles/{id_}/history", f"/articles/{id_}/diff?a=1&b=1", f"/api/articles/{id_}",
            "/changes", "/changes?kind=title", f"/articles/{id_}/diff?a=1&b=2"]


def test_stored_xss_stays_inert(browser: Browser, server: str, web_archive: WebArchive) -> None:
    article = browser.new_context().request.get(f"{server}/api/articles/{web_archive.hostile}").json()
    content: dict[str, Any] = article["content"]
    # the payloads really are in the archive, as extraction handed them on
    assert SCRIPT in content["title"] and "onload=" in content["lead"] and HANDLER in content["images"][0]["caption"]
    assert content["images"][0]["src"].startswith("javascript:") and SCRIPT in content["tags"][0]
    assert SCRIPT in content["text"]
    ctx, watched = context(browser)
    page = ctx.new_page()
    for path in _hostile_pages(server, web_archive):
        response = page.goto(server + path)
        assert response is not None and response.status == 200, path
        page.wait_for_load_state("load")
        assert page.evaluate("window.__xss") is None, path
        assert page.evaluate("""() => document.querySelectorAll(
            '[onerror], [onload], [onmouseover], a[href^="javascript:"], img[src^="javascript:"]').length""") == 0
        assert page.evaluate("""() => document.querySelectorAll('svg').length
            - document.querySelectorAll('figure.chart > svg').length""") == 0, path  # no svg but our chart
        assert page.evaluate("() => [...document.scripts].map(s => s.src)") in ([], [f"{server}/static/enhance.js"])
    page.goto(f"{server}/articles/{web_archive.hostile}")
    expect(page.get_by_role("heading", level=1)).to_contain_text(SCRIPT)  # shown as the text it is
    expect(page.locator("figcaption").first).to_contain_text(HANDLER)
    assert not watched.dialogs
    assert not [m for m in watched.console if "xss" in m.lower() or "Content Security Policy" in m], watched.console
    ctx.close()


def test_csp_blocks_what_would_slip_through(browser: Browser, server: str) -> None:
    """Belt and braces: were a template ever to let markup through, the policy forbids inline script."""
    ctx, watched = context(browser)
    page = ctx.new_page()
    page.goto(server + "/runs")
    page.evaluate("""() => { const s = document.createElement('div');
        s.innerHTML = '<img src=x onerror="window.__xss=1">'; document.body.append(s); }""")
    page.wait_for_timeout(300)
    assert page.evaluate("window.__xss") is None
    assert any("Content Security Policy" in m for m in watched.console), watched.console
    ctx.close()


@pytest.mark.parametrize("path", ["/search?q=doanh+nghiep", "/articles/{id}", "/articles/{id}/diff?a=1&b=2",
                                  "/articles/{id}/diff?a=1&b=2&view=side", "/articles/{id}/history", "/runs",
                                  "/changes", "/changes?kind=lead&kind=takedown"])
def test_no_serious_accessibility_violations(browser: Browser, server: str, web_archive: WebArchive,
                                             path: str) -> None:
    ctx = browser.new_context(bypass_csp=True)  # axe is injected as a script of the test's
    page = ctx.new_page()
    page.goto(server + path.format(id=web_archive.edited))
    results = Axe().run(page)
    serious = [(v["id"], v["impact"], len(v["nodes"])) for v in results.response["violations"]
               if v["impact"] in SERIOUS]
    assert not serious, serious
    ctx.close()


def test_console_is_clean_on_every_page(browser: Browser, server: str, web_archive: WebArchive) -> None:
    ctx, watched = context(browser)
    page = ctx.new_page()
    for path in ("/search", f"/articles/{web_archive.edited}", f"/articles/{web_archive.edited}/diff", "/runs",
                 "/changes"):
        page.goto(server + path)
    assert not errors(watched.console)
    ctx.close()


@pytest.mark.parametrize("javascript", [True, False])
def test_changes_filter_open_the_diff_and_follow_the_feed(browser: Browser, server: str, web_archive: WebArchive,
                                                          javascript: bool) -> None:
    ctx, watched = context(browser, javascript=javascript)
    page = ctx.new_page()
    page.goto(f"{server}/changes")
    page.get_by_label("lead", exact=True).check()
    if not javascript:
        page.get_by_role("button", name="Filter").click()
    page.wait_for_url(re.compile(r"kind=lead"))
    entries = page.locator("ol.changes > li")
    expect(entries).to_have_count(1)
    expect(entries.first).to_contain_text(web_archive.new["title"])
    entries.first.get_by_role("link", name=re.compile("See the edit")).click()
    page.wait_for_url(re.compile(rf"/articles/{web_archive.edited}/diff\?a=1&b=2"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(web_archive.new["title"])
    expect(page.locator("ins").first).to_be_visible()
    page.go_back()
    feed = page.locator('link[rel="alternate"][type="application/atom+xml"]').get_attribute("href")
    assert feed is not None and "kind=lead" in feed
    got = ctx.request.get(server + feed)
    assert got.ok and got.headers["content-type"].startswith("application/atom+xml")
    parsed = feedparser.parse(got.body())
    assert not parsed.bozo and [e.link for e in parsed.entries] == [
        f"{server}/articles/{web_archive.edited}/diff?a=1&b=2"]
    assert not errors(watched.console) and not watched.dialogs
    ctx.close()
