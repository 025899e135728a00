"""A short simulated season (`tests.season.plan.SHORT`): scheduled runs through faults, the redesign, a
SIGKILL, an overlapping start and a parser change, and the archive exact against the ground truth.
`make season` plays the three-month one and prints its report."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from tests.replica import Replica
from tests.season.check import Checker
from tests.season.driver import Player
from tests.season.plan import CLUSTER_SHORT, KILL, KILL_COORDINATOR, KILL_WORKER, OVERLAP, PARSER, SHORT
from tests.season.report import write
from tests.services import create_database


@pytest.mark.slow
def test_a_short_season_leaves_an_exact_archive(tmp_path: Path) -> None:
    plan = SHORT
    with Replica(articles=plan.articles, seed=plan.seed, now=plan.start, redesign=plan.redesign,
                 horizon_days=plan.days + 1) as rep:
        season = Player(plan, rep, tmp_path, io.StringIO()).play()
        accuracy = Checker(season, rep.site).run()
        templates = {rep.site.template_at(c.clock) for c in season.commands}
    report = write(season, accuracy, tmp_path).read_text(encoding="utf-8")
    assert not accuracy.failures(), report
    assert templates == {"legacy", "current"}, "the redesign happened mid-season"
    assert accuracy.old_edits_checked >= 1 and accuracy.edits_checked >= 20, report
    assert accuracy.gone_expected >= 1 and accuracy.searched >= 300, report
    crawls = {c.run: c for c in season.commands if c.kind == "crawl"}
    assert len(crawls) == plan.runs
    events = {event: run for run, event in plan.events.items()}
    assert crawls[events[KILL]].exit_code < 0 or crawls[events[KILL]].exit_code == 137
    assert [c.exit_code for c in season.commands if c.kind == "reextract"] == [0, 0]
    assert any(c.event == OVERLAP and c.kind == "overlap" for c in season.commands)
    assert any(c.event == PARSER for c in crawls.values())
    assert "| run | clock |" in report and (tmp_path / "season.svg").read_text().startswith("<svg")


@pytest.mark.slow
def test_a_short_season_on_the_distributed_setup_leaves_an_exact_archive(
        tmp_path: Path, postgres: str, redis_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same story on PostgreSQL with two crawler processes a run on a Redis frontier: a worker killed in
    one run, the coordinator in another, the search index followed all season, and a mid-season audit and
    WARC backup restored into a fresh database at the end."""
    plan = CLUSTER_SHORT
    monkeypatch.setenv("ARCHIVE_SEARCH_DIR", str(tmp_path / "search"))
    db, restore_into = create_database(postgres, "season"), create_database(postgres, "season_restored")
    with Replica(articles=plan.articles, seed=plan.seed, now=plan.start, redesign=plan.redesign,
                 horizon_days=plan.days + 1) as rep:
        season = Player(plan, rep, tmp_path, io.StringIO(), db_url=db, frontier=redis_url).play()
        accuracy = Checker(season, rep.site, restore_into=restore_into).run()
        report = write(season, accuracy, tmp_path).read_text(encoding="utf-8")
    assert not accuracy.failures(), report
    crawls = {c.run: c for c in season.commands if c.kind == "crawl"}
    events = {event: run for run, event in plan.events.items()}
    assert crawls[events[KILL_WORKER]].worker_exit in (-9, 137), report
    assert crawls[events[KILL_COORDINATOR]].exit_code in (-9, 137), report
    outcomes = {run: season.records()[c.records[0]]["outcome"] for run, c in crawls.items()}
    assert outcomes[events[KILL_WORKER]] == "incomplete" and outcomes[events[KILL_COORDINATOR]] == "interrupted"
    assert [c.exit_code for c in season.commands if c.kind == "verify"] == [0]
    assert season.backup is not None and accuracy.restored_articles > 0 and season.follower_exit == 0
    assert accuracy.searched >= 200 and "mid-season backup" in report, report
