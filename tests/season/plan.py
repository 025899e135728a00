"""What happens when in a simulated season: the replica's clock at each scheduled run, the fault profile
the site has then, and the events (a kill, an overlapping start, a parser change) that land on a run."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from tests.replica import VN

KILL, OVERLAP, PARSER, UNCHANGED = "kill", "overlap", "parser", "unchanged"
# On the distributed setup (`Plan.cluster`): one of the two crawler processes killed, and the mid-season
# audit and backup (after the run it lands on).
KILL_WORKER, KILL_COORDINATOR, BACKUP = "kill worker", "kill coordinator", "backup"
CANDIDATE_PARSER = "tests.archive.parsers:without_editors_note"


@dataclass(frozen=True)
class Plan:
    name: str
    runs: int  # scheduled crawl runs, the last of them at the same clock as the one before (an unchanged day)
    every_hours: float
    articles: int  # the back catalogue the first run finds
    seed: int
    start: datetime
    redesign_after_days: float  # the site-wide switch from the legacy template to the current one
    faults: dict[int, str] = field(default_factory=dict)  # run number -> profile for that run
    events: dict[int, str] = field(default_factory=dict)  # run number -> KILL | OVERLAP | PARSER | …
    # PostgreSQL, two crawler processes on a Redis frontier each run, and the search index followed by
    # `archive index follow` all season
    cluster: bool = False

    @property
    def redesign(self) -> datetime:
        return self.start + timedelta(days=self.redesign_after_days)

    @property
    def days(self) -> float:
        return (self.runs - 2) * self.every_hours / 24

    def fault_at(self, run: int) -> str:
        return self.faults.get(run, "none")

    def event_at(self, run: int) -> str | None:
        return UNCHANGED if run == self.runs else self.events.get(run)

    def parser_at(self, run: int) -> str | None:
        """The parser the deployment runs from the parser change on (None: the default one)."""
        changed = [n for n, event in self.events.items() if event == PARSER]
        return CANDIDATE_PARSER if changed and run >= changed[0] else None


def _spread(profiles: dict[tuple[int, int], str]) -> dict[int, str]:
    return {run: profile for (first, last), profile in profiles.items() for run in range(first, last + 1)}


START = datetime(2023, 12, 1, 7, 0, tzinfo=VN)

# `make season`: 62 runs over about three months, every 35 hours (so runs fall at every hour of the day),
# the redesign halfway.
FULL = Plan(
    name="full", runs=62, every_hours=35, articles=600, seed=71, start=START, redesign_after_days=45,
    faults=_spread({(6, 7): "5xx", (12, 14): "chaos", (19, 19): "waf", (33, 35): "chaos", (41, 42): "truncate",
                    (50, 51): "429", (56, 57): "chaos"}),
    events={17: KILL, 26: OVERLAP, 46: PARSER},
)

# The test's season: the same story in two weeks.
SHORT = Plan(
    name="short", runs=11, every_hours=36, articles=150, seed=74, start=START, redesign_after_days=6.5,
    faults=_spread({(3, 3): "chaos", (7, 7): "5xx", (9, 9): "chaos"}),
    events={4: KILL, 6: OVERLAP, 8: PARSER},
)

# `make season-cluster`: the story on the distributed setup. Every run is two processes, so a second start
# is not refused but joins: no overlap event.
CLUSTER = Plan(
    name="cluster", runs=30, every_hours=35, articles=400, seed=72, start=START, redesign_after_days=21,
    faults=_spread({(4, 4): "5xx", (8, 9): "chaos", (17, 17): "truncate", (23, 24): "chaos"}),
    events={6: KILL_WORKER, 13: BACKUP, 15: KILL_COORDINATOR, 22: PARSER}, cluster=True,
)

# The test's cluster season.
CLUSTER_SHORT = Plan(
    name="cluster-short", runs=9, every_hours=36, articles=120, seed=76, start=START, redesign_after_days=5,
    faults=_spread({(3, 3): "chaos"}),
    events={2: KILL_WORKER, 4: BACKUP, 5: KILL_COORDINATOR, 7: PARSER}, cluster=True,
)

PLANS = {plan.name: plan for plan in (FULL, SHORT, CLUSTER, CLUSTER_SHORT)}
