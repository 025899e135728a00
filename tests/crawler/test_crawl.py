"""The crawler end to end over real HTTP against the replica."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import threading
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from archive.cli import cli
from archive.database import Archive
from tests.archive.feed import record, write_warc
from tests.bench.harness import chromium_processes
from tests.conftest import LEGACY_NOW
from tests.crawler.harness import (
    all_runs,
    archived,
    bad_versions,
    crawl,
    fetched_hosts,
    last_run,
    start_crawl,
    wait_for_articles,
    wait_for_run_lock,
)
from tests.extract_eval import token_f1
from tests.replica import Replica
from tests.replica.render import legacy_variant


def live(rep: Replica) -> dict[int, dict[str, object]]:
    return {t["site_id"]: t for t in rep.truth() if t["status"] == "live"}


def advance_during(rep: Replica, hours: float, after: float) -> threading.Thread:
    thread = threading.Thread(target=lambda: (time.sleep(after), rep.advance(hours)))
    thread.start()
    return thread


def no_double_fetch(found: dict[int, dict[str, object]]) -> bool:
    for article in found.values():
        per_run = Counter((run, rendered) for rendered, _status, run in article["fetches"])  # type: ignore[union-attr]
        if any(n > 1 for n in per_run.values()):
            return False
    return True


@pytest.mark.slow
@pytest.mark.parametrize("now", [None, LEGACY_NOW], ids=["onecms-api-cursor", "legacy-numbered-pages"])
def test_full_crawl_archives_every_article_while_the_site_publishes(tmp_path: Path, now: object) -> None:
    db = f"sqlite:///{tmp_path / 'a.sqlite'}"
    with Replica(articles=250, seed=31, now=now) as rep:  # type: ignore[arg-type]
        before = live(rep)
        mover = advance_during(rep, 4, after=0.8)
        result = crawl(rep, db)
        mover.join()
    assert result.returncode == 0, result.stderr[-3000:]
    found = archived(db)
    assert set(before) <= set(found), f"missed {sorted(set(before) - set(found))[:5]}"
    assert all(a["versions"] == 1 for a in found.values())
    assert no_double_fetch(found)
    assert bad_versions(db) == 0
    assert fetched_hosts(db) == {rep.base_url.split("//")[1]}, "never a link off the site"
    counts = last_run(db).counts
    assert counts["new_articles"] == len(found) and last_run(db).outcome == "ok"


@pytest.mark.slow
def test_second_run_archives_exactly_the_new_articles_and_versions(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'a.sqlite'}"
    with Replica(articles=200, seed=32) as rep:
        first = crawl(rep, db)
        assert first.returncode == 0, first.stderr[-3000:]
        before = {sid: t["version"] for sid, t in live(rep).items()}
        rep.advance(10)
        after = live(rep)
        second = crawl(rep, db)
    assert second.returncode == 0, second.stderr[-3000:]
    run = last_run(db)
    new = set(after) - set(before)
    edited = {sid for sid, t in after.items() if sid in before and t["version"] > before[sid]}
    assert new and edited, "ten hours of the replica's clock publish and edit articles"
    assert run.counts["new_articles"] == len(new)
    assert run.counts["new_versions"] == len(new) + len(edited)
    found = archived(db)
    assert {sid for sid, a in found.items() if a["versions"] == 2} == edited
    assert set(after) <= set(found)


@pytest.mark.slow
def test_unchanged_site_costs_little_the_second_time(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'a.sqlite'}"
    with Replica(articles=300, seed=33) as rep:
        assert crawl(rep, db).returncode == 0
        first = last_run(db).counts
        assert crawl(rep, db).returncode == 0
        second = last_run(db).counts
    assert second["bytes"] <= 0.05 * first["bytes"], (second["bytes"], first["bytes"])
    assert second["new_versions"] == 0 and second["not_modified"] > 0


@pytest.mark.slow
def test_legacy_captures_imported_then_crawled_after_the_redesign_are_one_article_each(tmp_path: Path) -> None:
    """Old captures (a web archive's WARC of the enternews-era pages, under old section-prefixed links) and
    today's crawl of the OneCMS site meet on the article's id: one article, one version unless the text
    changed in between."""
    db = f"sqlite:///{tmp_path / 'a.sqlite'}"
    with Replica(articles=120, seed=45, now=LEGACY_NOW, redesign=LEGACY_NOW + timedelta(hours=1)) as rep:
        metas = [a for a in rep.site.visible() if a.kind == "normal"][:30]
        forms = [legacy_variant(rep.site.seed, a, rep.site.now)["container"] for a in metas]
        assert forms.count(0) >= 15, "mostly enternews"
        old_links = [f"{rep.base_url}/{a.section.path}{a.path}" for a in metas]
        write_warc(str(tmp_path / "legacy.warc.gz"), [record(url) for url in old_links])
        imported = CliRunner().invoke(cli, ["--db", db, "import", str(tmp_path / "legacy.warc.gz"),
                                            "--alias", rep.host_alias])
        assert imported.exit_code == 0, imported.output
        then = {a.id: a.version_at(rep.site.now) for a in metas}
        rep.advance(2)
        result = crawl(rep, db)
        now = {a.id: a.version_at(rep.site.now) for a in metas}
    assert result.returncode == 0, result.stderr[-3000:]
    found = archived(db)
    for a in metas:
        article = found[a.id]
        assert article["versions"] == 1 + (now[a.id] != then[a.id]), a.id
        assert len({run for _rendered, _status, run in article["fetches"]}) == 2, "the import's and the crawl's"
    assert len({article["url"] for article in found.values()}) == len(found)


@pytest.mark.slow
def test_a_firewall_refusing_for_a_while_costs_one_more_run_and_marks_nothing_gone(tmp_path: Path) -> None:
    """A WAF's 403 is a temporary refusal: retried after a back-off, never a version, never "gone". A run it
    defeats (here with too few retries for the longest refusals) ends incomplete with exit 5, naming the
    firewall, and the next run, with the default retries, gets the rest."""
    db = f"sqlite:///{tmp_path / 'a.sqlite'}"
    with Replica(articles=150, seed=36, faults="waf") as rep:
        want = live(rep)
        first = crawl(rep, db, DDDN_REFUSAL_BACKOFF="0.2", RETRY_TIMES="2")
        refused = last_run(db)
        second = crawl(rep, db, DDDN_REFUSAL_BACKOFF="0.2")
    assert first.returncode == 5, first.stderr[-3000:]
    assert refused.outcome == "incomplete" and refused.counts["refusals"] > refused.counts["refused_pages"] > 0
    assert any("firewall (WAF)" in problem for problem in refused.counts["problems"])
    assert second.returncode == 0, second.stderr[-3000:]
    found = archived(db)
    assert set(want) <= set(found), f"missing {sorted(set(want) - set(found))[:5]}"
    assert all(a["versions"] == 1 and a["status"] == "live" for a in found.values())
    assert bad_versions(db) == 0


@pytest.mark.slow
@pytest.mark.browser
def test_script_built_articles_are_rendered_and_archived(tmp_path: Path, chromium_path: str) -> None:
    db = f"sqlite:///{tmp_path / 'a.sqlite'}"
    with Replica(articles=200, seed=36) as rep:
        emag = {sid: t for sid, t in live(rep).items() if t["kind"] == "emagazine"}
        # restart the browser every two renders, and shut it after two seconds with nothing to render
        result = crawl(rep, db, DDDN_BROWSER_RECYCLE_PAGES="2", DDDN_BROWSER_IDLE_SECONDS="2")
    assert emag and result.returncode == 0, result.stderr[-3000:]
    recycled = re.search(r"'dddn/browser/recycled': (\d+)", result.stderr)
    # on time, though renders keep both slots busy: a restart drains them rather than wait for a lull
    assert len(emag) >= 4 and recycled and int(recycled[1]) >= len(emag) // 2 - 1, (recycled, len(emag))
    reused = re.search(r"'dddn/browser/pages_reused': (\d+)", result.stderr)
    created = re.search(r"'playwright/page_count': (\d+)", result.stderr)
    assert reused and created, "a page is kept for the next render"
    assert int(reused[1]) >= 1 and int(created[1]) < len(emag), (reused[1], created[1], len(emag))
    found = archived(db)
    for sid, truth in emag.items():
        assert found[sid]["versions"] == 1
        assert token_f1(found[sid]["texts"][0], "\n".join(truth["body"])) >= 0.99  # type: ignore[arg-type]
        assert ("browser", 200) in [(r, s) for r, s, _ in found[sid]["fetches"]]  # type: ignore[union-attr]
    counts = last_run(db).counts
    assert counts["browser_pages"] == len(emag)
    assert counts["pages"] - counts["browser_pages"] > 10 * counts["browser_pages"], "the browser only where needed"


@pytest.mark.slow
@pytest.mark.browser
def test_the_browser_is_restarted_on_schedule_while_renders_keep_both_slots_busy(tmp_path: Path,
                                                                              chromium_path: str) -> None:
    # a long crawl never pauses between renders: a restart must drain the slots, not wait for a lull
    db = f"sqlite:///{tmp_path / 'a.sqlite'}"
    with Replica(articles=200, seed=36) as rep:
        result = crawl(rep, db, DDDN_BROWSER_URL_PATTERNS=r"[0-4]\.html$", DDDN_BROWSER_RECYCLE_PAGES="10",
                       DDDN_BROWSER_IDLE_SECONDS="0")
    assert result.returncode == 0, result.stderr[-3000:]
    rendered = last_run(db).counts["browser_pages"]
    recycled = re.search(r"'dddn/browser/recycled': (\d+)", result.stderr)
    assert rendered >= 60 and recycled and int(recycled[1]) >= rendered // 10 - 1, (rendered, recycled)


def kill_browser_when_rendering(crawl: subprocess.Popen[bytes], log: Path) -> threading.Thread:
    """SIGKILLs the crawl's Chromium as soon as its log says a page is loading (the crawl logs at DEBUG)."""
    def watch() -> None:
        marker, seen = "(resource type: document)", ""
        with log.open(errors="replace") as lines:  # read as it grows, each part once
            while crawl.poll() is None and marker not in (seen := seen[-len(marker):] + lines.read()):
                time.sleep(0.01)
        for pid, kind, _ in chromium_processes(crawl.pid):
            if kind == "browser":
                os.kill(pid, signal.SIGKILL)
    thread = threading.Thread(target=watch)
    thread.start()
    return thread


@pytest.mark.slow
@pytest.mark.browser
def test_a_browser_that_dies_mid_crawl_is_relaunched_and_its_renders_retried(tmp_path: Path,
                                                                            chromium_path: str) -> None:
    # one process for the whole browser (--single-process): a page that crashes takes all of it
    db = f"sqlite:///{tmp_path / 'a.sqlite'}"
    log = tmp_path / "crawl.log"
    with Replica(articles=200, seed=36) as rep:
        emag = [sid for sid, t in live(rep).items() if t["kind"] == "emagazine"]
        crawling = start_crawl(rep, db, log, DDDN_BROWSER_IDLE_SECONDS="0", LOG_LEVEL="DEBUG")
        killer = kill_browser_when_rendering(crawling, log)
        assert crawling.wait(timeout=300) == 0, log.read_text()[-3000:]
        killer.join()
    output = log.read_text()
    launches = re.search(r"'playwright/browser_count': (\d+)", output)
    assert launches and int(launches[1]) >= 2, "a new browser was launched"
    assert "Target closed, retrying" in output, "the kill hit a render, which scrapy-playwright retried"
    found = archived(db)
    assert all(("browser", 200) in [(r, s) for r, s, _ in found[sid]["fetches"]] for sid in emag)
    assert last_run(db).counts["browser_pages"] == len(emag)


@pytest.mark.slow
def test_with_the_browser_off_script_built_pages_are_archived_as_fetched(tmp_path: Path) -> None:
    """DDDN_BROWSER=False, as on a machine without Chromium: no browser is looked for or launched, the
    script-built pages are fetched once over HTTP and counted, and every other article is archived."""
    db = f"sqlite:///{tmp_path / 'a.sqlite'}"
    with Replica(articles=200, seed=36) as rep:
        truth = live(rep)
        result = crawl(rep, db, DDDN_BROWSER="False",
                       PLAYWRIGHT_LAUNCH_OPTIONS='{"executable_path": "/nonexistent/chromium"}')
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Chromium is missing" not in result.stderr and "playwright" not in result.stderr.lower()
    counts = last_run(db).counts
    emag = [sid for sid, t in truth.items() if t["kind"] == "emagazine"]
    assert counts["browser_pages"] == 0 and 0 < counts["errors"]["render_skipped"] <= len(emag)
    found = archived(db)
    assert all(rendered == "http" for sid in found for rendered, _, _ in found[sid]["fetches"])
    normal = [sid for sid, t in truth.items() if t["kind"] == "normal"]
    assert all(found[sid]["versions"] >= 1 for sid in normal)


@pytest.mark.slow
def test_a_second_concurrent_run_is_refused(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'a.sqlite'}"
    with Replica(articles=300, seed=37) as rep:
        first = start_crawl(rep, db, tmp_path / "first.log", DOWNLOAD_DELAY="0.2", CONCURRENT_REQUESTS_PER_DOMAIN="1")
        wait_for_run_lock(db)
        second = crawl(rep, db, timeout=60)
        first.kill()
        first.wait(timeout=30)
    assert second.returncode == 3
    assert "another crawl run is using" in second.stderr.strip().splitlines()[-1]
    held, refused = all_runs(db)
    assert refused.outcome == "refused" and refused.finished_at is not None
    assert refused.counts["problems"][0].startswith("not started: another crawl run is using")
    assert f"(run {held.id}, started " in refused.counts["problems"][0]


@pytest.mark.slow
def test_an_unhealthy_run_exits_non_zero(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'a.sqlite'}"
    with Replica(articles=60, seed=38) as rep:
        result = crawl(rep, db, DDDN_MIN_ARTICLES="100000")
    assert result.returncode == 4
    assert last_run(db).outcome == "unhealthy"
    assert "run unhealthy: only" in result.stderr


def test_bad_database_url_is_one_line(tmp_path: Path) -> None:
    with Replica(articles=20, seed=39) as rep:
        result = crawl(rep, "mysql://nowhere/x", timeout=60)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == "crawl: unsupported database 'mysql': use sqlite:/// or postgresql://"


@pytest.mark.parametrize(("setting", "value", "message"), [
    ("DDDN_BASE_URL", "diendandoanhnghiep.vn", "is not an http(s) URL"),
    ("DDDN_HOST_ALIASES", "dddn.com.vn", "is not of the form alias=host"),
    ("DDDN_MODE", "sometimes", "is not one of auto, full, incremental"),
    ("DDDN_SINCE", "last week", "is not an ISO 8601 date"),
    ("DDDN_REVISIT_DAYS", "seven", "is not a number"),
    ("ARCHIVE_PARSER", "nowhere.module:extract", "cannot load the parser nowhere.module:extract"),
])
def test_bad_settings_are_one_line(tmp_path: Path, setting: str, value: str, message: str) -> None:
    with Replica(articles=20, seed=39) as rep:
        result = crawl(rep, f"sqlite:///{tmp_path / 'a.sqlite'}", timeout=60, **{setting: value})
    assert result.returncode == 2
    last = result.stderr.strip().splitlines()[-1]  # after Scrapy's own start-up banner
    assert last.startswith("crawl: ") and message in last and "Traceback" not in result.stderr
    assert not (tmp_path / "a.sqlite").exists(), "nothing is touched"


@pytest.mark.slow
def test_legacy_site_redesign_between_runs_makes_no_versions(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'a.sqlite'}"
    with Replica(articles=120, seed=40, now=LEGACY_NOW, redesign=LEGACY_NOW + timedelta(hours=1)) as rep:
        assert crawl(rep, db).returncode == 0
        before = {sid: t["version"] for sid, t in live(rep).items()}
        rep.advance(2)
        edited = sum(1 for sid, t in live(rep).items() if sid in before and t["version"] > before[sid])
        # every page again, unconditionally: the ETags did not change with the template
        again = crawl(rep, db, DDDN_MODE="full", DDDN_REVISIT_DAYS="100000", DDDN_CONDITIONAL_GET="False")
        assert again.returncode == 0
    counts = last_run(db).counts
    assert counts["article_pages"] > 100, "the second run fetched the pages again, in the new template"
    assert counts["new_versions"] == counts["new_articles"] + edited


@pytest.mark.slow
def test_jobdir_resumes_an_interrupted_run_without_refetching(tmp_path: Path) -> None:
    db, jobdir = f"sqlite:///{tmp_path / 'a.sqlite'}", str(tmp_path / "job")
    with Replica(articles=300, seed=41) as rep:
        want = live(rep)
        first = start_crawl(rep, db, tmp_path / "first.log", JOBDIR=jobdir, CONCURRENT_REQUESTS_PER_DOMAIN="2")
        wait_for_articles(db, 30)
        first.send_signal(signal.SIGTERM)  # Scrapy's graceful stop: the queue is saved in JOBDIR
        assert first.wait(timeout=120) != 0, "an interrupted run does not exit 0"
        partial = archived(db)
        resumed = crawl(rep, db, JOBDIR=jobdir)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert 0 < len(partial) < len(want)
    found = archived(db)
    assert set(want) <= set(found)
    plain = [sum(1 for rendered, _, _ in a["fetches"] if rendered == "http") for a in found.values()]  # type: ignore[union-attr]
    assert max(plain) == 1, "the resumed run fetched again what the first had fetched"


@pytest.mark.slow
def test_since_cutoff_leaves_older_articles_alone(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'a.sqlite'}"
    with Replica(articles=200, seed=42) as rep:
        by_date = sorted(live(rep).values(), key=lambda t: str(t["published"]))
        since = datetime.fromisoformat(str(by_date[len(by_date) // 2]["published"]))
        result = crawl(rep, db, DDDN_SINCE=since.isoformat(), DDDN_MODE="full")
    assert result.returncode == 0, result.stderr[-2000:]
    found = archived(db)
    newer = {t["site_id"] for t in by_date if datetime.fromisoformat(str(t["published"])) >= since}
    changed = {t["site_id"] for t in by_date if datetime.fromisoformat(str(t["updated"])) >= since}
    assert newer <= set(found) <= newer | changed, "only newer articles, and older ones edited since"


def listening_inodes() -> set[str]:
    """Inodes of every TCP socket on this machine in the LISTEN state (0A)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A":
                inodes.add(fields[9])
    return inodes


def socket_inodes(pid: int) -> set[str]:
    """Inodes of the sockets a process and its children hold open."""
    found, pids = set(), [pid]
    while pids:
        current = pids.pop()
        try:
            for fd in Path(f"/proc/{current}/fd").iterdir():
                target = os.readlink(fd)
                if target.startswith("socket:["):
                    found.add(target[8:-1])
            pids += [int(c) for c in Path(f"/proc/{current}/task/{current}/children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
    return found


@pytest.mark.slow
def test_a_crawl_listens_on_no_port(tmp_path: Path) -> None:
    """No telnet console, no remote-control server: nothing on the machine can talk to a running crawl."""
    db = f"sqlite:///{tmp_path / 'a.sqlite'}"
    with Replica(articles=150, seed=38) as rep:
        process = start_crawl(rep, db, tmp_path / "crawl.log", DOWNLOAD_DELAY="0.1", CONCURRENT_REQUESTS_PER_DOMAIN="1")
        try:
            wait_for_articles(db, 3)
            listening = socket_inodes(process.pid) & listening_inodes()
        finally:
            process.kill()
            process.wait(timeout=30)
    assert not listening
    log = (tmp_path / "crawl.log").read_text()
    assert "Telnet Password" not in log and "TelnetConsole" not in log


@pytest.mark.slow
def test_a_site_without_feeds_or_sitemaps_is_crawled_whole_and_healthy(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'a.sqlite'}"
    with Replica(articles=150, seed=39, faults="no-feeds") as rep:
        before = live(rep)
        result = crawl(rep, db)
    assert result.returncode == 0, result.stderr[-3000:]
    assert set(before) <= set(archived(db)), "the listings alone reach every article"
    run = last_run(db)
    assert run.outcome == "ok" and run.counts["absent_sources"] == 3 and run.counts["failed_listings"] == 0



SEASON_DAYS, SEASON_RUNS = 25, 5  # a hundred days of the replica's clock
SCHEDULE = tuple(timedelta(days=d) for d in (1, 3, 7, 14, 30, 90, 365))


def _season(rep: Replica, db: str) -> list[datetime]:
    """Crawls now and then every SEASON_DAYS of replica time; the replica's clock at each run."""
    clocks = []
    for n in range(SEASON_RUNS):
        if n:
            rep.advance(SEASON_DAYS * 24)
        clocks.append(rep.site.now)
        result = crawl(rep, db)
        assert result.returncode == 0, result.stderr[-3000:]
    return clocks


def _late_edits(rep: Replica, db: str, clocks: list[datetime], deadline: object) -> tuple[list[object], int]:
    """Edits made during the season that no run fetched between the edit and `deadline(meta, edit)`, the
    time by which one should have; and how many edits were checked. Run ids count up from 1."""
    found, late, checked = archived(db), [], 0
    for meta in rep.site.articles:
        article = found.get(meta.id)
        if article is None or article["status"] != "live":
            continue
        fetched = {clocks[run - 1] for _rendered, status, run in article["fetches"] if status == 200}
        for edit, _kind in meta.edits:
            due = deadline(meta, edit)  # type: ignore[operator]
            if not clocks[0] < edit or due is None or due > clocks[-1]:
                continue
            checked += 1
            deadline_run = min(c for c in clocks if c >= due)
            if not any(edit <= t <= deadline_run for t in fetched):
                late.append((meta.id, edit, sorted(fetched)))
    return late, checked


def next_point(meta: object, edit: datetime) -> datetime | None:
    """The first point of the revisit schedule at or after an edit: the run after it must have the edit."""
    points = [meta.published + age for age in SCHEDULE if meta.published + age >= edit]  # type: ignore[attr-defined]
    return min(points) if points else None


@pytest.mark.slow
def test_without_lastmod_every_edit_is_archived_within_the_revisit_schedule(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'a.sqlite'}"
    with Replica(articles=200, seed=41, faults="no-lastmod") as rep:
        clocks = _season(rep, db)
        late, checked = _late_edits(rep, db, clocks, next_point)
    assert not late, f"edits not archived by the run after their schedule point: {late[:3]}"
    assert checked >= 10
    runs = all_runs(db)
    assert sum(r.counts["revisits"]["lastmod"] for r in runs) == 0
    assert sum(r.counts["revisits"]["schedule"] for r in runs) > 0
    assert runs[0].counts["lastmod"]["next"] == {"mode": "schedule", "why": "the sitemaps give no lastmod",
                                                 "learnt": False}
    assert all(r.counts["lastmod"]["mode"] == "schedule" for r in runs[1:])


@pytest.mark.slow
def test_a_lastmod_that_never_moves_loses_our_trust_and_the_schedule_archives_every_edit(tmp_path: Path) -> None:
    """As on a sister site, lastmod is the publication plus one second. The first revisit that finds an edit
    it did not announce switches that run, and every later one, to the schedule."""
    db = f"sqlite:///{tmp_path / 'a.sqlite'}"
    with Replica(articles=200, seed=42, faults="stale-lastmod") as rep:
        clocks = _season(rep, db)
        late, checked = _late_edits(rep, db, clocks, next_point)
    assert not late, f"edits not archived by the run after their schedule point: {late[:3]}"
    assert checked >= 10
    runs = all_runs(db)
    assert runs[0].counts["lastmod"]["mode"] == "lastmod"
    learnt = next(r for r in runs if r.counts["lastmod"]["next"]["learnt"])
    assert learnt.counts["lastmod"]["why"].startswith("switched during the run: ")
    assert "not announced by the sitemaps' lastmod" in learnt.counts["lastmod"]["next"]["why"]
    later = runs[runs.index(learnt) + 1:]
    assert later and all(r.counts["lastmod"]["mode"] == "schedule" for r in later)
    assert sum(r.counts["revisits"]["lastmod"] for r in runs) == 0


def test_a_crawl_into_an_archive_on_read_only_media_is_refused_in_one_line(tmp_path: Path, replica: Replica) -> None:
    disk = tmp_path / "ro"
    disk.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(disk)], capture_output=True,
                             text=True)
    if mounted.returncode != 0:
        pytest.fail(f"cannot mount a filesystem for the test (run as root): {mounted.stderr.strip()}")
    try:
        db = f"sqlite:///{disk / 'archive.sqlite'}"
        Archive(db).close()
        subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
        before = (disk / "archive.sqlite").read_bytes()
        result = crawl(replica, db, DDDN_BROWSER="False")
        assert result.returncode == 2 and "Traceback" not in result.stderr
        last = result.stderr.strip().splitlines()[-1]
        assert last == f"crawl: {db} is read-only: a crawl needs an archive it can write"
        assert (disk / "archive.sqlite").read_bytes() == before
    finally:
        subprocess.run(["umount", str(disk)], check=False)


@pytest.mark.slow
def test_a_full_disk_fails_the_run_in_one_line_and_the_next_run_with_space_archives_everything(
        tmp_path: Path) -> None:
    """A crawl into an archive on a 3 MB filesystem: it stops at once with one line and exit 6, its run is
    recorded as failed for lack of space, the archive passes its audit, and a run given space catches up."""
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(disk)], capture_output=True,
                             text=True)
    if mounted.returncode != 0:
        pytest.fail(f"cannot mount a small filesystem for the test (run as root): {mounted.stderr.strip()}")
    try:
        db = f"sqlite:///{disk / 'archive.sqlite'}"
        with Replica(articles=300, seed=5) as rep:
            full = crawl(rep, db, DDDN_BROWSER="False")
            assert full.returncode == 6, full.stderr[-2000:]
            assert "Traceback" not in full.stderr
            assert [line for line in full.stderr.splitlines() if "CRITICAL" in line and "no space left" in line]
            record = all_runs(db)[-1]
            assert record.outcome == "failed" and any("no space left" in p for p in record.counts["problems"])
            audit = CliRunner().invoke(cli, ["--db", db, "verify"])
            assert audit.exit_code == 0 and "0 problems" in audit.output, audit.output
            assert "not recorded: no space left" in audit.output or all_runs(db)[-1].kind == "verify"
            subprocess.run(["mount", "-o", "remount,size=200m", str(disk)], check=True)
            again = crawl(rep, db, DDDN_BROWSER="False")
            assert again.returncode == 0, again.stderr[-2000:]
            live = {t["site_id"] for t in rep.truth() if t["status"] == "live" and t["kind"] != "emagazine"}
            assert live <= set(archived(db))
    finally:
        subprocess.run(["umount", str(disk)], check=False)
