"""The browser, for the few pages that need one, kept small.

Chromium grows with every page it renders: caches, a renderer process per site instance, the V8 heap.
Our handler is scrapy-playwright's with these habits added:
- a page is kept open after its render and used for the next one: a new page costs Chromium a frame
  tree and often a renderer process, half of a render's CPU on a small page;
- every `DDDN_BROWSER_RECYCLE_PAGES` renders, the browser is closed as soon as the renders in flight are
  done, so what it accumulated goes with it, and the next render launches a new one (closing only the
  context would do, but Chromium in `--single-process` mode dies when a second context opens a page);
- after `DDDN_BROWSER_IDLE_SECONDS` with no render, the browser itself is shut; the next render starts
  a fresh one;
- it loads the page and its scripts' data, nothing else (`abort_request`);
- Playwright's Node.js driver starts with `DDDN_BROWSER_DRIVER_NODE_OPTIONS` (a small young generation).
The launch flags in settings keep Chromium to one process and turn off what a crawler never uses.
"""

from __future__ import annotations

import asyncio
import os
from contextlib import suppress
from typing import Any

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Page
from scrapy.crawler import Crawler
from scrapy.http import Request, Response
from scrapy_playwright.handler import ScrapyPlaywrightDownloadHandler

BLOCKED = {"image", "media", "font", "stylesheet"}


def abort_request(request: Any) -> bool:
    """scrapy-playwright's PLAYWRIGHT_ABORT_REQUEST: no images, fonts, styles, ads or trackers."""
    return bool(request.resource_type in BLOCKED or "googletagmanager" in request.url or "oneads" in request.url
                or "1cdn.vn" in request.url)


class LeanPlaywrightHandler(ScrapyPlaywrightDownloadHandler):  # type: ignore[misc]
    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.driver_node_options = crawler.settings.get("DDDN_BROWSER_DRIVER_NODE_OPTIONS") or ""
        self.recycle_pages = crawler.settings.getint("DDDN_BROWSER_RECYCLE_PAGES")
        self.idle_seconds = crawler.settings.getfloat("DDDN_BROWSER_IDLE_SECONDS")
        self.in_flight = 0
        # Pages open and waiting for a render. At most PLAYWRIGHT_MAX_PAGES_PER_CONTEXT renders run at once
        # (`slots`), so pages in use and spare never exceed what scrapy-playwright's own page limit allows.
        self.spare_pages: list[Page] = []
        self.slots = asyncio.Semaphore(crawler.settings.getint("PLAYWRIGHT_MAX_PAGES_PER_CONTEXT") or 1)
        self.since_recycle = 0
        self.idle_timer: asyncio.TimerHandle | None = None
        # Held while the browser is being closed: no render starts on one that is going away.
        self.closing = asyncio.Lock()
        self.drained = asyncio.Event()  # set while no render is in flight
        self.drained.set()

    async def _launch(self) -> None:
        # The driver is spawned here with this process's environment, read at that moment: the options
        # reach it and nothing else (NODE_OPTIONS the user set follow ours, so theirs win).
        before = os.environ.get("NODE_OPTIONS")
        if self.driver_node_options:
            os.environ["NODE_OPTIONS"] = f"{self.driver_node_options} {before or ''}".strip()
        try:
            await super()._launch()
        finally:
            if before is None:
                os.environ.pop("NODE_OPTIONS", None)
            else:
                os.environ["NODE_OPTIONS"] = before

    async def _download_request(self, request: Request, spider: Any = None) -> Response:
        if self.idle_timer is not None:
            self.idle_timer.cancel()
            self.idle_timer = None
        async with self.slots:
            async with self.closing:
                self.in_flight += 1
                self.drained.clear()
            try:
                return await self._render(request, spider)
            finally:
                self.in_flight -= 1
                self.since_recycle += 1
                if self.in_flight == 0:
                    self.drained.set()
                await self._settle()

    async def _render(self, request: Request, spider: Any) -> Response:
        """scrapy-playwright's render, on a spare page when there is one; the page is kept afterwards,
        unless the render failed (its state is then unknown) or the request asked for the page itself."""
        if request.meta.get("playwright_include_page"):
            response: Response = await super()._download_request(request, spider)
            return response
        while self.spare_pages and "playwright_page" not in request.meta:
            page = self.spare_pages.pop()
            if not page.is_closed():
                request.meta["playwright_page"] = page
                self.stats.inc_value("dddn/browser/pages_reused")
        request.meta["playwright_include_page"] = True
        try:
            response = await super()._download_request(request, spider)
        except BaseException:
            page = request.meta.pop("playwright_page", None)
            if page is not None and not page.is_closed():
                with suppress(PlaywrightError):
                    await page.close()
            raise
        finally:
            request.meta.pop("playwright_include_page", None)
        self.spare_pages.append(request.meta.pop("playwright_page"))
        return response

    async def _settle(self) -> None:
        """After a render: restart the browser if due, and arm the quiet-spell timer once none is in flight.
        A restart waits for the renders in flight and lets none start meanwhile: a crawl keeps its render
        slots busy, and a restart that waited for a quiet moment would never come."""
        if self.recycle_pages and self.since_recycle >= self.recycle_pages:
            async with self.closing:
                await self.drained.wait()
                if self.since_recycle >= self.recycle_pages and await self._close_browser():
                    self.since_recycle = 0
                    self.stats.inc_value("dddn/browser/recycled")
        if self.idle_seconds > 0 and self.in_flight == 0:
            if self.idle_timer is not None:
                self.idle_timer.cancel()
            loop = asyncio.get_running_loop()
            self.idle_timer = loop.call_later(self.idle_seconds, lambda: loop.create_task(self._shut_idle()))

    async def _shut_idle(self) -> None:
        async with self.closing:
            if self.in_flight == 0 and await self._close_browser():
                self.stats.inc_value("dddn/browser/shut_idle")

    async def _close_contexts(self) -> None:
        self.spare_pages.clear()  # closed with their contexts
        with suppress(PlaywrightError):  # each context's close callback forgets it
            await asyncio.gather(*[w.context.close() for w in list(self.context_wrappers.values())])

    async def _close_browser(self) -> bool:
        """Closes the browser, if one is running; the caller holds `closing`, with no render in flight."""
        async with self.browser_launch_lock:
            if not hasattr(self, "browser"):
                return False
            browser = self.browser
            # Forget it before closing: the next render then launches a new browser at once, and the
            # handler's own disconnect callback cannot drop that new one.
            browser.remove_listener("disconnected", self._browser_disconnected_callback)
            await self._close_contexts()
            del self.browser
            with suppress(PlaywrightError):
                await browser.close()
            return True
