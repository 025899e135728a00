"""The revisit policy at work in a run (`crawler.revisits` decides; this asks): recent and scheduled
revisits once the site's clock is known, the verdict on sitemaps' `lastmod` from this run's evidence,
and the archived articles a dated sitemap no longer lists (taken down?), once everything else is fetched."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from scrapy import Request
from scrapy.exceptions import DontCloseSpider

from crawler.discovery.sitemaps import Sitemaps
from crawler.frontier import COORDINATOR, ROLE
from crawler.revisits import REASON_META, Mode, Reason, Trust, changed_since_checked, plan_revisits


class Revisiting(Sitemaps):
    trust: Trust  # how this run chooses revisits: by lastmod, or by the schedule
    edited: set[str]  # edits that revisits for another reason than lastmod found
    scheduled: set[str]  # articles given a scheduled revisit this run
    vanish_checked: bool

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.trust = Trust.initial(self.config.lastmod_trust, None)
        self.edited, self.scheduled, self.vanish_checked = set(), set(), False

    def revisit_requests(self) -> Iterator[Request]:
        """Archived articles worth another look (see `crawler.revisits`), once the site's clock is known.
        While lastmod is trusted, the schedule only probes DDDN_LASTMOD_PROBES articles."""
        articles = {url: k for url, k in self.known.items() if self.config.rules.is_article(url)}
        budget = self.config.revisit_budget
        if self.trust.mode == Mode.LASTMOD:
            budget = min(budget, self.config.lastmod_probes)
        for url, reason in plan_revisits(articles, self.now(), self.config.revisit, self.config.schedule, budget):
            if reason == Reason.SCHEDULE:
                self.scheduled.add(url)
            yield self.article_request(url, reason)

    def edit_found(self, url: str) -> None:
        """The pipeline archived a new version of a known article: evidence on lastmod if a revisit for
        another reason than lastmod found it."""
        if self.revisited.get(url) in (Reason.WINDOW, Reason.SCHEDULE):
            self.edited.add(url)

    def unannounced(self) -> list[str]:
        """Edits revisits found that a sitemap read in this run listed with a lastmod no later than our copy.
        An edit to a page no sitemap of this run listed (one that failed to load, say) is no evidence."""
        return sorted(url for url in self.edited if url in self.lastmods
                      and not changed_since_checked(self.known.get(url), self.lastmods[url]))

    def idle(self) -> None:
        """Everything is fetched: the evidence of this run may ask for more before it ends. On a shared
        frontier the coordinator asks, once the whole crawl is drained, what vanished from every sitemap
        the crawl read (the processes share it in Redis); lastmod is judged in single-process runs only."""
        if self.cluster is None:
            more = self.judge_lastmod() + self.vanished(self.listed, self.periods, set(self.revisited))
        elif self.settings.get(ROLE) == COORDINATOR and not self.vanish_checked and self.cluster.drained():
            more = self.vanished(*self.cluster.evidence())
        else:
            return
        for request in more:
            self.crawler.engine.crawl(request)
        if more:
            raise DontCloseSpider

    def judge_lastmod(self) -> list[Request]:
        """Judges lastmod on this run's evidence and records it. If it has just lost our trust, this run
        goes on with the full schedule, so that no edit waits for the next run."""
        verdict = self.trust.judge(self.unannounced(), self.entries, self.with_lastmod)
        self.crawler.stats.set_value("dddn/lastmod", {**self.trust.record(), "next": verdict.record()})
        if not (self.trust.mode == Mode.LASTMOD and verdict.mode == Mode.SCHEDULE):
            return []
        self.logger.warning("revisits by the schedule from now on: %s", verdict.why)
        self.trust = Trust(Mode.SCHEDULE, f"switched during the run: {verdict.why}", verdict.learnt)
        self.crawler.stats.set_value("dddn/lastmod", {**self.trust.record(), "next": verdict.record()})
        before = set(self.scheduled)
        return [r for r in self.revisit_requests() if r.meta[REASON_META] == Reason.SCHEDULE and r.url not in before]

    def vanished(self, listed: set[str], periods: list[tuple[datetime, datetime]],
                 revisited: set[str]) -> list[Request]:
        """Archived live articles that a dated sitemap read in this run (`periods`) should list and did not
        (`listed`), unless this run fetched them again: each is fetched again (conditionally), which finds a
        takedown at any age. Once a run."""
        if self.vanish_checked:
            return []
        self.vanish_checked = True
        return [self.article_request(url, Reason.VANISHED) for url, known in self.known.items()
                if known.published is not None and url not in listed and url not in revisited
                and self.config.rules.is_article(url) and any(a <= known.published < b for a, b in periods)]
