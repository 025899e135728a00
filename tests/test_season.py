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
from tests.season.plan import KILL, OVERLAP, PARSER, SHORT
from tests.season.report import write


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
