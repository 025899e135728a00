"""Several crawler processes on one crawl: a frontier shared in Redis (scrapy-redis's scheduler queue and
duplicate filter), and the little coordination scrapy-redis leaves out.

`DDDN_FRONTIER=redis://HOST:PORT/DB` turns it on. The first process of a crawl is its coordinator: it
holds the archive's run lock, seeds the frontier and keeps the run record; every process started while
it runs joins as a worker. Each process says in Redis whether it is busy or idle (with a heartbeat that
expires, so a killed process stops counting), and none stops until the frontier is empty and every live
process is idle. Each leaves its counts behind; the coordinator adds them up into the one run record.
All keys of a crawl live under `dddn:<archive>:`, so crawls of different archives share a Redis.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import socket
import time
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import redis
from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider, NotConfigured
from scrapy.settings import BaseSettings
from scrapy_redis.dupefilter import RFPDupeFilter
from sqlalchemy.engine import make_url
from twisted.internet import task

log = logging.getLogger(__name__)

ROLE = "DDDN_FRONTIER_ROLE"  # set by the crawl command: coordinator or worker
COORDINATOR, WORKER = "coordinator", "worker"
BEAT_SECONDS = 2
POLL_SECONDS = 0.3  # how often a process with room asks the frontier for work
SETTLE_SECONDS = 2  # the frontier counts as drained once nothing has happened anywhere for this long
WAIT_RUN_SECONDS = 120


def namespace(archive_url: str) -> str:
    safe = make_url(archive_url).render_as_string(hide_password=True)
    return "dddn:" + hashlib.sha256(safe.encode()).hexdigest()[:12]


class Cluster:
    """One crawl's shared state in Redis, seen from one process."""

    def __init__(self, redis_url: str, archive_url: str, alive_seconds: int = 30) -> None:
        self.redis = redis.Redis.from_url(redis_url, decode_responses=True, socket_timeout=30)
        self.ns = namespace(archive_url)
        self.worker = f"{socket.gethostname()}:{os.getpid()}"
        self.alive_seconds = alive_seconds  # a process silent this long is taken for dead

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> Cluster:
        return cls(settings["DDDN_FRONTIER"], settings["ARCHIVE_DB_URL"], settings.getint("DDDN_FRONTIER_TIMEOUT"))

    def key(self, name: str) -> str:
        return f"{self.ns}:{name}"

    def check(self) -> None:
        """Raises `redis.RedisError` when Redis cannot be reached."""
        self.redis.ping()

    # -- who leads ------------------------------------------------------------------------------
    def elect(self) -> bool:
        """Whether this process becomes the crawl's coordinator (no live one holds the crawl)."""
        return bool(self.redis.set(self.key("coordinator"), self.worker, nx=True, ex=self.alive_seconds))

    def resign(self) -> None:
        if self.redis.get(self.key("coordinator")) == self.worker:
            self.redis.delete(self.key("coordinator"))

    def reset(self) -> None:
        """A new crawl: what a finished or killed one left behind is cleared."""
        names = ("requests", "dupefilter", "run", "seeded", "workers", "counts", "activity", "listed", "periods",
                 "revisited")
        self.redis.delete(*(self.key(n) for n in names))

    # -- the run ---------------------------------------------------------------------------------
    def publish_run(self, run_id: int) -> None:
        self.redis.set(self.key("run"), run_id)

    def wait_run(self, timeout: float = WAIT_RUN_SECONDS) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = self.redis.get(self.key("run"))
            if value is not None:
                return int(value)
            time.sleep(0.2)
        raise TimeoutError(f"no coordinator opened a run on the frontier within {timeout:.0f} s")

    def seeded(self) -> None:
        self.redis.set(self.key("seeded"), 1)

    # -- who works -------------------------------------------------------------------------------
    def beat(self, state: str, coordinator: bool) -> None:
        pipe = self.redis.pipeline()
        pipe.set(self.key(f"alive:{self.worker}"), state, ex=self.alive_seconds)
        pipe.hset(self.key("workers"), self.worker, state)
        if coordinator:
            pipe.set(self.key("coordinator"), self.worker, ex=self.alive_seconds)
        pipe.execute()

    def touched(self) -> None:
        self.redis.set(self.key("activity"), time.time())

    def states(self) -> dict[str, str]:
        """The live processes of the crawl and what each says it is doing."""
        workers = [str(w) for w in self.redis.hkeys(self.key("workers"))]
        alive = self.redis.mget([self.key(f"alive:{w}") for w in workers]) if workers else []
        return {w: str(state) for w, state in zip(workers, alive, strict=True) if state is not None}

    def pending(self) -> int:
        return int(self.redis.zcard(self.key("requests")))

    def drained(self) -> bool:
        """The frontier is empty, it was seeded, and every live process is idle and has been for a while."""
        if not self.redis.exists(self.key("seeded")) or self.pending():
            return False
        if any(state == "busy" for state in self.states().values()):
            return False
        last = float(self.redis.get(self.key("activity")) or 0)
        return time.time() - last >= SETTLE_SECONDS

    # -- what the sitemaps said -------------------------------------------------------------------
    def share_sitemap(self, listed: Iterable[str], period: tuple[datetime, datetime] | None) -> None:
        """What a dated sitemap read by this process listed, for the check of what vanished, which needs
        every sitemap the crawl read."""
        pipe = self.redis.pipeline()
        if urls := list(listed):
            pipe.sadd(self.key("listed"), *urls)
        if period is not None:
            pipe.sadd(self.key("periods"), f"{period[0].isoformat()}|{period[1].isoformat()}")
        pipe.execute()

    def share_revisited(self, url: str) -> None:
        self.redis.sadd(self.key("revisited"), url)

    def evidence(self) -> tuple[set[str], list[tuple[datetime, datetime]], set[str]]:
        """Every page the crawl's dated sitemaps listed, their periods, and the articles it revisited."""
        listed, periods, revisited = (
            {str(m) for m in self.redis.smembers(self.key(name))} for name in ("listed", "periods", "revisited"))
        spans = [p.split("|") for p in periods]
        return listed, [(datetime.fromisoformat(a), datetime.fromisoformat(b)) for a, b in spans], revisited

    # -- what they did ---------------------------------------------------------------------------
    def report(self, counts: dict[str, Any]) -> None:
        self.redis.hset(self.key("counts"), self.worker, json.dumps(counts, default=str))

    def others_running(self) -> list[str]:
        return [w for w, state in self.states().items() if w != self.worker and state != "done"]

    def lost(self) -> list[str]:
        """Processes that joined the crawl and died without finishing (killed, or their machine lost)."""
        reported = set(self.redis.hkeys(self.key("counts")))
        alive = self.states()
        return sorted(str(w) for w in self.redis.hkeys(self.key("workers")) if w not in alive and w not in reported)

    def others_counts(self) -> dict[str, dict[str, Any]]:
        return {str(w): json.loads(v) for w, v in self.redis.hgetall(self.key("counts")).items() if w != self.worker}


def merged(reports: list[dict[str, Any]]) -> dict[str, Any]:
    """Counts of several processes as one: numbers added, nested counts added key by key, anything else
    (the coordinator's, first in `reports`) kept."""
    out: dict[str, Any] = {}
    for report in reports:
        for key, value in report.items():
            if isinstance(value, bool) or key not in out:
                out.setdefault(key, value)
            elif isinstance(value, int | float) and isinstance(out[key], int | float):
                out[key] += value
            elif isinstance(value, dict) and isinstance(out[key], dict) and key != "lastmod":
                out[key] = merged([out[key], value])
    return out


def frontier_settings(settings: BaseSettings, cluster: Cluster, role: str) -> None:
    """Scrapy settings that put this process on the shared frontier."""
    priority = "cmdline"
    settings.set("SCHEDULER", "scrapy_redis.scheduler.Scheduler", priority=priority)
    settings.set("DUPEFILTER_CLASS", "crawler.frontier.CanonicalDupeFilter", priority=priority)
    settings.set("SCHEDULER_QUEUE_KEY", cluster.key("requests"), priority=priority)
    settings.set("SCHEDULER_DUPEFILTER_KEY", cluster.key("dupefilter"), priority=priority)
    settings.set("SCHEDULER_PERSIST", True, priority=priority)  # the coordinator clears it, not each worker
    settings.set("SCHEDULER_IDLE_BEFORE_CLOSE", 0, priority=priority)
    settings.set("REDIS_URL", settings["DDDN_FRONTIER"], priority=priority)
    settings.set(ROLE, role, priority=priority)
    extensions = dict(settings.getdict("EXTENSIONS"))
    extensions["crawler.frontier.FrontierExtension"] = 10
    settings.set("EXTENSIONS", extensions, priority=priority)


class CanonicalDupeFilter(RFPDupeFilter):  # type: ignore[misc]
    """scrapy-redis's shared duplicate filter, keyed as the local one is: by the crawler's request
    fingerprinter, which reduces every URL to its canonical form."""

    fingerprinter: Any = None

    @classmethod
    def from_spider(cls, spider: Spider) -> CanonicalDupeFilter:
        dupefilter: CanonicalDupeFilter = super().from_spider(spider)
        dupefilter.fingerprinter = spider.crawler.request_fingerprinter
        return dupefilter

    def request_fingerprint(self, request: Request) -> str:
        if self.fingerprinter is None:
            return str(super().request_fingerprint(request))
        return str(self.fingerprinter.fingerprint(request).hex())


class FrontierExtension:
    """Keeps this process in the crawl until the whole crawl is done, and says what it is doing."""

    def __init__(self, crawler: Crawler, cluster: Cluster, coordinator: bool) -> None:
        self.crawler, self.cluster, self.coordinator = crawler, cluster, coordinator
        self.state = "busy"
        self.loop: task.LoopingCall | None = None
        self.polling: task.LoopingCall | None = None
        self.last_touch = 0.0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> FrontierExtension:
        settings = crawler.settings
        if not settings.get("DDDN_FRONTIER"):
            raise NotConfigured
        cluster = Cluster.from_settings(settings)
        extension = cls(crawler, cluster, settings.get(ROLE) == COORDINATOR)
        crawler.signals.connect(extension.opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.active, signal=signals.request_scheduled)
        crawler.signals.connect(extension.active, signal=signals.response_received)
        crawler.signals.connect(extension.idle, signal=signals.spider_idle)
        crawler.signals.connect(extension.closed, signal=signals.spider_closed)
        return extension

    def opened(self, spider: Spider) -> None:
        self.cluster.beat(self.state, self.coordinator)
        self.cluster.touched()
        self.loop = task.LoopingCall(self.beat)
        self.loop.start(BEAT_SECONDS, now=False)
        self.polling = task.LoopingCall(self.poll)
        self.polling.start(POLL_SECONDS, now=False)

    def beat(self) -> None:
        self.cluster.beat(self.state, self.coordinator)

    def poll(self) -> None:
        """Scrapy's engine asks its scheduler for requests (and, when it has none, whether it may close)
        when one of its own requests finishes, else every five seconds: too seldom for requests other
        processes add, or for the moment the last of them finishes. A process with room asks at once."""
        engine = self.crawler.engine
        slot = getattr(engine, "_slot", None)
        if engine is None or slot is None or engine.needs_backout():
            return
        if self.state == "idle" or self.cluster.pending():
            slot.nextcall.schedule()

    def active(self, *args: Any, **kwargs: Any) -> None:
        if self.state != "busy":
            self.state = "busy"
            self.cluster.beat(self.state, self.coordinator)
        now = time.monotonic()
        if now - self.last_touch > 0.5:
            self.last_touch = now
            self.cluster.touched()

    def idle(self, spider: Spider) -> None:
        if self.state != "idle":
            self.state = "idle"
            self.cluster.beat(self.state, self.coordinator)
        if not self.cluster.drained():
            raise DontCloseSpider

    def closed(self, spider: Spider) -> None:
        for loop in (self.loop, self.polling):
            if loop is not None and loop.running:
                loop.stop()
        self.state = "done"
        self.cluster.beat(self.state, self.coordinator)
