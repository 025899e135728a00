"""Which archived articles a run fetches again, and why.

Four reasons, each counted in the run record:
- `lastmod`: a sitemap says the page changed after we last had it (found while reading sitemaps);
- `vanished`: a dated sitemap read in this run no longer lists a live archived article of its period,
  as when it was taken down (checked once the run has fetched everything else);
- `window`: the article is recent, when edits are most likely, so every run looks again;
- `schedule`: for sites that announce nothing, an older article is looked at again each time its age
  crosses a point of a decaying schedule (1, 3, 7, 14, 30, 90, 365 days by default), within a per-run
  budget; an article left over by the budget stays due for the next run.

Every revisit is a conditional GET, so an unchanged article costs a 304.

Whether `lastmod` can be trusted is learnt per archive (see `Trust`): while it is, the schedule only
probes a few articles a run; once a revisit finds an edit that `lastmod` did not announce (a sister site's
`lastmod` is the publication plus one second, forever), the full schedule carries the revisits, from that
same run on.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from archive.known import Known

REASON_META = "dddn_revisit"
EDIT_FOUND = object()  # signal, sent with url=: an archived article was fetched again and had changed
TRUST_SETTINGS = ("auto", "always", "never")


class Reason(StrEnum):
    LASTMOD = "lastmod"
    WINDOW = "window"
    SCHEDULE = "schedule"
    VANISHED = "vanished"  # a dated sitemap read in this run no longer lists it: taken down?


def is_recent(when: datetime | None, now: datetime, window: timedelta) -> bool:
    return when is not None and when >= now - window


def is_due(known: Known, now: datetime, schedule: tuple[timedelta, ...]) -> bool:
    """Whether the article's age crossed a schedule point since we last had it."""
    if known.published is None:
        return False
    checked = known.checked or known.published
    return any(checked < known.published + age <= now for age in schedule)


def changed_since_checked(known: Known | None, lastmod: datetime | None) -> bool:
    """Whether a sitemap's `lastmod` (the site's clock) is later than our last copy (the same clock)."""
    return known is not None and lastmod is not None and (known.checked is None or lastmod > known.checked)


def plan_revisits(known: Mapping[str, Known], now: datetime, window: timedelta, schedule: tuple[timedelta, ...],
                  budget: int) -> list[tuple[str, Reason]]:
    """Recent articles, then the scheduled ones, youngest first, at most `budget` of those."""
    recent = [url for url, k in known.items() if is_recent(k.published, now, window)]
    taken = set(recent)
    scheduled = sorted((url for url, k in known.items() if url not in taken and is_due(k, now, schedule)),
                       key=lambda url: known[url].published or now, reverse=True)
    return [(url, Reason.WINDOW) for url in recent] + [(url, Reason.SCHEDULE) for url in scheduled[:budget]]


class Mode(StrEnum):
    LASTMOD = "lastmod"  # sitemaps announce edits: the schedule only probes
    SCHEDULE = "schedule"  # the decaying schedule carries the revisits


@dataclass(frozen=True)
class Trust:
    """How revisits are chosen, and why. `learnt`: from an edit lastmod did not announce, which holds for
    every later run (a site whose lastmod lied once is not believed again) unless the operator says so."""

    mode: Mode
    why: str
    learnt: bool = False

    def record(self) -> dict[str, Any]:
        return {"mode": self.mode.value, "why": self.why, "learnt": self.learnt}

    @classmethod
    def initial(cls, setting: str, previous: Mapping[str, Any] | None) -> Trust:
        """The mode a run starts in: the setting's, else what the last run concluded."""
        if setting == "always":
            return cls(Mode.LASTMOD, "DDDN_LASTMOD_TRUST is always")
        if setting == "never":
            return cls(Mode.SCHEDULE, "DDDN_LASTMOD_TRUST is never")
        if previous:
            return cls(Mode(previous["mode"]), previous["why"], bool(previous.get("learnt")))
        return cls(Mode.LASTMOD, "no revisit has yet found an edit that lastmod did not announce")

    def judge(self, unannounced: list[str], entries: int, with_lastmod: int) -> Trust:
        """What this run's evidence says: `unannounced`, edits revisits found whose lastmod had not moved;
        `entries` sitemap entries read, `with_lastmod` of them carrying one."""
        if self.why.startswith("DDDN_LASTMOD_TRUST") or self.learnt:
            return self
        if unannounced:
            return Trust(Mode.SCHEDULE, f"{len(unannounced)} edits found by revisits were not announced by the "
                                        f"sitemaps' lastmod (e.g. {unannounced[0]})", learnt=True)
        if entries and not with_lastmod:
            return Trust(Mode.SCHEDULE, "the sitemaps give no lastmod")
        if with_lastmod and self.mode == Mode.SCHEDULE:
            return Trust(Mode.LASTMOD, "the sitemaps give lastmod again")
        return self
