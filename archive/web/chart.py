"""The charts of the search page (matches per month) and of the changes page (changes per week, split by
kind), laid out here and drawn by the templates as SVG: no script, so they show with JavaScript off, and
nothing to fetch from a CDN."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

WIDTH, HEIGHT, TOP = 720, 140, 8  # viewBox units; the bars stand on the bottom edge
MIN_SLOTS = 12  # a few months (or weeks) of matches are drawn as bars, never as one bar across the chart


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
    step = WIDTH / max(len(every), MIN_SLOTS)
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


@dataclass
class Segment:
    kind: str
    count: int
    y: float
    height: float


@dataclass
class Column:
    week: str  # its Monday, YYYY-MM-DD
    total: int
    x: float
    width: float
    segments: list[Segment]
    since: str  # the week's Monday and Sunday, for the link that narrows the view to it
    until: str


def stacked(weeks: list[tuple[str, dict[str, int]]], kinds: tuple[str, ...]) -> list[Column]:
    """One column per week from the first week with changes to the last, empty weeks included, each a
    stack of its kinds in the order of `kinds`."""
    if not weeks:
        return []
    counts = dict(weeks)
    first, last = date.fromisoformat(weeks[0][0]), date.fromisoformat(weeks[-1][0])
    every = [first + timedelta(weeks=n) for n in range((last - first).days // 7 + 1)]
    peak = max(sum(c.values()) for c in counts.values()) or 1
    step = WIDTH / max(len(every), MIN_SLOTS)
    out = []
    for n, monday in enumerate(every):
        week = counts.get(monday.isoformat(), {})
        bottom, segments = float(HEIGHT), []
        for kind in kinds:
            if week.get(kind):
                height = (HEIGHT - TOP) * week[kind] / peak
                bottom -= height
                segments.append(Segment(kind, week[kind], round(bottom, 2), round(height, 2)))
        out.append(Column(monday.isoformat(), sum(week.values()), round(n * step, 2), round(max(step * 0.85, 0.5), 2),
                          segments, monday.isoformat(), (monday + timedelta(days=6)).isoformat()))
    return out
