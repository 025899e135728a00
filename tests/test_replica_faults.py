"""Each fault profile behaves as named, and heals so that a retrying client gets everything."""

from __future__ import annotations

import http.client
import re
import time
import unicodedata
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta

import lxml.html
import pytest

from tests.http import Fetched, fetch
from tests.replica import Replica
from tests.replica.faults import REDIRECT_LOOP_HITS, SLOW_SECONDS, FaultPlan


@pytest.fixture(scope="module")
def faulty() -> Iterator[Replica]:
    with Replica(articles=150, seed=5) as rep:
        yield rep


def article_urls(rep: Replica, n: int = 60) -> list[str]:
    return [rep.base_url + a.path for a in rep.site.visible()[:n]]


def first_hits(rep: Replica, profile: str, n: int = 60) -> list[tuple[str, Fetched | Exception]]:
    rep.set_faults(profile)
    out: list[tuple[str, Fetched | Exception]] = []
    for url in article_urls(rep, n):
        try:
            out.append((url, fetch(url, timeout=SLOW_SECONDS + 5)))
        except (http.client.HTTPException, ConnectionError) as exc:
            out.append((url, exc))
    return out


def statuses(hits: list[tuple[str, Fetched | Exception]]) -> Counter[object]:
    return Counter(h.status if isinstance(h, Fetched) else type(h).__name__ for _, h in hits)


def test_unknown_profile_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown fault profile"):
        FaultPlan("gremlins")


def test_5xx_bursts_then_heal(faulty: Replica) -> None:
    hits = first_hits(faulty, "5xx")
    bad = [url for url, h in hits if isinstance(h, Fetched) and h.status >= 500]
    assert 0 < len(bad) < len(hits)
    assert {h.status for _, h in hits if isinstance(h, Fetched)} - {200} <= {500, 502, 503, 504}
    for url in bad:
        for _ in range(3):  # a burst is one to three failures long
            last = fetch(url)
            if last.status == 200:
                break
        assert last.status == 200


def test_429_carries_retry_after(faulty: Replica) -> None:
    hits = first_hits(faulty, "429")
    limited = [(url, h) for url, h in hits if isinstance(h, Fetched) and h.status == 429]
    assert limited
    url, first = limited[0]
    assert first.headers["retry-after"] == "1"
    assert fetch(url).status == 200


def test_slow_responses_stall_then_answer(faulty: Replica) -> None:
    faulty.set_faults("slow")
    plan = FaultPlan("slow", faulty.site.seed)
    url = next(u for u in article_urls(faulty, 150) if plan.decide(u[len(faulty.base_url):], True))
    started = time.monotonic()
    assert fetch(url, timeout=SLOW_SECONDS + 5).status == 200
    assert time.monotonic() - started >= SLOW_SECONDS * 0.9


def test_dropped_connections(faulty: Replica) -> None:
    hits = first_hits(faulty, "drop")
    dropped = [url for url, h in hits if isinstance(h, Exception)]
    assert dropped and all(fetch(url).status == 200 for url in dropped)


def test_truncated_bodies(faulty: Replica) -> None:
    hits = first_hits(faulty, "truncate")
    cut = [(url, h) for url, h in hits if isinstance(h, http.client.IncompleteRead)]
    assert cut
    url, exc = cut[0]
    assert isinstance(exc, http.client.IncompleteRead) and exc.expected > 0 and len(exc.partial) > 0
    assert fetch(url).status == 200


def test_soft_404_and_empty_200(faulty: Replica) -> None:
    soft = [h for _, h in first_hits(faulty, "soft404") if isinstance(h, Fetched) and "Không tìm thấy" in h.text]
    assert soft and all(h.status == 200 for h in soft)
    empty = [h for _, h in first_hits(faulty, "empty") if isinstance(h, Fetched) and not h.body]
    assert empty and all(h.status == 200 for h in empty)


def test_redirect_loop_bounces_back_then_heals(faulty: Replica) -> None:
    hits = first_hits(faulty, "redirect-loop")
    url, first = next((u, h) for u, h in hits if isinstance(h, Fetched) and h.status == 302)
    assert isinstance(first, Fetched)
    back = fetch(first.headers["location"])
    assert back.status == 302 and back.headers["location"] == url, "the page redirects to a URL that redirects back"
    statuses = [fetch(url).status for _ in range(REDIRECT_LOOP_HITS)]
    assert statuses[-1] == 200


def test_charset_windows_1258_and_missing(faulty: Replica) -> None:
    faulty.set_faults("charset")
    seen: set[str] = set()
    for meta in [a for a in faulty.site.visible() if a.kind == "normal"][:60]:
        resp = fetch(faulty.base_url + meta.path)
        ctype = resp.headers["content-type"]
        title = faulty.site.content(meta)["title"]
        if "windows-1258" in ctype:
            page = unicodedata.normalize("NFC", resp.body.decode("cp1258"))
            assert 'charset="windows-1258"' in page or "charset=windows-1258" in page
            seen.add("1258")
        elif ctype == "text/html":
            page = resp.body.decode("utf-8")
            assert "charset" not in page[:2000].lower()
            seen.add("none")
        else:
            continue
        assert lxml.html.fromstring(page).cssselect("h1")[0].text_content().strip() == title
    assert seen == {"1258", "none"}


def test_careless_etags_change_on_every_request(faulty: Replica) -> None:
    faulty.set_faults("careless-etag")
    url = article_urls(faulty, 1)[0]
    one, two = fetch(url), fetch(url)
    assert one.headers["etag"] != two.headers["etag"]
    assert fetch(url, headers={"If-None-Match": two.headers["etag"]}).status == 200


def test_waf_refuses_for_a_while_then_heals(faulty: Replica) -> None:
    hits = first_hits(faulty, "waf")
    refused = [url for url, h in hits if isinstance(h, Fetched) and h.status == 403]
    assert 0 < len(refused) < len(hits)
    pages = [h.text for _, h in hits if isinstance(h, Fetched) and h.status == 403]
    assert all("blocked by our security system" in page for page in pages)
    lengths = []
    for url in refused:
        answers = 1  # the first was a refusal; at most four in all
        while fetch(url).status != 200:
            answers += 1
            assert answers <= 4, url
        lengths.append(answers + 1)
        assert fetch(url).status == 200
    assert max(lengths) > 2, "some refusals outlast a few quick retries"


def test_stale_lastmod_is_the_publication_and_never_moves() -> None:
    with Replica(articles=300, seed=6, faults="stale-lastmod") as rep:
        edited = next(a for a in rep.site.visible() if a.edits and a.edits[0][0] <= rep.site.now)
        month = f"sitemap-article-{edited.published:%Y-%m}.xml"
        sitemap = fetch(f"{rep.base_url}/{month}").text
        entry = re.search(rf"<loc>[^<]*{edited.path}</loc><lastmod>([^<]+)</lastmod>", sitemap)
        assert entry and datetime.fromisoformat(entry[1]) == edited.published + timedelta(seconds=1)
        rep.set_faults("none")
        honest = fetch(f"{rep.base_url}/{month}").text
        assert re.search(rf"{edited.path}</loc><lastmod>{re.escape(edited.updated_at(rep.site.now).isoformat())}<",
                         honest)


def test_chaos_mixes_fault_kinds(faulty: Replica) -> None:
    kinds = statuses(first_hits(faulty, "chaos", 120))
    assert kinds[200] > 0
    assert len(kinds) >= 4, kinds


@pytest.mark.slow
def test_every_failure_heals_for_a_retrying_client(faulty: Replica) -> None:
    """Within a few attempts each page answers 200 with its real content: two crawl runs suffice."""
    faulty.set_faults("chaos")
    for url in article_urls(faulty, 60):
        for _attempt in range(REDIRECT_LOOP_HITS + 4):
            try:
                resp = fetch(url, timeout=SLOW_SECONDS + 5)
            except (http.client.HTTPException, ConnectionError):
                continue
            if resp.status == 200 and resp.body and "Không tìm thấy" not in resp.text:
                break
        else:
            pytest.fail(f"{url} never healed")
