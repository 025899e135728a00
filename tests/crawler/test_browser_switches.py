"""The browser is launched with the switches the settings mean. Chromium keeps only the last of a switch
given twice, and Playwright writes its own before ours, so every switch we share with Playwright must
carry Playwright's values as well as ours: read back from the running browser's command line. And what
the switches are for is checked on the running browser: the processes and targets it opens."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from playwright.async_api import Browser, async_playwright

from crawler import settings
from tests.bench.harness import chromium_processes
from tests.replica import Replica


@asynccontextmanager
async def launched(executable: str) -> AsyncIterator[Browser]:
    """Chromium as the crawl launches it."""
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(**{**settings.PLAYWRIGHT_LAUNCH_OPTIONS,
                                                      "executable_path": executable})
        try:
            yield browser
        finally:
            await browser.close()


async def browser_command_line(executable: str) -> list[str]:
    async with launched(executable):
        return next(argv for _, kind, argv in chromium_processes(os.getpid()) if kind == "browser")


def values(argv: list[str], switch: str) -> list[list[str]]:
    """Each occurrence of --switch=a,b,c on the command line, in order, as its list of values."""
    return [arg.split("=", 1)[1].split(",") for arg in argv if arg.startswith(f"--{switch}=")]


@pytest.mark.browser
def test_the_last_of_each_shared_switch_keeps_playwrights_values_and_adds_ours(chromium_path: str) -> None:
    argv = asyncio.run(browser_command_line(chromium_path))
    for switch, ours in settings.OUR_SWITCHES.items():
        given = values(argv, switch)
        assert given, f"--{switch} is on the command line"
        effective, earlier = set(given[-1]), {value for occurrence in given[:-1] for value in occurrence}
        assert earlier <= effective, f"--{switch}: Playwright's {sorted(earlier - effective)} would be dropped"
        assert set(ours) <= effective


async def targets_and_processes(executable: str, url: str) -> tuple[list[str], list[str]]:
    """The targets the browser holds, and the kinds of its processes (`browser` for the main one), with
    two pages open on `url` as a crawl's two render slots leave them."""
    async with launched(executable) as browser:
        context = await browser.new_context()
        pages = [await context.new_page() for _ in range(settings.PLAYWRIGHT_MAX_PAGES_PER_CONTEXT)]
        await asyncio.gather(*(page.goto(url) for page in pages))
        cdp = await browser.new_browser_cdp_session()
        targets = [f"{t['type']} {t['url']}" for t in (await cdp.send("Target.getTargets"))["targetInfos"]]
        kinds = [kind for _, kind, _ in chromium_processes(os.getpid())]
        return targets, kinds


@pytest.mark.browser
def test_pages_render_inside_the_one_browser_process_and_no_browser_ui_is_opened(chromium_path: str,
                                                                                 replica: Replica) -> None:
    # Chromium 156 opens the omnibox's WebUI popups for every tab, headless too: a renderer of ≈80 MB
    url = replica.base_url + "/"
    targets, kinds = asyncio.run(targets_and_processes(chromium_path, url))
    assert targets == [f"page {url}"] * settings.PLAYWRIGHT_MAX_PAGES_PER_CONTEXT
    assert kinds == ["browser"]  # no renderer, zygote, GPU or utility process
