"""`archive serve` over HTTP: the pages and their API twins against the replica's truth, errors, languages,
security headers, and a database that no request can change."""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
from datetime import datetime
from urllib.parse import quote, urlencode

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from archive.extract.dates import VN
from archive.search.fold import fold
from archive.web.app import create_app
from tests.http import fetch
from tests.services import free_port
from tests.web.conftest import WebArchive


def get(server: str, path: str, **headers: str) -> tuple[int, dict[str, str], str]:
    resp = fetch(server + path, headers=headers)
    return resp.status, resp.headers, resp.text


def api(server: str, path: str, **params: object) -> object:
    resp = fetch(server + path + ("?" + urlencode(params) if params else ""))
    assert resp.status == 200, resp.text
    return resp.json()


def test_search_without_diacritics_finds_the_article(server: str, web_archive: WebArchive) -> None:
    title = str(web_archive.new["title"])
    folded = fold(title)
    assert folded != title.lower()  # the query really lacks the title's diacritics
    data = api(server, "/api/search", q=" ".join(re.findall(r"\w+", folded)[:6]))
    assert isinstance(data, dict) and web_archive.edited in [h["id"] for h in data["hits"]]
    status, _, page = get(server, "/search?" + urlencode({"q": " ".join(re.findall(r"\w+", folded))}))
    assert status == 200 and f'href="/articles/{web_archive.edited}"' in page and "<mark>" in page


def test_section_filter_and_facets(server: str, web_archive: WebArchive) -> None:
    everything = api(server, "/api/search", per_page=100)
    assert isinstance(everything, dict) and everything["total"] == len(web_archive.ids)
    assert sum(f["count"] for f in everything["sections"]) == everything["total"]
    assert sum(f["count"] for f in everything["months"]) == everything["total"]
    section = str(web_archive.new["section_path"][0])  # a top section: its sub-sections count too
    narrowed = api(server, "/api/search", section=fold(section), per_page=100)
    assert isinstance(narrowed, dict) and 0 < narrowed["total"] < everything["total"]
    for hit in narrowed["hits"]:
        article = api(server, f"/api/articles/{hit['id']}")
        assert isinstance(article, dict) and section in article["content"]["section_path"]
    month = everything["months"][0]
    year, number = (int(part) for part in month["value"].split("-"))
    last = 31 if number == 12 else (datetime(year, number + 1, 1) - datetime(year, number, 1)).days
    by_month = api(server, "/api/search", since=f"{month['value']}-01", until=f"{month['value']}-{last:02d}")
    assert isinstance(by_month, dict) and by_month["total"] == month["count"]


def test_article_versions_history_and_diff_match_the_site(server: str, web_archive: WebArchive) -> None:
    old, new, id_ = web_archive.old, web_archive.new, web_archive.edited
    latest = api(server, f"/api/articles/{id_}")
    assert isinstance(latest, dict) and latest["version"] == 2 and latest["versions"] == 2
    assert latest["content"]["lead"] == new["lead"] and latest["content"]["title"] == new["title"]
    first = api(server, f"/api/articles/{id_}/versions/1")
    assert isinstance(first, dict) and first["content"]["lead"] == old["lead"]
    history = api(server, f"/api/articles/{id_}/history")
    assert isinstance(history, dict) and [v["number"] for v in history["versions"]] == [1, 2]
    assert "lead" in history["versions"][1]["changed"] and history["versions"][1]["words_added"] > 0
    diff = api(server, f"/api/articles/{id_}/diff", a=1, b=2)
    assert isinstance(diff, dict)
    lead = next(d for d in diff["texts"] if d["field"] == "lead")
    removed = " ".join(p["text"] for p in lead["inline"] if p["kind"] == "removed")
    added = " ".join(p["text"] for p in lead["inline"] if p["kind"] == "added")
    assert removed and all(word in str(old["lead"]) for word in removed.split())
    assert added and all(word in str(new["lead"]) for word in added.split())
    olds = [row["old"] for row in lead["side_by_side"] if row["old"]]
    assert " ".join(p["text"] for row in olds for p in row) == old["lead"]
    for path, expected in ((f"/articles/{id_}", new["lead"]), (f"/articles/{id_}/versions/1", old["lead"])):
        status, _, page = get(server, path)
        assert status == 200 and str(expected).replace('"', "&#34;") in page
    for view in ("inline", "side"):
        status, _, page = get(server, f"/articles/{id_}/diff?a=1&b=2&view={view}")
        assert status == 200 and "<del>" in page and "<ins>" in page
    status, _, page = get(server, f"/articles/{id_}/history")
    assert status == 200 and f'href="/articles/{id_}/diff?a=1&amp;b=2"' in page


def test_times_are_vietnam_time_on_pages_and_iso_in_the_api(server: str, web_archive: WebArchive) -> None:
    latest = api(server, f"/api/articles/{web_archive.edited}")
    assert isinstance(latest, dict)
    published = datetime.fromisoformat(latest["content"]["published"])
    assert published.utcoffset() is not None
    _, _, page = get(server, f"/articles/{web_archive.edited}")
    assert published.astimezone(VN).strftime("%Y-%m-%d %H:%M") in page and "UTC+07:00" in page


def test_status_of_a_taken_down_article(server: str, web_archive: WebArchive) -> None:
    article = api(server, f"/api/articles/{web_archive.gone}")
    assert isinstance(article, dict) and article["status"] == "gone" and article["gone_at"]
    _, _, page = get(server, f"/articles/{web_archive.gone}", **{"Accept-Language": "en"})
    assert "Gone since" in page


def test_runs_page_and_api(server: str) -> None:
    runs = api(server, "/api/runs")
    assert isinstance(runs, list) and runs[0]["kind"] == "import" and runs[0]["outcome"] == "ok"
    assert runs[0]["counts"]["version"] > 0
    _, _, page = get(server, "/runs", **{"Accept-Language": "en"})
    assert f'id="run-{runs[0]["id"]}"' in page and "new articles" in page


def test_language_from_the_browser_then_the_switch(server: str) -> None:
    _, _, page = get(server, "/search")
    assert '<html lang="vi">' in page and "Tìm kiếm" in page
    _, _, page = get(server, "/search", **{"Accept-Language": "en-GB,en;q=0.9,vi;q=0.5"})
    assert '<html lang="en">' in page and ">Search<" in page
    _, headers, page = get(server, "/search?lang=vi", **{"Accept-Language": "en"})
    assert '<html lang="vi">' in page and "lang=vi" in headers["set-cookie"]
    _, _, page = get(server, "/search", **{"Accept-Language": "en", "Cookie": "lang=vi"})
    assert '<html lang="vi">' in page


@pytest.mark.parametrize("path", ["/search", "/search?q=doanh+nghiep", "/articles/1", "/runs", "/api/search?q=a",
                                  "/static/style.css", "/articles/999999"])
def test_security_headers_on_every_response(server: str, path: str) -> None:
    _, headers, _ = get(server, path)
    csp = headers["content-security-policy"]
    assert "script-src 'self'" in csp and "default-src 'none'" in csp and "unsafe-inline" not in csp
    assert headers["x-content-type-options"] == "nosniff" and headers["referrer-policy"] == "no-referrer"


@pytest.mark.parametrize(("path", "status", "message"), [
    ("/articles/99999", 404, "no article 99999 in the archive"),
    ("/api/articles/99999", 404, "no article 99999 in the archive"),
    ("/api/articles/1/versions/9", 404, "has no version 9"),
    ("/api/search?q=" + quote('"unclosed'), 400, "unbalanced"),
    ("/search?q=" + quote("(a OR"), 400, "query"),
    ("/api/search?since=2026-02-30", 400, "not a date"),
    ("/search?since=yesterday", 400, "since"),
    ("/api/articles/0", 422, "greater than or equal to 1"),
    ("/nowhere", 404, "Not Found"),
])
def test_bad_requests_get_a_clear_answer(server: str, path: str, status: int, message: str) -> None:
    got, headers, body = get(server, path)
    assert got == status and message.lower() in body.lower()
    assert headers["content-type"].startswith("application/json" if path.startswith("/api/") else "text/html")


def test_no_request_changes_the_database(server: str, web_archive: WebArchive) -> None:
    def digest() -> str:
        return hashlib.sha256(web_archive.path.read_bytes()).hexdigest()

    before = digest()
    paths = ["/search", "/search?q=kinh+te&sort=newest", "/runs", "/api/runs", "/api/search?q=x"]
    for id_ in web_archive.ids[:10]:
        paths += [f"/articles/{id_}", f"/articles/{id_}/history", f"/articles/{id_}/diff", f"/api/articles/{id_}",
                  f"/api/articles/{id_}/diff?a=1&b=1"]
    for path in paths:
        assert fetch(server + path).status == 200, path
    for method in ("POST", "PUT", "DELETE", "PATCH"):
        assert fetch(server + f"/api/articles/{web_archive.ids[0]}", method=method).status == 405
    assert digest() == before
    # …and by construction: the app's own connection cannot write
    app = create_app(web_archive.url)
    with pytest.raises(OperationalError, match=r"readonly|read-only"), app.state.archive.engine.begin() as conn:
        conn.execute(text("DELETE FROM runs"))
    app.state.archive.close()
    assert digest() == before


def test_serve_refuses_a_missing_archive_and_a_busy_port(tmp_path: object, web_archive: WebArchive) -> None:
    missing = subprocess.run([sys.executable, "-m", "archive", "--db", "sqlite:////nonexistent/a.sqlite", "serve"],
                             capture_output=True, text=True, timeout=60)
    assert missing.returncode == 1 and missing.stderr.strip().splitlines() == [
        "Error: no archive at /nonexistent/a.sqlite: check --db or ARCHIVE_DB_URL"]
    import socket

    with socket.socket() as busy:
        port = free_port()
        busy.bind(("127.0.0.1", port))
        busy.listen()
        taken = subprocess.run([sys.executable, "-m", "archive", "--db", web_archive.url, "serve", "--port",
                                str(port)], capture_output=True, text=True, timeout=60)
    assert taken.returncode == 1 and len(taken.stderr.strip().splitlines()) == 1
    assert f"cannot listen on 127.0.0.1:{port}" in taken.stderr
