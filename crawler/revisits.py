"""Which archived articles a run fetches again, and why.

Three reasons, each counted in the run record:
- `lastmod`: a sitemap says the page changed after we last had it (found while reading sitemaps);
- `window`: the article is recent, when edits are most likely, so every run looks again;
- `schedule`: for sites that announce nothing, an older article is looked at again each time its age
  crosses a point of a decaying schedule (1, 3, 7, 14, 30, 90, 365 days by default), within a per-run
  budget; an article left over by the budget stays due for the next run.

Every revisit is a conditional GET, so an unchanged article costs a 304.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from enum import StrEnum

from archive.known import Known

REASON_META = "dddn_revisit"


class Reason(StrEnum):
    LASTMOD = "lastmod"
    WINDOW = "window"
    SCHEDULE = "schedule"


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
