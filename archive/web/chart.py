"""The search page's chart of matches per month, laid out here and drawn by the template as SVG: no
script, so it shows with JavaScript off, and nothing to fetch from a CDN."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date

WIDTH, HEIGHT, TOP = 720, 140, 8  # viewBox units; the bars stand on the bottom edge


@dataclass
class Bar:
    month: str  # YYYY-MM
    count: int
    x: float
    y: float
    width: float
    height: float
    since: str  # the month's first and last day, for the link that narrows the search to it
    until: str


def bars(months: list[tuple[str, int]]) -> list[Bar]:
    """One bar per month from the first month with matches to the last, empty months included, so that
    the horizontal axis is time."""
    if not months:
        return []
    counts = dict(months)
    first, last = _month(months[0][0]), _month(months[-1][0])
    every, at = [], first
    while at <= last:
        every.append(at)
        at = date(at.year + at.month // 12, at.month % 12 + 1, 1)
    peak = max(counts.values()) or 1
    step = WIDTH / len(every)
    out = []
    for n, start in enumerate(every):
        key = start.strftime("%Y-%m")
        count = counts.get(key, 0)
        height = (HEIGHT - TOP) * count / peak
        end = start.replace(day=calendar.monthrange(start.year, start.month)[1])
        out.append(Bar(key, count, round(n * step, 2), round(HEIGHT - height, 2), round(max(step * 0.85, 0.5), 2),
                       round(height, 2), start.isoformat(), end.isoformat()))
    return out


def _month(key: str) -> date:
    year, month = key.split("-")
    return date(int(year), int(month), 1)
