"""Several `scrapy crawl dddn` processes on one crawl: a Redis frontier (scrapy-redis) and one PostgreSQL
archive, both real servers started by the tests."""

from __future__ import annotations

import itertools
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
import redis
from sqlalchemy import create_engine, text

from crawler.frontier import namespace
from tests.crawler.harness import ROOT, archived, bad_versions, command, crawl, last_run, wait_for_articles
from tests.crawler.test_crawl import live, no_double_fetch
from tests.replica import Replica
from tests.services import create_database

pytestmark = pytest.mark.slow
_databases = itertools.count()


def fresh_archive(postgres: str) -> str:
    url = create_database(postgres, f"frontier_{next(_databases)}")
    subprocess.run([sys.executable, "-m", "archive", "--db", url, "db", "upgrade"], cwd=ROOT, check=True,
                   capture_output=True)
    return url


def start(rep: Replica, db: str, frontier: str, log: Path, **settings: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(command(rep, db, DDDN_FRONTIER=frontier, DDDN_INGEST_WORKERS="1",
                                    DDDN_FRONTIER_TIMEOUT="8", **settings), cwd=ROOT, stdout=log.open("wb"),
                            stderr=subprocess.STDOUT)


def run_together(rep: Replica, db: str, frontier: str, count: int, folder: Path, **settings: str) -> list[int]:
    procs = []
    for n in range(count):
        # a little politeness, so that a small crawl outlasts the processes' start: on a fast machine the
        # first process once fetched all 153 pages of a day's revisits before the second had begun
        procs.append(start(rep, db, frontier, folder / f"process-{n}.log", DOWNLOAD_DELAY="0.03", **settings))
        time.sleep(0.5)
    return [proc.wait(timeout=600) for proc in procs]


def urls_fetched_twice(db: str, run_id: int) -> list[str]:
    engine = create_engine(db)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT requested_url FROM fetches WHERE run_id = :r GROUP BY requested_url "
                                 "HAVING count(*) > 1"), {"r": run_id}).scalars().all()
    engine.dispose()
    return list(rows)


@pytest.mark.parametrize("count", [2, 3])
def test_processes_share_one_crawl(postgres: str, redis_url: str, tmp_path: Path, count: int) -> None:
    """Three processes crawl a site once; two crawl it, then crawl it again a day later (new versions)."""
    db = fresh_archive(postgres)
    rounds = 2 if count == 2 else 1
    with Replica(articles=150, seed=48) as rep:  # a seed whose next day edits articles
        want = live(rep)
        versions = {sid: t["version"] for sid, t in want.items()}
        runs = []
        for n in range(rounds):
            if n:
                rep.advance(24)
            codes = run_together(rep, db, redis_url, count, tmp_path)
            assert codes == [0] * count, (tmp_path / "process-0.log").read_text()[-3000:]
            runs.append(last_run(db))
        now = live(rep)
    found = archived(db)
    assert set(want) <= set(found) and set(now) <= set(found), "every article archived"
    assert len({a["url"] for a in found.values()}) == len(found), "each exactly once"
    edited = {sid for sid, t in now.items() if sid in versions and t["version"] > versions[sid]}
    assert (not edited) == (rounds == 1), "a day of the replica's clock edits articles"
    assert {sid for sid, a in found.items() if a["versions"] == 2} == edited, "versions right"
    assert all(a["versions"] <= 2 for a in found.values()) and bad_versions(db) == 0
    assert no_double_fetch(found)
    for run in runs:  # one run record for all the processes, each of which did its share
        assert run.outcome == "ok" and len(run.counts["processes"]) == count, run.counts
        assert all(pages > 0 for pages in run.counts["processes"].values()), run.counts["processes"]
        assert run.counts["pages"] == sum(run.counts["processes"].values())
        assert urls_fetched_twice(db, run.id) == [], "no URL fetched twice in a run"
    assert runs[0].counts["new_articles"] == len(want)


def test_a_killed_worker_loses_nothing(postgres: str, redis_url: str, tmp_path: Path) -> None:
    db = fresh_archive(postgres)
    with Replica(articles=120, seed=47) as rep:
        want = live(rep)
        procs = []
        for n in range(3):
            procs.append(start(rep, db, redis_url, tmp_path / f"process-{n}.log"))
            time.sleep(0.5)
        wait_for_articles(db, 40)
        # whichever process reached Redis first coordinates; kill one of the others, SIGKILL, mid-run
        coordinator = int(str(redis.Redis.from_url(redis_url, decode_responses=True)
                              .get(f"{namespace(db)}:coordinator")).rsplit(":", 1)[1])
        lead = next(p for p in procs if p.pid == coordinator)
        victim, other = (p for p in procs if p is not lead)
        victim.kill()
        codes = [proc.wait(timeout=600) for proc in (lead, other)]
        killed = last_run(db)
        assert killed.outcome == "incomplete" and len(killed.counts["lost_processes"]) == 1, killed.counts
        assert codes == [1, 0], "the coordinator reports the incomplete run; the other worker ends well"
        rerun = crawl(rep, db, DDDN_FRONTIER=redis_url, DDDN_FRONTIER_TIMEOUT="8")
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    found = archived(db)
    assert set(want) <= set(found), f"lost {sorted(set(want) - set(found))[:5]}"
    assert len({a["url"] for a in found.values()}) == len(found)
    assert all(a["versions"] == 1 for a in found.values()) and bad_versions(db) == 0
    assert last_run(db).outcome == "ok"


def test_a_crawl_without_the_frontier_is_refused_while_one_runs(postgres: str, redis_url: str,
                                                                 tmp_path: Path) -> None:
    db = fresh_archive(postgres)
    with Replica(articles=200, seed=48) as rep:
        shared = start(rep, db, redis_url, tmp_path / "shared.log")
        wait_for_articles(db, 10)
        alone = crawl(rep, db)
        shared.kill()
        shared.wait(timeout=60)
    assert alone.returncode == 3 and "another crawl run is using" in alone.stderr


def test_a_shared_crawl_notices_an_old_article_taken_down(postgres: str, redis_url: str, tmp_path: Path) -> None:
    """Articles older than the revisit window, taken down between runs, are found gone by a crawl of two
    processes: the sitemaps each read go into Redis, and the coordinator revisits what none of them lists.
    (No scheduled revisits in the second run: only that check can find them.)"""
    db = fresh_archive(postgres)
    with Replica(articles=600, seed=45) as rep:
        doomed = [a for a in rep.site.visible() if a.kind == "normal" and a.gone_at is not None
                  and a.gone_at - a.published > timedelta(days=9) and a.gone_at < rep.now + timedelta(days=12)]
        assert len(doomed) >= 2, "the replica takes articles down when they are older than the window"
        assert run_together(rep, db, redis_url, 2, tmp_path) == [0, 0]
        rep.advance(max((a.gone_at - rep.now).total_seconds() for a in doomed) / 3600 + 1)
        assert run_together(rep, db, redis_url, 2, tmp_path, DDDN_REVISIT_BUDGET="0") == [0, 0]
        found = archived(db)
    assert [found[a.id]["status"] for a in doomed] == ["gone"] * len(doomed)
    assert last_run(db).counts["revisits"]["vanished"] >= len(doomed)
