"""`archive serve` on the 100,000-article archive of the search benchmark: search page and API latency
under 8 concurrent clients, the article, history and diff pages of an article with 10 versions, and the
change log (`/changes`) with 10% of the articles edited and some taken down."""

from __future__ import annotations

import http.client
import queue
import statistics
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit

from sqlalchemy import func, insert, select

from archive import changes
from archive.database import Archive
from archive.models import Article, Extraction, Fetch, Version
from archive.search import index as search_index
from archive.search import store
from archive.search.engine import Filters
from tests.bench import search_report
from tests.bench.harness import report
from tests.services import serving

CLIENTS = 8
QUERIES = 200
RUNS = 3
VERSIONS = 10
ARTICLE = 1  # the archive id of the article given VERSIONS versions
EDITED_EVERY = 10  # one article in ten edited once, for the change log
GONE_EVERY = 200  # one in two hundred taken down
WORKERS = 2  # `archive serve --workers`: one per core of this machine


def ensure_versions(url: str, article_id: int = ARTICLE, count: int = VERSIONS) -> None:
    """Gives the article `count` versions, each editing its lead and a paragraph (and, once, its title),
    as ingest would have stored them; done once, then kept in the bench archive."""
    archive = Archive(url)
    with archive.transaction() as session:
        have = session.scalar(select(func.count()).where(Version.article_id == article_id)) or 0
        if have >= count:
            archive.close()
            return
        last = session.execute(select(Version, Extraction.fields)
                               .join(Extraction, Extraction.id == Version.extraction_id)
                               .where(Version.article_id == article_id).order_by(Version.number.desc())).first()
        assert last is not None, "the bench archive has no article 1"
        version, fields = last
        fetch_id = (session.scalar(select(func.max(Fetch.id))) or 0) + 1
        extraction_id = (session.scalar(select(func.max(Extraction.id))) or 0) + 1
        seen = version.seen_at
        for number in range(have + 1, count + 1):
            fields = _edited(fields, number)
            seen += timedelta(hours=6)
            session.execute(insert(Fetch).values(
                id=fetch_id, key=f"bench-web-{article_id}-{number}", requested_url=fields["url"],
                final_url=fields["url"], canonical_url=fields["canonical_url"], status=200, fetched_at=seen,
                rendered="http", source="crawl", article_id=article_id))
            session.execute(insert(Extraction).values(id=extraction_id, fetch_id=fetch_id, parser_version="bench",
                                                      ok=True, fingerprint=fields["fingerprint"], flags=[],
                                                      fields=fields))
            session.execute(insert(Version).values(
                article_id=article_id, number=number, extraction_id=extraction_id, fingerprint=fields["fingerprint"],
                seen_at=seen, title=fields["title"], published=datetime.fromisoformat(fields["published"])))
            fetch_id, extraction_id = fetch_id + 1, extraction_id + 1
        search_index.update(session, article_id)
    archive.close()


def ensure_edits(url: str) -> None:
    """One article in EDITED_EVERY given a second version, each a kind of edit the site makes (a title's typo,
    a lead rewritten, a paragraph added), and one in GONE_EVERY a 404 a day later; done once, then kept.
    The versions are measured as every writer measures them (`changes.measure_pending`)."""
    archive = Archive(url)
    with archive.transaction() as session:
        if session.scalar(select(func.count()).where(Fetch.key.like("bench-edit-%"))):
            archive.close()
            return
        fetch_id = (session.scalar(select(func.max(Fetch.id))) or 0) + 1
        extraction_id = (session.scalar(select(func.max(Extraction.id))) or 0) + 1
        rows = session.execute(select(Version.article_id, Version.seen_at, Extraction.fields, Article.canonical_url)
                               .join(Extraction, Extraction.id == Version.extraction_id)
                               .join(Article, Article.id == Version.article_id)
                               .where(Version.number == 1, Version.article_id != ARTICLE,
                                      (Version.article_id % EDITED_EVERY == 0)
                                      | (Version.article_id % GONE_EVERY == 7))).all()
        fetches, extractions, versions = [], [], []
        for article_id, seen, fields, canonical in rows:
            at = seen + timedelta(hours=2 + article_id % 300)
            common = dict(id=fetch_id, requested_url=canonical, final_url=canonical, canonical_url=canonical,
                          fetched_at=at, rendered="http", source="crawl", article_id=article_id)
            if article_id % GONE_EVERY == 7:
                fetches.append({**common, "key": f"bench-edit-gone-{article_id}", "status": 404})
                fetch_id += 1
                continue
            edited = _one_edit(fields, article_id)
            fetches.append({**common, "key": f"bench-edit-{article_id}", "status": 200})
            extractions.append(dict(id=extraction_id, fetch_id=fetch_id, parser_version="bench", ok=True,
                                    fingerprint=edited["fingerprint"], flags=[], fields=edited))
            versions.append(dict(article_id=article_id, number=2, extraction_id=extraction_id,
                                 fingerprint=edited["fingerprint"], seen_at=at, title=edited["title"],
                                 published=datetime.fromisoformat(edited["published"])))
            fetch_id, extraction_id = fetch_id + 1, extraction_id + 1
        for table, values in ((Fetch, fetches), (Extraction, extractions), (Version, versions)):
            for start in range(0, len(values), 2000):
                session.execute(insert(table), values[start:start + 2000])
        changes.measure_pending(session)
        for article_id, *_ in rows:
            search_index.update(session, article_id)
    archive.close()


def _one_edit(fields: dict[str, Any], article_id: int) -> dict[str, Any]:
    kind = article_id // EDITED_EVERY % 3
    out = dict(fields)
    if kind == 0:
        out["title"] = fields["title"].replace("a", "á", 1)
    elif kind == 1:
        out["lead"] = "Sapo mới: " + " ".join(fields["lead"].split()[::-1])
    else:
        out["text"] = fields["text"] + "\nĐoạn bổ sung sau khi bài đăng, với số liệu mới của cơ quan thống kê."
    out["fingerprint"] = f"e{fields['fingerprint'][1:]}"
    return out


def _edited(fields: dict[str, Any], number: int) -> dict[str, Any]:
    paragraphs = fields["text"].split("\n")
    at = number % len(paragraphs)
    words = paragraphs[at].split()
    half = len(words) // 2
    paragraphs[at] = " ".join([*words[:half], f"(sửa lần {number})", *words[half + 1:]])
    paragraphs.append(f"Cập nhật lần {number}: số liệu mới được bổ sung sau khi bài đăng.")
    title = fields["title"] + (" (cập nhật)" if number == 5 else "")
    return {**fields, "title": title, "lead": f"{fields['lead']} Cập nhật {number}.", "text": "\n".join(paragraphs),
            "fingerprint": f"{number:02d}{fields['fingerprint'][2:]}", "updated": datetime.now(UTC).isoformat()}


def timed(base: str, paths: list[str], clients: int = CLIENTS) -> list[float]:
    """Every path fetched once by `clients` keep-alive connections at once; each request's latency in ms."""
    todo: queue.Queue[str] = queue.Queue()
    for path in paths:
        todo.put(path)
    out: list[float] = []
    failed: list[str] = []
    parts = urlsplit(base)

    def client() -> None:
        conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=120)
        while True:
            try:
                path = todo.get_nowait()
            except queue.Empty:
                break
            started = time.perf_counter()
            conn.request("GET", path)
            resp = conn.getresponse()
            resp.read()
            out.append((time.perf_counter() - started) * 1000)
            if resp.status != 200:
                failed.append(f"{resp.status} {path}")
        conn.close()

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failed:
        raise RuntimeError(f"{len(failed)} requests failed, e.g. {failed[0]}")
    return out


def search_paths(prefix: str, queries: list[tuple[str, Filters]], page: int = 1) -> list[str]:
    return [f"{prefix}?" + urlencode({"q": q, **({"section": f.section} if f.section else {}),
                                      **({"page": page} if page > 1 else {})}) for q, f in queries]


def pct(values: list[float], q: int) -> float:
    return search_report.pct(values, q)


def changes_paths(queries: list[tuple[str, Filters]]) -> list[str]:
    """What a researcher asks of the change log: the whole of it, by kind, by size, by section, by query,
    later pages, and the API."""
    views: list[dict[str, Any]] = [{}, {"kind": "title"}, {"kind": ["lead", "body"]}, {"min_words": 10},
                                   {"kind": "takedown"}, {"page": 3}, {"since": "2026-05-01"}]
    views += [{"section": f.section} for _, f in queries if f.section][:6]
    views += [{"q": q} for q, _ in queries[:6]]
    return [f"{prefix}?{urlencode(v, doseq=True)}" for v in views for prefix in ("/changes", "/api/changes")]


def timed_changes(base: str, queries: list[tuple[str, Filters]], figures: dict[str, list[tuple[float, float]]],
                  server: str) -> None:
    """The change log's views, each asked 8 times over, by CLIENTS clients at once; those with a query
    apart too, since their cost is the search engine's."""
    paths = changes_paths(queries) * 8
    for name, wanted in (("changes page", [p for p in paths if p.startswith("/changes")]),
                         ("changes page without --query", [p for p in paths if p.startswith("/changes")
                                                           and "q=" not in p]),
                         ("changes API", [p for p in paths if p.startswith("/api/")])):
        values = timed(base, wanted)
        figures.setdefault(f"{name}, {server}", []).append((pct(values, 50), pct(values, 95)))


def timed_search(base: str, fresh: Iterator[list[tuple[str, Filters]]],
                 figures: dict[str, list[tuple[float, float]]], server: str) -> None:
    """The search page and the API, each with queries no server has seen (its caches of facets and
    patterns cold), then the page's second pages (its facets remembered), each query asked once by CLIENTS
    clients at once."""
    queries = next(fresh)
    for name, paths in (("page", search_paths("/search", queries)),
                        ("api", search_paths("/api/search", next(fresh))),
                        ("page 2 (facets remembered)", search_paths("/search", queries, page=2))):
        values = timed(base, paths)
        figures.setdefault(f"search {name}, {server}", []).append((pct(values, 50), pct(values, 95)))


def run() -> dict[str, float]:
    url, _ = search_report.prepared_archive()
    ensure_versions(url)
    ensure_edits(url)
    archive = Archive(url)
    store.for_engine(archive.engine, archive.url).catch_up(wait=True)  # the servers start on a current index
    archive.close()
    queries = search_report.sample_queries(QUERIES)
    pool = search_report.sample_queries(QUERIES * 3 * RUNS * 2, seed=13)
    fresh = iter([pool[i:i + QUERIES] for i in range(0, len(pool), QUERIES)])
    figures: dict[str, list[tuple[float, float]]] = {}
    with serving(url) as base:
        timed(base, ["/search?q=doanh+nghiep", "/api/runs"], clients=1)  # warm: templates, caches, pages
        for _ in range(RUNS):
            values = timed(base, search_paths("/search", next(fresh)), clients=1)
            figures.setdefault("page, one client", []).append((pct(values, 50), pct(values, 95)))
            timed_search(base, fresh, figures, "1 worker")
            timed_changes(base, queries, figures, "1 worker")
            diff = f"/articles/{ARTICLE}/diff?a=1&b={VERSIONS}"
            for path in (f"/articles/{ARTICLE}", f"/articles/{ARTICLE}/history", diff, diff + "&view=side",
                         "/api" + diff):
                values = timed(base, [path] * 40, clients=1)
                figures.setdefault(path, []).append((pct(values, 50), pct(values, 95)))

        with serving(url, workers=WORKERS) as two:
            for _ in range(RUNS):
                timed_search(two, fresh, figures, f"{WORKERS} workers")
                timed_changes(two, queries, figures, f"{WORKERS} workers")

    def cell(name: str) -> str:
        return (f"{statistics.median(p50 for p50, _ in figures[name]):.0f} / "
                f"{statistics.median(p95 for _, p95 in figures[name]):.0f}")

    rows = [("search page, one client: p50 / p95 (ms)", cell("page, one client"))]
    rows += [(f"{name}, {CLIENTS} concurrent clients: p50 / p95 (ms)",
              cell(name) + ("  (target p95 ≤ 100)" if name.startswith("search page,") else ""))
             for name in figures if name.startswith("search ")]
    rows += [(f"{name}, {CLIENTS} concurrent clients: p50 / p95 (ms)",
              cell(name) + ("  (target p95 ≤ 100)" if name.startswith("changes page") else ""))
             for name in figures if name.startswith("changes")]
    rows += [(f"{path}, one client: p50 / p95 (ms)", cell(path)) for path in figures if "/articles/" in path]
    report(f"web: archive serve on {search_report.ARTICLES:,} articles ({100 // EDITED_EVERY}% edited), {QUERIES} "
           f"queries (those of the search bench), median of {RUNS} runs", rows)

    def p95(name: str) -> float:
        return round(statistics.median(p95 for _, p95 in figures[name]), 1)

    return {"articles": search_report.ARTICLES, "search_page_p95_ms": p95(f"search page, {WORKERS} workers"),
            "search_page_p95_ms_one_worker": p95("search page, 1 worker"),
            "changes_page_p95_ms": p95(f"changes page, {WORKERS} workers"),
            "changes_page_p95_ms_one_worker": p95("changes page, 1 worker"),
            "changes_page_p95_ms_without_query": p95(f"changes page without --query, {WORKERS} workers"),
            "changes_api_p95_ms": p95(f"changes API, {WORKERS} workers")}
