"""The search index as derived data that follows the archive: crashes, concurrent writers, a second
writer of the index, a damaged or missing folder, and a server that answers with what was just archived."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.parse
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlalchemy import select
from tantivy import Query

from archive import runs
from archive.cli import cli
from archive.database import Archive
from archive.ingest import Ingestor
from archive.models import SearchDoc
from archive.search import store
from archive.search.fold import words
from archive.vocab import RunKind
from archive.web.app import create_app
from tests.archive.feed import ingest_all
from tests.archive.index_answers import answers
from tests.extract_eval import replica_rules
from tests.http import fetch
from tests.replica import Replica
from tests.services import create_database, free_port

ROOT = Path(__file__).parents[2]


def held(url: str) -> Counter[int]:
    """How many times the index holds each article, after catching up."""
    archive = Archive(url)
    try:
        index = store.for_engine(archive.engine, archive.url)
        index.catch_up(wait=True)
        searcher = index.searcher()
        return Counter(store.every_article(searcher, Query.all_query()))
    finally:
        archive.close()


def searchable(url: str) -> set[int]:
    archive = Archive(url)
    try:
        with archive.transaction(write=False) as session:
            return set(session.scalars(select(SearchDoc.article_id)))
    finally:
        archive.close()


def urls(rep: Replica) -> list[str]:
    return [t["canonical_url"] for t in rep.truth() if t["status"] == "live" and t["kind"] == "normal"]


@pytest.mark.slow
def test_a_follower_killed_at_random_moments_loses_and_doubles_nothing(tmp_path: Path) -> None:
    """`archive index follow` is killed with SIGKILL again and again while articles are archived: the
    next catch-up holds every article exactly once."""
    url = f"sqlite:///{tmp_path / 'a.sqlite'}"
    archive = Archive(url)
    with Replica(articles=200, seed=21) as rep:
        pages = urls(rep)
        ingestor = Ingestor(archive, replica_rules(rep))
        done = threading.Event()
        writer = threading.Thread(target=lambda: (ingest_all(ingestor, pages), done.set()))
        writer.start()
        kills = 0
        while not done.is_set() or kills < 3:
            follower = subprocess.Popen([sys.executable, "-m", "archive", "--db", url, "index", "follow",
                                         "--interval", "0.1"], cwd=ROOT, stderr=subprocess.DEVNULL)
            time.sleep(0.3 + 0.4 * (kills % 3))
            follower.send_signal(signal.SIGKILL)
            follower.wait()
            kills += 1
        writer.join()
    archive.close()
    counts = held(url)
    assert set(counts) == searchable(url) and len(counts) == len(pages)
    assert max(counts.values()) == 1


@pytest.mark.slow
def test_two_postgresql_writers_and_a_follower_miss_nothing(postgres: str, tmp_path: Path) -> None:
    """Two processes ingest into one PostgreSQL archive at once, committing out of order, while an index
    follows it: at the end it holds every article once, as a rebuild does."""
    url = create_database(postgres, "search_follow")
    Archive(url).close()
    env = {**os.environ, store.SEARCH_DIR_ENV: str(tmp_path / "index")}
    with Replica(articles=160, seed=23) as rep:
        pages = urls(rep)
        follower = subprocess.Popen([sys.executable, "-m", "archive", "--db", url, "index", "follow",
                                     "--interval", "0.1"], cwd=ROOT, env=env, stderr=subprocess.DEVNULL)
        lists = tmp_path / "lists"
        lists.mkdir()
        writers = []
        for n, share in enumerate((pages[0::2], pages[1::2])):
            (lists / f"{n}.json").write_text(json.dumps(share))
            writers.append(subprocess.Popen(
                [sys.executable, "-c", INGEST, url, str(lists / f"{n}.json"), rep.host_alias], cwd=ROOT, env=env))
        assert all(w.wait(timeout=300) == 0 for w in writers)
        time.sleep(1.5)
        follower.send_signal(signal.SIGTERM)
        assert follower.wait(timeout=30) == 0
    os.environ[store.SEARCH_DIR_ENV] = str(tmp_path / "index")
    try:
        archive = Archive(url)
        index = store.for_engine(archive.engine, archive.url)
        state = index.state()
        assert state is not None
        followed = Counter(store.every_article(index.searcher(), Query.all_query()))
        archive.close()
        assert set(followed) == searchable(url) and len(followed) == len(pages) and max(followed.values()) == 1
        assert answers(url) == answers(url, rebuild=True)
    finally:
        del os.environ[store.SEARCH_DIR_ENV]
        store._OPEN.clear()


def test_on_postgresql_transactions_that_index_nothing_leave_the_index_current(
        postgres: str, tmp_path: Path, replica: Replica, monkeypatch: pytest.MonkeyPatch) -> None:
    """A crawl's run records and fetches take transaction ids and stamp nothing: the index that followed the
    archive past them is current, and catching up indexes nothing (once it rebuilt itself each time)."""
    monkeypatch.setenv(store.SEARCH_DIR_ENV, str(tmp_path / "index"))
    url = create_database(postgres, "search_quiet")
    archive = Archive(url)
    try:
        ingest_all(Ingestor(archive, replica_rules(replica)), urls(replica)[:5])
        index = store.for_engine(archive.engine, archive.url)
        assert index.catch_up(wait=True) == 5
        for _ in range(3):
            runs.start(archive, RunKind.CRAWL, {})
        assert index.catch_up(wait=True) == 0 and index.is_current()
        assert index.catch_up(wait=True) == 0, "nothing indexed twice"
    finally:
        archive.close()
        store._OPEN.clear()


INGEST = """
import json, sys
from archive import runs
from archive.database import Archive
from archive.ingest import Ingestor
from archive.urls import UrlRules, parse_aliases
from tests.archive.feed import ingest_all
url, pages, alias = sys.argv[1], json.load(open(sys.argv[2])), sys.argv[3]
ingest_all(Ingestor(Archive(url), UrlRules.from_env().with_aliases(parse_aliases(alias))), pages)
"""


def test_a_missing_index_is_built_on_the_spot_and_a_damaged_one_names_the_fix(tmp_path: Path,
                                                                             replica: Replica) -> None:
    url = f"sqlite:///{tmp_path / 'a.sqlite'}"
    archive = Archive(url)
    ingest_all(Ingestor(archive, replica_rules(replica)), urls(replica)[:5])
    archive.close()
    folder = tmp_path / "a.search"
    assert not folder.exists()
    first = CliRunner().invoke(cli, ["--db", url, "search", "doanh", "--format", "json"])
    assert first.exit_code == 0 and json.loads(first.output), first.output
    assert (folder / "meta.json").is_file() and (folder / "state.json").is_file()
    (folder / "meta.json").write_text("{not json")
    store._OPEN.clear()
    broken = CliRunner().invoke(cli, ["--db", url, "search", "doanh"])
    assert broken.exit_code == 1 and broken.output.count("\n") == 1, broken.output
    assert "archive index rebuild" in broken.output and "Traceback" not in broken.output
    page = TestClient(create_app(url)).get("/api/search", params={"q": "doanh"})
    assert page.status_code == 503 and "archive index rebuild" in page.json()["detail"]
    fixed = CliRunner().invoke(cli, ["--db", url, "index", "rebuild"])
    assert fixed.exit_code == 0 and "indexed 5 articles" in fixed.output, fixed.output
    again = CliRunner().invoke(cli, ["--db", url, "search", "doanh", "--format", "json"])
    assert again.exit_code == 0 and json.loads(again.output) == json.loads(first.output)


def test_an_index_of_another_archive_is_never_read(tmp_path: Path, replica: Replica) -> None:
    """The archive file is replaced by an older copy (a restore from backup): its index, ahead of it, is
    rebuilt, and search answers for the archive as it is."""
    url = f"sqlite:///{tmp_path / 'a.sqlite'}"
    archive = Archive(url)
    ingestor = Ingestor(archive, replica_rules(replica))
    pages = urls(replica)
    ingest_all(ingestor, pages[:3])
    archive.close()
    older = (tmp_path / "a.sqlite").read_bytes()
    archive = Archive(url)
    ingest_all(Ingestor(archive, replica_rules(replica)), pages[3:8])
    archive.close()
    assert sum(held(url).values()) == 8
    store._OPEN.clear()
    for suffix in ("-wal", "-shm"):
        (tmp_path / f"a.sqlite{suffix}").unlink(missing_ok=True)
    (tmp_path / "a.sqlite").write_bytes(older)
    assert sorted(held(url)) == sorted(searchable(url)) and sum(held(url).values()) == 3


def test_a_second_writer_of_the_index_is_told_who_holds_it(tmp_path: Path, replica: Replica) -> None:
    url = f"sqlite:///{tmp_path / 'a.sqlite'}"
    archive = Archive(url)
    ingest_all(Ingestor(archive, replica_rules(replica)), urls(replica)[:3])
    archive.close()
    follower = subprocess.Popen([sys.executable, "-m", "archive", "--db", url, "index", "follow"], cwd=ROOT,
                                stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while not (tmp_path / "a.search" / "state.json").exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        rebuild = subprocess.Popen([sys.executable, "-m", "archive", "--db", url, "index", "rebuild"], cwd=ROOT,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(3)
        assert rebuild.poll() is None, "the rebuild waits for the follower"
        follower.send_signal(signal.SIGTERM)
        out, err = rebuild.communicate(timeout=60)
        assert rebuild.returncode == 0 and "indexed 3 articles" in out, err
        assert f"is being written by pid {follower.pid} on " in err and "waiting for it" in err
    finally:
        follower.kill()
        follower.wait()


def test_serve_answers_with_what_was_just_archived_beside_it(tmp_path: Path, replica: Replica) -> None:
    """`archive serve` is running; an article archived after it started is found by the search page's
    API within seconds, without a restart."""
    url = f"sqlite:///{tmp_path / 'a.sqlite'}"
    archive = Archive(url)
    ingestor = Ingestor(archive, replica_rules(replica))
    truth = [t for t in replica.truth() if t["status"] == "live" and t["kind"] == "normal"]
    ingest_all(ingestor, [t["canonical_url"] for t in truth[:3]])
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "archive", "--db", url, "serve", "--port", str(port)], cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{port}"
        late = truth[5]
        query = urllib.parse.quote('"' + " ".join(words(late["title"])) + '"')
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:  # the server is up, and does not know the article yet
            try:
                if json.loads(fetch(f"{base}/api/search?q={query}").body)["total"] == 0:
                    break
            except (OSError, ValueError, KeyError):
                pass
            time.sleep(0.2)
        else:
            pytest.fail("the server did not start")
        ingest_all(ingestor, [late["canonical_url"]])
        archived = time.monotonic()
        while time.monotonic() - archived < 10:
            found = json.loads(fetch(f"{base}/api/search?q={query}").body)
            if found["total"]:
                break
            time.sleep(0.2)
        assert found["total"] == 1 and found["hits"][0]["title"] == late["title"]
    finally:
        server.terminate()
        server.wait(timeout=30)
        archive.close()
