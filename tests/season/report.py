"""The season's report: a table per run, totals, the accuracy figures, the incremental-efficiency figures,
and a plot of articles and versions over the season (an SVG beside the Markdown)."""

from __future__ import annotations

import statistics
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from tests.season.check import Accuracy
from tests.season.driver import Season, query
from tests.season.plan import KILL, KILL_COORDINATOR, KILL_WORKER, OVERLAP, PARSER

REASONS = ("lastmod", "window", "schedule", "vanished")
WIDTH, HEIGHT, PAD = 760, 320, 48


def _mib(n: float) -> str:
    return f"{n / 2**20:,.1f}"


def rows(season: Season) -> list[dict[str, Any]]:
    """One row per command the season ran, with its run record's counts."""
    records, out = season.records(), []
    for command in season.commands:
        record = records.get(command.records[0], {"outcome": "—", "counts": {}}) if command.records else (
            {"outcome": "no record", "counts": {}})
        counts = record["counts"]
        out.append({"run": command.run, "kind": command.kind, "clock": command.clock, "faults": command.faults,
                    "event": command.event or "", "exit": command.exit_code, "outcome": record["outcome"],
                    "seconds": command.seconds, "bytes": counts.get("bytes", 0), "pages": counts.get("pages", 0),
                    "not_modified": counts.get("not_modified", 0), "new_articles": counts.get("new_articles", 0),
                    "new_versions": counts.get("new_versions", 0),
                    "revisits": {r: (counts.get("revisits") or {}).get(r, 0) for r in REASONS},
                    "changed": counts.get("articles_changed", 0), "problems": counts.get("problems") or []})
    return out


def write(season: Season, accuracy: Accuracy, folder: Path) -> Path:
    table = rows(season)
    crawls = [r for r in table if r["kind"] == "crawl"]
    first, unchanged = crawls[0], crawls[-1]
    total = {key: sum(r[key] for r in crawls) for key in ("bytes", "pages", "not_modified", "new_articles",
                                                          "new_versions", "seconds")}
    setup = ("two crawler processes a run on a Redis frontier, a PostgreSQL archive, the search index followed "
             "by `archive index follow`" if season.plan.cluster else "one crawler process a run, a SQLite archive")
    lines = [f"# Simulated season `{season.plan.name}`", "",
             f"{len(crawls)} scheduled crawl runs from {crawls[0]['clock']:%Y-%m-%d} to {season.end:%Y-%m-%d} "
             f"(replica clock), redesign on {season.plan.redesign:%Y-%m-%d}, replica seed {season.plan.seed}, "
             f"{season.plan.articles} articles in the back catalogue; {setup}.", "",
             "## Runs", "",
             "| run | clock | faults | event | exit | outcome | MiB | pages | 304 | new articles | new versions "
             "| revisits lastmod/window/schedule/vanished | s |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in table:
        revisits = "/".join(str(r["revisits"][k]) for k in REASONS) if r["kind"] == "crawl" else ""
        what = r["event"] if r["kind"] == "crawl" else f"{r['kind']}: {r['event']}"
        lines.append(f"| {r['run']} | {r['clock']:%m-%d %H:%M} | {r['faults']} | {what} | {r['exit']} | "
                     f"{r['outcome']} | {_mib(r['bytes'])} | {r['pages']:,} | {r['not_modified']:,} | "
                     f"{r['new_articles']:,} | {r['new_versions']:,} | {revisits} | {r['seconds']:.1f} |")
    said = [f"- run {r['run']} ({r['kind']}, {r['outcome']}): {'; '.join(r['problems'])}" for r in table
            if r["problems"]]
    lines += ["", "What the runs that did not end ok said:", "", *said] if said else []
    failures = accuracy.failures()
    a = accuracy
    lines += ["", "## Totals", "",
              f"- {len(crawls)} crawl runs: {_mib(total['bytes'])} MiB, {total['pages']:,} pages, "
              f"{total['not_modified']:,} answered 304, {total['new_articles']:,} new articles, "
              f"{total['new_versions']:,} new versions, {total['seconds'] / 60:.1f} min of crawling",
              "", "## Accuracy against the replica's ground truth", "",
              f"- articles: {a.archived:,} archived of {a.published:,} published and seen live by a run; missing "
              f"{len(a.missing)}, archived twice {len(a.duplicated)}, under a wrong URL {len(a.wrong_url)}",
              f"- versions: {a.versions_archived:,} archived, {a.versions_expected:,} expected from the edits the "
              f"runs could see; missing in {len(a.versions_missing)} articles, invented in "
              f"{len(a.versions_invented)}",
              f"- edits: {a.edits_checked:,} checked ({a.old_edits_checked} made two weeks or more after publication), "
              f"{len(a.late_edits)} not archived by the first completed run after them",
              f"- takedowns: {a.gone_expected} articles taken down while archived; {len(a.gone_unmarked)} not "
              f"marked gone, {len(a.gone_without_history)} without their history",
              f"- run records: {len(table)} commands, problems: {len(a.run_problems)}",
              f"- search: {a.searched:,} live articles looked up by a phrase of their latest text, with and "
              f"without diacritics; {len(a.search_misses)} misses",
              f"- parser change: {len(a.not_reextracted)} stored article pages not read by the deployment's "
              "parser at the end",
              f"- `archive verify` of the whole archive at the end: {a.integrity}",
              *distributed(season, a),
              "", "**Result: " + ("PASS**" if not failures else "FAIL**"), ""]
    for name, found in failures.items():
        lines.append(f"- {name}: {len(found)}, e.g. {found[:3]}")

    def ratio(key: str) -> float:
        return unchanged[key] / first[key] if first[key] else 0.0

    lines += ["", "## Incremental efficiency", "",
              f"- bytes per new version: {total['bytes'] / max(total['new_versions'], 1) / 1024:,.1f} KiB "
              f"({_mib(total['bytes'])} MiB for {total['new_versions']:,} versions)",
              f"- an unchanged day (run {unchanged['run']}, the clock not moved) against the first crawl: "
              f"{_mib(unchanged['bytes'])} vs {_mib(first['bytes'])} MiB ({ratio('bytes'):.1%}), "
              f"{unchanged['pages']:,} vs {first['pages']:,} pages ({ratio('pages'):.1%}), "
              f"{unchanged['seconds']:.1f} vs {first['seconds']:.1f} s ({ratio('seconds'):.1%})",
              "", "![articles and versions over the season](season.svg)", ""]
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "season.svg").write_text(plot(season), encoding="utf-8")
    path = folder / "season.md"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def distributed(season: Season, a: Accuracy) -> list[str]:
    """The lines of the season's events on the distributed setup: kills, the index follower, the audit
    and the backup."""
    if not season.plan.cluster:
        return []
    crawls = [c for c in season.commands if c.kind == "crawl"]
    records = season.records()
    kills = [f"run {c.run}, {c.event}: the processes exited {c.exit_code} and {c.worker_exit}, the run recorded "
             f"{records[c.records[0]]['outcome'] if c.records else 'nothing'}"
             for c in crawls if c.event in (KILL_WORKER, KILL_COORDINATOR)]
    audits = [f"`verify --sample 0.05` after run {c.run}: exit {c.exit_code}" for c in season.commands
              if c.kind == "verify"]
    backup = season.backup
    lags, second = season.index_lags, dict(Counter(c.worker_exit for c in crawls))
    lines = [f"- kills: {'; '.join(kills)}",
             f"- the second process of each run exited (exit code: runs) {second}",
             f"- search index follower: held each run's articles {statistics.median(lags):.1f} s after the run "
             f"(median; at most {max(lags):.1f} s), exited {season.follower_exit}; problems: "
             f"{'; '.join(a.index_problems) or 'none'}" if lags else "- search index follower: no run",
             f"- mid-season audit: {'; '.join(audits) or 'none'}"]
    if backup is not None:
        lines.append(f"- mid-season backup after run {backup.run} (`export --format warc --fetches all`, exit "
                     f"{backup.exit_code}, {backup.seconds:.1f} s, {backup.path.stat().st_size / 2**20:.1f} MiB), "
                     f"restored into a fresh PostgreSQL database at the end: {a.restored_articles:,} articles; "
                     f"{'; '.join(a.backup_problems) or 'the same articles, versions and fingerprints'}")
    return lines


def growth(season: Season) -> list[tuple[datetime, int, int]]:
    """Articles and versions the archive holds at the end, by the run whose fetch first showed each: the
    archive's own account, after the kill and the re-extraction."""
    articles = Counter(run for (run,) in query(
        season.db_url,
        "SELECT min(run_id) FROM fetches WHERE article_id IS NOT NULL AND run_id IS NOT NULL GROUP BY article_id"))
    versions = Counter(run for (run,) in query(
        season.db_url, "SELECT f.run_id FROM versions v JOIN extractions e ON e.id = v.extraction_id "
        "JOIN fetches f ON f.id = e.fetch_id"))
    points, a, v = [], 0, 0
    for command in season.commands:
        if command.kind == "crawl" and command.records:
            run = command.records[0]
            a, v = a + articles[run], v + versions[run]
            points.append((command.clock, a, v))
    return points


def plot(season: Season) -> str:
    """Articles and versions archived so far against the replica's clock, with the season's events."""
    points = growth(season)
    t0, t1 = points[0][0], points[-1][0]
    span, top = max((t1 - t0).total_seconds(), 1.0), max(max(p[2] for p in points), 1)

    def x(t: datetime) -> float:
        return PAD + (t - t0).total_seconds() / span * (WIDTH - 2 * PAD)

    def y(n: float) -> float:
        return HEIGHT - PAD - n / top * (HEIGHT - 2 * PAD)

    marks = [(season.plan.redesign, "redesign")] + [
        (c.clock, c.event) for c in season.commands
        if c.kind == "crawl" and c.event in (KILL, KILL_WORKER, KILL_COORDINATOR, OVERLAP, PARSER)]
    parts = []
    for n in range(5):
        parts.append(f'<line x1="{PAD}" x2="{WIDTH - PAD}" y1="{y(top * n / 4):.1f}" y2="{y(top * n / 4):.1f}" '
                     f'stroke="#ddd"/><text x="{PAD - 6}" y="{y(top * n / 4):.1f}" text-anchor="end" '
                     f'font-size="11">{top * n / 4:,.0f}</text>')
    for t in (t0, t0 + (t1 - t0) / 2, t1):
        parts.append(f'<text x="{x(t):.1f}" y="{HEIGHT - PAD + 18}" text-anchor="middle" font-size="11">'
                     f'{t:%Y-%m-%d}</text>')
    for t, label in marks:
        parts.append(f'<line x1="{x(t):.1f}" x2="{x(t):.1f}" y1="{PAD - 10}" y2="{HEIGHT - PAD}" stroke="#888" '
                     f'stroke-dasharray="4 3"/><text x="{x(t) + 3:.1f}" y="{PAD - 12}" font-size="11" '
                     f'fill="#555">{escape(str(label))}</text>')
    series = {"articles": [(t, a) for t, a, _ in points], "versions": [(t, v) for t, _, v in points]}
    for (label, values), colour in zip(series.items(), ("#1f6feb", "#d1242f"), strict=True):
        line = " ".join(f"{x(t):.1f},{y(n):.1f}" for t, n in values)
        last = values[-1][1]
        parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{line}"/>'
                     f'<text x="{WIDTH - PAD + 4}" y="{y(last) + 4:.1f}" fill="{colour}" font-size="12">'
                     f'{label} {last:,}</text>')
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH + 70}" height="{HEIGHT}" '
            f'font-family="sans-serif"><title>Articles and versions archived over the season</title>'
            f'{"".join(parts)}</svg>\n')
