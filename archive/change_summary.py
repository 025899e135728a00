"""`archive changes --summary`: the first table of a paper on an outlet's corrections. Of the articles
the filters choose (by publication time, query, section and author): how many were edited after they
were first archived, how long after publication the first edit was seen, and the kinds of change; for
all of them, per section and per month of publication (Vietnam time)."""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from archive.changes import KINDS, ChangeFilters, Log, kinds_of
from archive.extract.dates import VN
from archive.models import SearchDoc, Version


@dataclass
class Group:
    scope: str  # all, section or month
    key: str
    articles: int = 0
    edited: int = 0  # articles with at least one version after their first
    lags: list[float] = field(default_factory=list)  # hours from publication to the first edit seen
    kinds: Counter[str] = field(default_factory=Counter)

    @property
    def share_edited(self) -> float:
        return round(self.edited / self.articles, 4) if self.articles else 0.0

    @property
    def median_lag_hours(self) -> float | None:
        return round(statistics.median(self.lags), 2) if self.lags else None

    def as_dict(self) -> dict[str, Any]:
        return {"scope": self.scope, "key": self.key, "articles": self.articles, "edited": self.edited,
                "share_edited": self.share_edited, "median_lag_hours": self.median_lag_hours,
                **{kind: self.kinds[kind] for kind in KINDS}}


COLUMNS = ["scope", "key", "articles", "edited", "share_edited", "median_lag_hours", *KINDS]


def summarize(session: Session, filters: ChangeFilters) -> list[Group]:
    """One group for all articles, then one per section (most articles first), then one per month."""
    first, second = aliased(Version), aliased(Version)
    query = (select(first.article_id, first.published, second.seen_at.label("edited_at"),
                    func.coalesce(SearchDoc.section, "").label("section"))
             .outerjoin(second, (second.article_id == first.article_id) & (second.number == 2))
             .outerjoin(SearchDoc, SearchDoc.article_id == first.article_id).where(first.number == 1))
    if filters.since:
        query = query.where(first.published >= filters.since)
    if filters.until:
        query = query.where(first.published < filters.until)
    log = Log(session, filters)
    query = query.where(*log.conditions(first.article_id))
    articles = {row.article_id: row for row in session.execute(query) if log.chosen(row.article_id)}
    kinds: dict[int, Counter[str]] = defaultdict(Counter)
    for article_id, changed, n in session.execute(
            select(Version.article_id, Version.changed, func.count()).where(Version.number > 1)
            .group_by(Version.article_id, Version.changed)):
        if article_id in articles:
            for kind in kinds_of(changed):
                kinds[article_id][kind] += n
    every_event = ChangeFilters(kinds=("takedown", "return"), section=filters.section, author=filters.author)
    for event in Log(session, every_event).events:
        if event.article_id in articles:
            kinds[event.article_id][event.kinds[0]] += 1
    everything = Group("all", "all")
    sections: dict[str, Group] = {}
    months: dict[str, Group] = {}
    for article_id, row in articles.items():
        month = row.published.astimezone(VN).strftime("%Y-%m") if row.published else "—"
        for group in (everything, sections.setdefault(row.section or "—", Group("section", row.section or "—")),
                      months.setdefault(month, Group("month", month))):
            _add(group, row.published, row.edited_at, kinds.get(article_id, Counter()))
    ranked = sorted(sections.values(), key=lambda g: (-g.articles, g.key))
    return [everything, *ranked, *(months[m] for m in sorted(months))]


def _add(group: Group, published: datetime | None, edited_at: datetime | None, kinds: Counter[str]) -> None:
    group.articles += 1
    group.kinds.update(kinds)
    if edited_at is not None:
        group.edited += 1
        if published is not None:
            group.lags.append((edited_at - published).total_seconds() / 3600)


def as_text(groups: list[Group]) -> str:
    lines = []
    for group in groups:
        if group.scope == "all":
            lines.append(f"{group.articles:,} articles, {group.edited:,} edited after publication "
                         f"({group.share_edited:.1%}); median lag to the first edit: {_hours(group.median_lag_hours)}")
            lines.append("kinds of change: " + (", ".join(f"{k} {group.kinds[k]:,}" for k in KINDS if group.kinds[k])
                                                 or "none"))
        elif group.key == next(g.key for g in groups if g.scope == group.scope):
            lines.append("")
            lines.append(f"per {group.scope}:")
            lines.append(_row(group))
        else:
            lines.append(_row(group))
    return "\n".join(lines)


def _row(group: Group) -> str:
    kinds = ", ".join(f"{k} {group.kinds[k]}" for k in KINDS if group.kinds[k])
    return (f"  {group.key}: {group.edited:,} of {group.articles:,} edited ({group.share_edited:.1%}), "
            f"median lag {_hours(group.median_lag_hours)}" + (f"; {kinds}" if kinds else ""))


def _hours(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.1f} h" if value < 48 else f"{value / 24:.1f} days"
