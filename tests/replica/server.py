"""The replica's HTTP/1.1 server: routes, validators, gzip, redirects, faults and admin endpoints.

A small asyncio server rather than a framework, because faults need the raw socket: a dropped
connection, a body cut short under a full Content-Length, a stall before the first byte.
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import json
import re
import threading
import unicodedata
import zlib
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

from . import vocab
from .faults import SLOW_SECONDS, FaultPlan
from .render import Renderer
from .site import Site
from .truth import site_truth

SQL_MARKER = "%%SQL_ECHO%%"
ARTICLE_RE = re.compile(r"^/(?:(?P<prefix>[a-z0-9-]+(?:/[a-z0-9-]+)?)/)?(?P<slug>[a-z0-9-]+)-(?P<id>\d{6,8})\.html$")
TAG_RE = re.compile(r"^/(?P<tag>[a-z0-9-]+)-ptag\.html$")
LISTING_RE = re.compile(r"^/(?P<path>[a-z0-9-]+(?:/[a-z0-9-]+)?)/?$")
LEGACY_LISTING_RE = re.compile(r"^/(?P<slug>[a-z0-9-]+)-c(?P<ch>\d+)(?:/page-(?P<page>\d+)\.html)?/?$")
SITEMAP_LAYOUTS = ("monthly", "daily")
WAF_PAGE = ("<!DOCTYPE html><html><head><title>Access Denied</title></head><body><h1>Request blocked</h1>"
            "<p>Your request has been blocked by our security system. If you believe this is an error, "
            "please contact the site administrator.</p></body></html>")
MORE_RE = re.compile(r"^/api/getMoreArticle/(?P<type>[a-z]+)_(?P<kw>[a-z0-9-]*)_(?P<pid>\d+)_(?P<ch>\d+)_(?P<ev>\d+)$")
COMMENT_RE = re.compile(r"^/api/getcomment/(?P<pid>\d+)_(?P<parent>\d+)_(?P<sort>like|date)_(?P<row>\d+)$")
HTML = "text/html; charset=utf-8"
LASTMOD = re.compile(r"<lastmod>[^<]*</lastmod>")


@dataclass
class Response:
    status: int = 200
    body: str | bytes = b""
    content_type: str = HTML
    headers: dict[str, str] = field(default_factory=dict)
    etag: str | None = None
    last_modified: datetime | None = None
    article: bool = False
    cache_key: tuple[Any, ...] | None = None


def encode_cp1258(text: str) -> bytes:
    """Windows-1258 spells most Vietnamese letters as a base letter plus a combining tone mark."""
    out = bytearray()
    for ch in text:
        try:
            out += ch.encode("cp1258")
            continue
        except UnicodeEncodeError:
            pass
        base, *marks = unicodedata.normalize("NFD", ch)
        # Keep the vowel's own mark (circumflex, breve, horn) precomposed; send the tone mark combining.
        options = [(unicodedata.normalize("NFC", base + m), [x for x in marks if x is not m]) for m in marks]
        for head, rest in [*options, (base, marks)]:
            try:
                out += head.encode("cp1258") + "".join(rest).encode("cp1258")
                break
            except UnicodeEncodeError:
                continue
        else:
            out += b"?"
    return bytes(out)


class PrefixGzip:
    """Encoding and gzip for pages that share a long prefix (the inline CSS of every current page): the
    prefix is encoded and compressed once, and each page continues a copy of that zlib stream. The output
    is one ordinary gzip member, as any server sends."""

    def __init__(self, prefix: str, level: int = 1) -> None:
        self.prefix, self._raw = prefix, prefix.encode("utf-8")
        self._state = zlib.compressobj(level, zlib.DEFLATED, 31)
        self._head = self._state.compress(self._raw)

    def encode(self, text: str, gzipped: bool) -> bytes:
        if not (self.prefix and text.startswith(self.prefix)):
            data = text.encode("utf-8")
            return gzip.compress(data, 1, mtime=0) if gzipped else data
        rest = text[len(self.prefix):].encode("utf-8")
        if not gzipped:
            return self._raw + rest
        stream = self._state.copy()
        return self._head + stream.compress(rest) + stream.flush()


class LRU(OrderedDict[Any, Any]):
    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size

    def put(self, key: Any, value: Any) -> None:
        self[key] = value
        self.move_to_end(key)
        if len(self) > self.size:
            self.popitem(last=False)


class ReplicaServer:
    def __init__(self, site: Site, host: str = "127.0.0.1", port: int = 0, faults: str = "none",
                 sitemaps: str = "monthly") -> None:
        if sitemaps not in SITEMAP_LAYOUTS:
            raise ValueError(f"unknown sitemap layout {sitemaps!r}; choose from {', '.join(SITEMAP_LAYOUTS)}")
        self.site, self.sitemaps = site, sitemaps
        self.host, self.port = host, port
        self.faults = FaultPlan(faults, site.seed)
        self.renderer: Renderer | None = None
        self.pages = PrefixGzip("")
        self.render_seq = 0
        self.cache = LRU(4096)  # (key, epoch) -> (text, gzip bytes or None)
        self._server: asyncio.AbstractServer | None = None
        self._connections: set[asyncio.Task[Any]] = set()

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def _alias_host(self) -> str:
        return "localhost" if self.host != "localhost" else "127.0.0.1"

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve_connection, self.host, self.port, limit=2**16)
        self.port = self._server.sockets[0].getsockname()[1]
        self.renderer = Renderer(self.site, self.base_url, f"http://{self._alias_host()}:{self.port}")
        self.pages = PrefixGzip(self.renderer.page_prefix)

    async def close(self) -> None:
        """Stops listening and ends the connections still open (a client's idle keep-alive ones), so that
        none is left to a loop that is about to close."""
        if self._server:
            self._server.close()
            for task in self._connections:
                task.cancel()
            await asyncio.gather(*self._connections, return_exceptions=True)
            await self._server.wait_closed()

    def set_faults(self, profile: str) -> None:
        self.faults = FaultPlan(profile, self.site.seed)

    # -- connection handling -------------------------------------------------------------------
    async def _serve_connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._connections.add(task)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, target, version = lines[0].split(" ", 2)
                headers = {k.strip().lower(): v.strip() for k, v in
                           (ln.split(":", 1) for ln in lines[1:] if ":" in ln)}
                if int(headers.get("content-length", "0") or 0):
                    await reader.readexactly(int(headers["content-length"]))
                keep = await self._respond(writer, method, target, headers)
                if not keep or headers.get("connection", "").lower() == "close" or version == "HTTP/1.0":
                    break
        except (asyncio.IncompleteReadError, ConnectionError, ValueError, asyncio.LimitOverrunError):
            pass
        except asyncio.CancelledError:
            # shutdown cancels open connections: end quietly, since Python 3.11's stream callback asks a
            # cancelled handler task for its exception and prints the CancelledError as a traceback
            pass
        finally:
            writer.close()
            self._connections.discard(task)  # type: ignore[arg-type]

    async def _respond(self, writer: asyncio.StreamWriter, method: str, target: str, headers: dict[str, str]) -> bool:
        """Writes one response; False when the connection must close."""
        path = urlsplit(target).path
        admin = path.startswith("/__replica__/")
        fault = None
        try:
            resp = self.route(method, target, headers)
        except Exception as exc:  # a replica bug must show as a 500, not a hung client
            resp = Response(500, f"replica error: {exc!r}", "text/plain; charset=utf-8")
        if not admin and path != "/robots.txt":
            fault = self.faults.decide(target, resp.article)
        if fault:
            if fault.kind == "drop":
                writer.transport.abort()
                return False
            if fault.kind == "slow":
                await asyncio.sleep(SLOW_SECONDS)
            elif fault.kind == "5xx":
                resp = Response(int(fault.detail), "<html><body><h1>Service Unavailable</h1></body></html>")
            elif fault.kind == "waf":
                resp = Response(403, WAF_PAGE)
            elif fault.kind == "429":
                resp = Response(429, "Too Many Requests", "text/plain", {"Retry-After": "1"})
            elif fault.kind == "soft404" and resp.status == 200:
                resp = Response(200, self._r.not_found())
            elif fault.kind == "empty" and resp.status == 200:
                resp = Response(200, b"")
            elif fault.kind == "redirect-loop":
                other = target + "?loop=1" if "?loop=1" not in target else target.replace("?loop=1", "")
                resp = Response(302, b"", headers={"Location": self.base_url + other})
            elif fault.kind == "no-feeds":
                resp = self._not_found()
            elif fault.kind == "no-lastmod" and isinstance(resp.body, str):
                resp.body, resp.cache_key = LASTMOD.sub("", resp.body), None
            elif fault.kind == "careless-etag":
                self.render_seq += 1
                resp.etag = f'"{self.render_seq:x}-{hashlib.md5(target.encode()).hexdigest()[:8]}"'
                resp.last_modified = self.site.now
        charset = fault.detail if fault and fault.kind == "charset" else None
        status, out_headers, body = self._finish(resp, headers, charset)
        if fault and fault.kind == "truncate" and body:
            writer.write(self._head(status, out_headers, len(body)) + body[: len(body) // 2])
            await writer.drain()
            writer.transport.abort()
            return False
        writer.write(self._head(status, out_headers, len(body)) + (b"" if method == "HEAD" else body))
        await writer.drain()
        return True

    def _head(self, status: int, headers: dict[str, str], length: int) -> bytes:
        reason = {200: "OK", 301: "Moved Permanently", 302: "Found", 304: "Not Modified", 404: "Not Found",
                  410: "Gone", 429: "Too Many Requests", 500: "Internal Server Error", 502: "Bad Gateway",
                  503: "Service Unavailable", 504: "Gateway Timeout", 405: "Method Not Allowed",
                  400: "Bad Request"}.get(status, "Status")
        lines = [f"HTTP/1.1 {status} {reason}", "Server: nginx",
                 f"Date: {format_datetime(self.site.now.astimezone(UTC), usegmt=True)}"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        if status != 304:
            lines.append(f"Content-Length: {length}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    def _finish(self, resp: Response, req: dict[str, str], charset: str | None) -> tuple[int, dict[str, str], bytes]:
        headers = dict(resp.headers)
        if resp.etag:
            headers["ETag"] = resp.etag
        if resp.last_modified:
            headers["Last-Modified"] = format_datetime(resp.last_modified.astimezone(UTC), usegmt=True)
        if resp.status == 200 and self._not_modified(resp, req):
            return 304, headers, b""
        dynamic = isinstance(resp.body, str) and SQL_MARKER in resp.body  # differs on every request
        gz_ok = "gzip" in req.get("accept-encoding", "")
        key = resp.cache_key if resp.cache_key and gz_ok and not charset and not dynamic else None
        body = self.cache.get(key) if key else None  # only gzip bodies are cached
        encoded = body is not None
        if body is None:
            encoded = gz_ok and len(resp.body) > 256
            body = self._encode(resp, charset, encoded)
            if key and encoded:
                self.cache.put(key, body)
        headers["Content-Type"] = resp.content_type
        if encoded:
            headers["Content-Encoding"] = "gzip"
        headers["Vary"] = "Accept-Encoding"
        return resp.status, headers, body

    def _encode(self, resp: Response, charset: str | None, gzipped: bool) -> bytes:
        """The body as bytes in the page's charset, gzipped if asked; fills in this render's SQL echo."""
        if isinstance(resp.body, bytes):
            return gzip.compress(resp.body, 1, mtime=0) if gzipped else resp.body
        text = resp.body
        if SQL_MARKER in text:
            self.render_seq += 1
            text = text.replace(SQL_MARKER, self._r.sql_echo(self.render_seq))
        if charset == "windows-1258":
            text = text.replace('charset="utf-8"', 'charset="windows-1258"')
            text = text.replace("charset=utf-8", "charset=windows-1258")
            resp.content_type = resp.content_type.replace("utf-8", "windows-1258")
            data = encode_cp1258(text)
            return gzip.compress(data, 1, mtime=0) if gzipped else data
        if charset == "none":
            text = re.sub(r'<meta charset="utf-8">|<meta http-equiv="Content-Type"[^>]*>', "", text)
            resp.content_type = resp.content_type.split(";")[0]
        return self.pages.encode(text, gzipped)

    @staticmethod
    def _not_modified(resp: Response, req: dict[str, str]) -> bool:
        if resp.etag and "if-none-match" in req:
            return resp.etag in [t.strip() for t in req["if-none-match"].split(",")]
        if resp.last_modified and "if-modified-since" in req:
            try:
                return parsedate_to_datetime(req["if-modified-since"]) >= resp.last_modified.replace(microsecond=0)
            except (TypeError, ValueError):
                return False
        return False

    @property
    def _r(self) -> Renderer:
        assert self.renderer is not None
        return self.renderer

    # -- routing -------------------------------------------------------------------------------
    def route(self, method: str, target: str, headers: dict[str, str]) -> Response:
        url = urlsplit(target)
        path, query = url.path, parse_qs(url.query)
        if path.startswith("/__replica__/"):
            return self._admin(method, path[len("/__replica__/"):], query)
        if method not in ("GET", "HEAD"):
            return Response(405, "Method Not Allowed", "text/plain")
        host = headers.get("host", "").split(":")[0]
        if host and host != self.host:
            return Response(301, b"", headers={"Location": self.base_url + target})
        epoch = self.site.epoch
        r = self._r
        if path == "/robots.txt":
            return Response(200, r.robots(), "text/plain; charset=utf-8")
        if path == "/":
            return Response(200, r.home(SQL_MARKER), cache_key=("home", epoch))
        if path in ("/rss", "/rss/"):
            return Response(200, r.rss_index(), cache_key=("rss", epoch))
        if path.startswith("/rss/"):
            feed = r.rss(path[5:].strip("/"))
            return self._maybe(feed, "application/rss+xml; charset=utf-8", ("rss", path, epoch))
        if path.startswith("/sitemap") and path.endswith(".xml"):
            stale = self.faults.profile == "stale-lastmod"
            sitemap = self._maybe(r.sitemap(path[1:], self.sitemaps, stale), "application/xml; charset=utf-8",
                                  ("sm", path, epoch, stale))
            if sitemap.status == 200:  # the real site's nginx sends an ETag for static files
                sitemap.etag = '"' + hashlib.md5(str(sitemap.body).encode()).hexdigest()[:16] + '"'
            return sitemap
        if path == "/search":
            return Response(200, self._search(query.get("q", [""])[0]))
        if m := MORE_RE.match(path):
            if self.site.template_at() == "legacy":
                return self._not_found()
            items = r.more_articles(m["type"], m["kw"], int(m["pid"]), int(m["ch"]))
            if items is None:
                return self._not_found()
            return Response(200, json.dumps(items, ensure_ascii=False), "application/json; charset=utf-8")
        if m := COMMENT_RE.match(path):
            meta = self.site.by_id.get(int(m["pid"]))
            if meta is None or meta.published > self.site.now:
                return self._not_found()
            return Response(200, r.comment_list(meta))
        if m := ARTICLE_RE.match(path):
            return self._article(m, target)
        if m := TAG_RE.match(path):
            tag = next((t for t in vocab.TAGS if r.tag_url(t).endswith(path)), None)
            return self._maybe(r.tag_page(tag) if tag else None, HTML, ("tag", path, epoch))
        if m := LEGACY_LISTING_RE.match(path):
            return self._legacy_listing(m, path)
        if (m := LISTING_RE.match(path)) and self.site.template_at() == "current":
            slug = m["path"]
            if slug == vocab.LATEST_CHANNEL[0]:
                section = None
            elif slug in self.site.by_path:
                section = self.site.by_path[slug]
            else:
                return self._not_found()
            return self._maybe(r.listing(section, 1, SQL_MARKER), HTML, ("list", slug, 1, epoch), marker=True)
        return self._not_found()

    def _legacy_listing(self, m: re.Match[str], path: str) -> Response:
        """A PHP-era category, `/{slug}-c{N}[/page-{P}.html]`; since the redesign it answers 301 to its
        OneCMS address."""
        channel = int(m["ch"])
        latest = channel == vocab.LATEST_CHANNEL[2]
        section = None if latest else self.site.by_channel.get(channel)
        if section is None and not latest:
            return self._not_found()
        r = self._r
        if self.site.template_at() == "current":
            return Response(301, b"", headers={"Location": r.section_url(section)})
        if f"{r.base}/{m['slug']}-c{channel}" != r.section_url(section):
            return Response(301, b"", headers={"Location": r.page_url(r.section_url(section), int(m["page"] or 1))})
        page = int(m["page"] or 1)
        return self._maybe(r.listing(section, page, SQL_MARKER), HTML, ("list", path, page, self.site.epoch),
                           marker=True)

    def _maybe(self, body: str | None, content_type: str, key: tuple[Any, ...], marker: bool = False) -> Response:
        if body is None:
            return self._not_found()
        return Response(200, body, content_type, cache_key=None if marker else key)

    def _not_found(self, status: int = 404) -> Response:
        return Response(status, self._r.not_found())

    def _article(self, m: re.Match[str], target: str) -> Response:
        site, r = self.site, self._r
        meta = site.by_id.get(int(m["id"]))
        if meta is None or meta.published > site.now:
            return self._not_found()
        legacy = site.template_at() == "legacy"
        canonical = r.url(meta)
        prefix_ok = m["prefix"] is None or (legacy and m["prefix"] == meta.section.path)
        if m["slug"] != meta.slug or not prefix_ok:
            return Response(301, b"", headers={"Location": canonical})
        if meta.is_gone(site.now):
            return self._not_found(meta.gone_status)
        version = meta.version_at(site.now)
        key = ("article", meta.id, site.epoch)
        cached = self.cache.get(("text", *key))
        if cached is None:
            cached = r.article(meta, SQL_MARKER)
            self.cache.put(("text", *key), cached)
        etag = '"' + hashlib.md5(f"{site.seed}:{meta.id}:{version}".encode()).hexdigest()[:16] + '"'
        return Response(200, cached, etag=etag, last_modified=meta.updated_at(site.now), article=True,
                        cache_key=None if SQL_MARKER in cached else key)

    def _search(self, q: str) -> str:
        hits = [a for a in self.site.visible()[:2000] if q and q.lower() in self._r.title(a).lower()][:20]
        items = "".join(f'<li><a href="{self._r.url(a)}">{self._r.title(a)}</a></li>' for a in hits)
        return ('<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8"><title>Tìm kiếm</title></head>'
                f"<body><h1>Kết quả tìm kiếm</h1><ul>{items}</ul></body></html>")

    def _admin(self, method: str, name: str, query: dict[str, list[str]]) -> Response:
        def js(obj: Any) -> Response:
            return Response(200, json.dumps(obj, ensure_ascii=False), "application/json; charset=utf-8")

        try:
            if name == "now" and method == "GET":
                return js({"now": self.site.now.isoformat(), "template": self.site.template_at()})
            if name == "advance" and method == "POST":
                self.site.advance(float(query["hours"][0]))
                return js({"now": self.site.now.isoformat(), "template": self.site.template_at()})
            if name == "faults" and method == "POST":
                self.set_faults(query["profile"][0])
                return js({"profile": self.faults.profile})
            if name == "truth" and method == "GET":
                lines = (json.dumps(t, ensure_ascii=False) for t in site_truth(self.site, self._r))
                return Response(200, "\n".join(lines) + "\n", "application/x-ndjson; charset=utf-8")
        except (KeyError, ValueError) as exc:
            return Response(400, f"bad admin request: {exc}\n", "text/plain; charset=utf-8")
        return Response(404, "unknown admin endpoint\n", "text/plain; charset=utf-8")


class Replica:
    """The replica in a background thread: `with Replica(articles=200) as rep: rep.base_url …`."""

    def __init__(self, articles: int = 500, seed: int = 1, now: datetime | None = None,
                 redesign: datetime | None = None, faults: str = "none", host: str = "127.0.0.1",
                 port: int = 0, sitemaps: str = "monthly", horizon_days: float = 0) -> None:
        self.site = Site(articles=articles, seed=seed, now=now, redesign=redesign, horizon_days=horizon_days)
        self.server = ReplicaServer(self.site, host, port, faults, sitemaps)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="replica", daemon=True)

    @property
    def base_url(self) -> str:
        return self.server.base_url

    @property
    def alias_url(self) -> str:
        return f"http://{self.server._alias_host()}:{self.server.port}"

    @property
    def host_alias(self) -> str:
        """The alias as `DDDN_HOST_ALIASES` / `--alias` take it: "localhost:PORT=127.0.0.1:PORT"."""
        return f"{self.alias_url.split('//')[1]}={self.base_url.split('//')[1]}"

    def start(self) -> Replica:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self.server.start(), self._loop).result(timeout=30)
        return self

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self.server.close(), self._loop).result(timeout=30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=30)
        self._loop.close()

    def __enter__(self) -> Replica:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _call(self, fn: Any, *args: Any) -> Any:
        async def run() -> Any:
            return fn(*args)
        return asyncio.run_coroutine_threadsafe(run(), self._loop).result(timeout=60)

    @property
    def now(self) -> datetime:
        return self.site.now

    def advance(self, hours: float) -> datetime:
        return self._call(self.site.advance, hours)  # type: ignore[no-any-return]

    def set_faults(self, profile: str) -> None:
        self._call(self.server.set_faults, profile)

    def truth(self) -> list[dict[str, Any]]:
        return self._call(site_truth, self.site, self.server.renderer)  # type: ignore[no-any-return]
