"""The web app on a PostgreSQL archive: the same pages and answers, through a session that cannot write."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import quote, urlencode

import pytest
from sqlalchemy import text
from sqlalchemy.exc import InternalError

from archive.database import Archive
from archive.ingest import Ingestor
from archive.search.fold import fold
from archive.web.app import create_app
from tests.archive.feed import advance_past_edit, ingest_all, next_lead_edit
from tests.extract_eval import replica_rules
from tests.http import fetch
from tests.replica import Replica
from tests.services import create_database, serving

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def pg_archive(postgres: str) -> Iterator[tuple[str, int, str]]:
    """A PostgreSQL archive of a few replica articles, one of them edited; its URL, that article's site id
    and its title."""
    url = create_database(postgres, "web_archive")
    with Replica(articles=80, seed=5) as rep:
        edited = next_lead_edit(rep)
        others = [a for a in rep.site.visible() if a.kind == "normal" and a.id != edited.id][:12]
        archive = Archive(url)
        ingestor = Ingestor(archive, replica_rules(rep))
        ingest_all(ingestor, [rep.base_url + m.path for m in [*others, edited]])
        advance_past_edit(rep, edited)
        ingest_all(ingestor, [rep.base_url + edited.path])
        title = next(str(t["title"]) for t in rep.truth() if t["site_id"] == edited.id)
        archive.close()
    yield url, edited.id, title


def test_pages_and_api_on_postgresql(pg_archive: tuple[str, int, str]) -> None:
    url, _, title = pg_archive
    with serving(url) as server:
        query = urlencode({"q": " ".join(re.findall(r"\w+", fold(title)))})
        found = fetch(f"{server}/api/search?{query}").json()
        hit = next(h for h in found["hits"] if h["title"] == title)
        assert found["months"] and sum(m["count"] for m in found["months"]) == found["total"]
        assert sum(s["count"] for s in found["sections"]) == found["total"]
        diff = fetch(f"{server}/api/articles/{hit['id']}/diff").json()
        assert diff["a"] == 1 and diff["b"] == 2 and [t["field"] for t in diff["texts"]] == ["lead"]
        for path in ("/search?q=doanh+nghiep", f"/articles/{hit['id']}", f"/articles/{hit['id']}/history",
                     f"/articles/{hit['id']}/diff?view=side", "/runs", "/changes", "/changes.atom",
                     f"/articles/{hit['id']}/history.atom"):
            assert fetch(server + path).status == 200, path
        log = fetch(f"{server}/api/changes?kind=lead&section={quote(hit['section'])}").json()
        assert [(e["article_id"], e["kinds"], e["version"]) for e in log["entries"]] == [(hit["id"], ["lead"], 2)]
        assert log["total"] == 1 and sum(log["weeks"][0]["kinds"].values()) == 1
    app = create_app(url)
    with pytest.raises(InternalError, match="read-only transaction"), app.state.archive.engine.begin() as conn:
        conn.execute(text("DELETE FROM runs"))
    app.state.archive.close()
