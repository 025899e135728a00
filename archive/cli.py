"""The `archive` command line: thin commands over the library, one-line errors, non-zero exits."""

from __future__ import annotations

import json
import os
import signal
import socket
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeRemainingColumn
from rich.table import Table
from rich.text import Text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from archive import (
    __version__,
    backup,
    change_summary,
    changes,
    export,
    parsers,
    queries,
    reextract,
    runs,
    verify,
    warc,
)
from archive.database import URL_ENV, Archive, ArchiveError, database_url, out_of_space, upgrade
from archive.diff import compare, with_context
from archive.export import FORMATS as EXPORT_FORMATS
from archive.export import Fetches, Format, Versions
from archive.extract import Article, extract
from archive.extract.dates import VN
from archive.importing import import_warcs
from archive.locks import Locked, RunLock
from archive.models import Article as ArchivedArticle
from archive.search import index as search_index
from archive.search import store
from archive.search.engine import SORTS, Filters, Results, Sort, render_snippet, search
from archive.search.query import QueryError
from archive.urls import UrlRules, parse_aliases
from archive.vocab import ArticleStatus, RunKind, RunOutcome

FORMATS = click.Choice(["json", "jsonl", "text"])
DATE_FORMATS = ["%Y-%m-%d", "%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]
CHANGE_FIELDS = ["id", "kinds", "article_id", "canonical_url", "title", "title_before", "section", "seen_at",
                 "published", "lag_hours", "version", "words_removed", "words_added", "words", "status"]
HIT_FIELDS = ("id", "canonical_url", "title", "published", "section", "author", "snippet", "score")
F = TypeVar("F", bound=Callable[..., Any])


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="archive")
@click.option("--db", envvar="ARCHIVE_DB_URL", metavar="URL",
              help="SQLAlchemy URL of the archive [env ARCHIVE_DB_URL; default sqlite:///data/dddn-archive.sqlite]")
@click.pass_context
def cli(ctx: click.Context, db: str | None) -> None:
    """Research and maintain the Diễn đàn Doanh nghiệp archive."""
    ctx.obj = database_url(db)


@contextmanager
def opened(ctx: click.Context, migrate: bool = True, create: bool = False) -> Iterator[Archive]:
    """The archive named by --db, with every ArchiveError turned into a one-line message. Only commands
    that write pass `create`: a read of a mistyped path is an error, and leaves no file behind."""
    try:
        archive = Archive(ctx.obj, migrate=migrate, create=create)
    except ArchiveError as exc:
        raise click.ClickException(str(exc)) from None
    try:
        yield archive
    except ArchiveError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        archive.close()


def format_option(*choices: str) -> Callable[[F], F]:
    return click.option("--format", "fmt", type=click.Choice(list(choices)), default=choices[-1],
                        show_default=True)


def local(value: datetime | str | None) -> str:
    """A time as the site's readers see it: Vietnam time, with its zone."""
    if value is None:
        return "—"
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.astimezone(VN).strftime("%Y-%m-%d %H:%M ICT (+07:00)")


@contextmanager
def reading(ctx: click.Context) -> Iterator[Session]:
    """A read-only session on an existing archive."""
    with opened(ctx) as archive, archive.transaction(write=False) as session:
        yield session


@contextmanager
def searching(ctx: click.Context) -> Iterator[Session]:
    """`reading`, on an archive whose search index has caught up with it first."""
    with opened(ctx) as archive:
        index_ready(archive)
        with archive.transaction(write=False) as session:
            yield session


def index_ready(archive: Archive, rebuild: bool = False) -> int:
    """Brings the archive's search index up to date (afresh with `rebuild`), with a progress bar when
    there is much to do; waits, saying so, for another process that is writing it. The number indexed."""
    index = store.for_engine(archive.engine, archive.url)
    bar = progress()
    task: list[TaskID] = []

    def on_total(n: int) -> None:
        if n >= 1000:
            bar.start()
            task.append(bar.add_task("indexing for search", total=n))

    def on_article(n: int) -> None:
        if task:
            bar.advance(task[0], n)

    try:
        if not rebuild:
            return index.catch_up(on_total=on_total, on_article=on_article)
        try:
            return index.rebuild(on_total=on_total, on_article=on_article, wait=False)
        except store.IndexBusy as exc:
            click.echo(f"{exc}: waiting for it", err=True)
            return index.rebuild(on_total=on_total, on_article=on_article)
    except store.SearchIndexError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        if task:
            bar.stop()


alias_option = click.option(
    "--alias", "aliases", multiple=True, metavar="ALIAS=HOST",
    help="Another host name of the site, e.g. dddn.com.vn=diendandoanhnghiep.vn (repeatable).")


def article_for(session: Session, ref: str, aliases: tuple[str, ...]) -> ArchivedArticle:
    return queries.find_article(session, ref, url_rules(aliases))


def url_rules(aliases: tuple[str, ...]) -> UrlRules:
    try:
        return UrlRules.from_env().with_aliases(parse_aliases(",".join(aliases)))
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None


@cli.command("extract")
@click.argument("files", nargs=-1, required=True, metavar="FILE...")
@click.option("--url", help="The URL the page was fetched from (default: its canonical link, else the file).")
@click.option("--format", "fmt", type=FORMATS, default="json", show_default=True)
@alias_option
def extract_cmd(files: tuple[str, ...], url: str | None, fmt: str, aliases: tuple[str, ...]) -> None:
    """Extract articles from saved pages (.html or .html.gz; - reads standard input).

    Prints one JSON object per page. A page that is not an article still prints, with flags saying why.

    Example:

        archive extract saved/page.html.gz --url https://diendandoanhnghiep.vn/a-10150001.html
    """
    rules = url_rules(aliases)
    missing = [f for f in files if f != "-" and not Path(f).is_file()]
    if missing:
        raise click.ClickException(f"no such file: {missing[0]}")
    for name in files:
        body = sys.stdin.buffer.read() if name == "-" else Path(name).read_bytes()
        page_url = url or (Path(name).resolve().as_uri() if name != "-" else "file:///dev/stdin")
        emit(extract(body, page_url, rules=rules), fmt)


def emit(article: Article, fmt: str) -> None:
    data = article.to_dict()
    if fmt == "jsonl":
        click.echo(json.dumps(data, ensure_ascii=False))
    elif fmt == "json":
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        click.echo(as_text(data))


def as_text(data: dict[str, Any]) -> str:
    head = [data["title"] or "(no title)", data["canonical_url"]]
    meta = [f"{k}: {v}" for k, v in (
        ("published", data["published"]), ("updated", data["updated"]), ("author", ", ".join(data["author"])),
        ("section", " › ".join(data["section_path"])), ("tags", ", ".join(data["tags"])),
        ("template", data["template"]), ("flags", ", ".join(data["flags"]) or "none")) if v]
    return "\n".join([*head, *meta, "", data["lead"], "", data["text"], ""])


# -- the archive ---------------------------------------------------------------------------------

@cli.group("db")
def db_group() -> None:
    """Create or migrate the archive's database."""


@db_group.command("upgrade")
@click.pass_context
def db_upgrade(ctx: click.Context) -> None:
    """Apply every pending migration (new archives are migrated on first use anyway), and fill the search
    index of an archive made before it existed.

    Example:

        ARCHIVE_DB_URL=postgresql://archive@db/dddn archive db upgrade
    """
    with opened(ctx, migrate=False, create=True) as archive:
        upgrade(archive.engine)
        click.echo(f"{archive.safe_url}: schema up to date")
        with archive.transaction() as session:
            if search_index.is_missing(session):
                rebuild_rows(session)
            if measured := changes.measure_pending(session):
                click.echo(f"measured what {measured:,} versions changed, for the change log")
        if indexed := index_ready(archive):
            click.echo(f"indexed {indexed:,} articles for search")


@cli.command("import")
@click.argument("path", type=click.Path(path_type=Path))
@alias_option
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True,
              help="Processes that extract and compress records (one writer batches them).")
@click.pass_context
def import_cmd(ctx: click.Context, path: Path, aliases: tuple[str, ...], workers: int) -> None:
    """Ingest the response records of WARC files (FILE.warc, FILE.warc.gz, or a folder of them).

    Every file is read once first: a broken file is reported and nothing is ingested.

    Example:

        archive import captures/2023/
    """
    rules = url_rules(aliases)
    try:  # a missing or broken file is reported before any archive is opened, let alone created
        files = warc.warc_files(path)
        total = warc.check(files)
    except ArchiveError as exc:
        raise click.ClickException(str(exc)) from None
    with opened(ctx, create=True) as archive, progress() as bar:
        task = bar.add_task("importing", total=total)
        counts = import_warcs(archive, files, rules, str(path), on_record=lambda: bar.advance(task), workers=workers)
        click.echo(f"imported {total} records from {len(files)} file(s): " +
                   ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))


def progress() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TextColumn("[progress.percentage]{task.percentage:>3.0f}%"),
                    TimeRemainingColumn(), console=Console(stderr=True), transient=False)


@cli.command("stats")
@format_option("json", "text")
@click.pass_context
def stats_cmd(ctx: click.Context, fmt: str) -> None:
    """How much the archive holds.

    Example:

        archive stats --format json
    """
    with reading(ctx) as session:
        data = queries.stats(session).as_dict()
    if fmt == "json":
        click.echo(json.dumps(data))
    else:
        ratio = f" ({data['stored_bytes'] / data['raw_bytes']:.1%} of raw)" if data["raw_bytes"] else ""
        parsers = data.pop("parser_versions")
        for key, value in data.items():
            click.echo(f"{key:>13}: {value:,}" + (ratio if key == "stored_bytes" else ""))
        for version, count in sorted(parsers.items()):
            click.echo(f"{'made by':>13}: parser {version} ({count:,} versions)")


@cli.command("show")
@click.argument("ref", metavar="URL|ID")
@click.option("--version", "number", type=click.IntRange(min=1), help="Version number (default: the latest).")
@format_option("json", "text")
@alias_option
@click.pass_context
def show_cmd(ctx: click.Context, ref: str, number: int | None, fmt: str, aliases: tuple[str, ...]) -> None:
    """One article as archived: the latest version, or --version N.

    Example:

        archive show https://diendandoanhnghiep.vn/thanh-hoa-2022-nam-ban-le-cua-chuyen-doi-so-203468.html
    """
    with reading(ctx) as session:
        article = article_for(session, ref, aliases)
        version = queries.version_of(session, article, number)
        fields = dict(version.extraction.fields)
        meta: dict[str, Any] = {"article_id": article.id, "status": article.status, "version": version.number,
                "versions": len(article.versions), "seen_at": version.seen_at.isoformat(),
                "first_seen": article.first_seen.isoformat(), "last_seen": article.last_seen.isoformat()}
    if fmt == "json":
        click.echo(json.dumps({**fields, **meta}, ensure_ascii=False, indent=2))
        return
    click.echo(as_text(fields).rstrip("\n"))
    click.echo(f"\nversion {meta['version']} of {meta['versions']}, first seen {local(meta['seen_at'])}; "
               f"article {meta['status']}, last seen {local(meta['last_seen'])}")


@cli.command("history")
@click.argument("ref", metavar="URL|ID")
@alias_option
@click.pass_context
def history_cmd(ctx: click.Context, ref: str, aliases: tuple[str, ...]) -> None:
    """Every version of an article, with what changed from the one before.

    Example:

        archive history 10150001
    """
    with reading(ctx) as session:
        article = article_for(session, ref, aliases)
        table = Table(title=f"{article.canonical_url} ({article.status})", title_justify="left")
        for column in ("version", "first seen", "title", "words removed / added", "changed"):
            table.add_column(column)
        for change in queries.history(session, article):
            table.add_row(str(change.number), local(change.seen_at), change.title,
                          f"-{change.removed} / +{change.added}" if change.number > 1 else "—",
                          ", ".join(change.changed) or "—")
    Console().print(table)


@cli.command("diff")
@click.argument("ref", metavar="URL|ID")
@click.argument("v1", type=click.IntRange(min=1))
@click.argument("v2", type=click.IntRange(min=1))
@alias_option
@click.pass_context
def diff_cmd(ctx: click.Context, ref: str, v1: int, v2: int, aliases: tuple[str, ...]) -> None:
    """Word-level differences between two versions: removed words red and struck, added words green.

    Without a colour terminal, removals read [-like this-] and additions {+like this+}.

    Example:

        archive diff 10150001 1 2
    """
    with reading(ctx) as session:
        article = article_for(session, ref, aliases)
        old = queries.version_of(session, article, v1).extraction.fields
        new = queries.version_of(session, article, v2).extraction.fields
    console = Console(highlight=False)
    comparison = compare(old, new)
    for label, pieces in comparison.texts.items():
        pieces = with_context(pieces)
        out = Text(f"── {label} ──\n", style="bold")
        for piece in pieces:
            if piece.kind == "same":
                out.append(piece.text + " ")
            elif console.is_terminal:
                out.append(piece.text, style="red strike" if piece.kind == "removed" else "green underline")
                out.append(" ")
            else:
                out.append(f"[-{piece.text}-] " if piece.kind == "removed" else f"{{+{piece.text}+}} ")
        console.print(out)
    for field, (before, after) in comparison.lists.items():
        change = f"{', '.join(before) or '—'} → {', '.join(after) or '—'}"
        console.print(Text(f"── {field} ──\n", style="bold") + Text(change))


# -- research -------------------------------------------------------------------------------------

def search_filters(function: F) -> F:
    """The filters `search` and `export` share."""
    options = [
        click.option("--section", help="A section's name, its sub-sections included (diacritics optional)."),
        click.option("--since", type=click.DateTime(DATE_FORMATS), help="Published on or after (Vietnam time)."),
        click.option("--until", type=click.DateTime(DATE_FORMATS), help="Published before (Vietnam time)."),
        click.option("--author", help="An author's name (diacritics optional)."),
        click.option("--tag", help="A tag (diacritics optional)."),
        click.option("--status", type=click.Choice([s.value for s in ArticleStatus]), help="live or gone."),
        click.option("--template", help="The page template: current, legacy, emagazine, generic."),
    ]
    for option in reversed(options):
        function = option(function)
    return function


def _vietnam(moment: datetime | None) -> datetime | None:
    """A time typed without a zone is Vietnam time."""
    return moment.replace(tzinfo=VN) if moment and moment.tzinfo is None else moment


def filters_from(section: str | None, since: datetime | None, until: datetime | None, author: str | None,
                 tag: str | None, status: str | None, template: str | None) -> Filters:
    return Filters(section=section, since=_vietnam(since), until=_vietnam(until), author=author, tag=tag,
                   status=ArticleStatus(status) if status else None, template=template)


@cli.command("search")
@click.argument("query")
@search_filters
@click.option("--sort", type=click.Choice(SORTS), default="relevance", show_default=True)
@click.option("--exact", is_flag=True, help="Match diacritics strictly (case is still ignored).")
@click.option("--limit", type=click.IntRange(1, 10_000), default=20, show_default=True)
@click.option("--offset", type=click.IntRange(min=0), default=0, show_default=True)
@format_option("json", "jsonl", "csv", "table")
@click.pass_context
def search_cmd(ctx: click.Context, query: str, section: str | None, since: datetime | None, until: datetime | None,
               author: str | None, tag: str | None, status: str | None, template: str | None, sort: Sort,
               exact: bool, limit: int, offset: int, fmt: str) -> None:
    """Full-text search over the latest version of every article, with or without diacritics.

    Words must all appear; "a phrase" in order; prefix* any ending; OR, NOT and (parentheses) combine
    them. "chuyen doi so" finds "chuyển đổi số"; typed with diacritics, exact matches rank first.

    Example:

        archive search '"chuyen doi so" OR "kinh te so"' --section "Kinh tế" --since 2026-01-01
    """
    with searching(ctx) as session:
        try:
            results = search(session, query, filters_from(section, since, until, author, tag, status, template),
                             sort, limit, offset, exact)
        except QueryError as exc:
            raise click.ClickException(str(exc)) from None
    if fmt == "table":
        print_hits(results, query)
        return
    rows = [hit.as_dict() for hit in results.hits]
    if fmt == "json":
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
    elif fmt == "jsonl":
        for row in rows:
            click.echo(json.dumps(row, ensure_ascii=False))
    else:
        sys.stdout.flush()
        export.write_csv(sys.stdout.buffer, rows, list(HIT_FIELDS))


def print_hits(results: Results, query: str) -> None:
    console = Console()
    matches = "1 article matches" if results.total == 1 else f"{results.total:,} articles match"
    table = Table(title=f"{matches} {query!r}", title_justify="left", show_lines=True)
    for column in ("id", "published (ICT)", "title and snippet", "section", "author", "score"):
        table.add_column(column, overflow="fold")
    for hit in results.hits:
        snippet = Text.from_markup(escape(render_snippet(hit.snippet, "\x00", "\x01"))
                                   .replace("\x00", "[bold yellow]").replace("\x01", "[/]"))
        cell = Text(hit.title + "\n", style="bold") + snippet + Text("\n" + hit.canonical_url, style="dim")
        table.add_row(str(hit.id), local(hit.published).removesuffix(" ICT (+07:00)"), cell, hit.section,
                      hit.author, f"{hit.score:.2f}")
    console.print(table)


@cli.command("changes")
@click.option("--since", type=click.DateTime(DATE_FORMATS), help="Seen on or after (Vietnam time); with --summary, "
              "articles published on or after.")
@click.option("--until", type=click.DateTime(DATE_FORMATS), help="Seen before (Vietnam time); with --summary, "
              "articles published before.")
@click.option("--kind", "kinds", multiple=True, metavar="KIND",
              help=f"Only changes of this kind (repeatable): {', '.join(changes.KINDS)}.")
@click.option("--min-words", type=int, default=0, help="Only edits that removed and added at least this many words "
              "in all (takedowns and returns only when named with --kind).")
@click.option("--query", help="Only changes to the articles this search finds (the `archive search` syntax).")
@click.option("--section", help="The article's section, its sub-sections included (diacritics optional).")
@click.option("--author", help="An author of the article (diacritics optional).")
@click.option("--summary", is_flag=True, help="The research figures instead of the entries: share of articles "
              "edited, median lag to the first edit, kinds of change, per section and per month.")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "csv"]), default="text", show_default=True)
@click.pass_context
def changes_cmd(ctx: click.Context, since: datetime | None, until: datetime | None, kinds: tuple[str, ...],
                min_words: int, query: str | None, section: str | None, author: str | None, summary: bool,
                fmt: str) -> None:
    """Every edit and takedown across the archive, newest first, streamed.

    An entry is a new version (which fields changed, the words removed and added, how long after
    publication it was seen), a takedown (the first 404 or 410) or a return. An article's first version
    is not a change.

    Example:

        archive changes --since 2026-06-01 --kind title --kind takedown --section "Kinh tế"
        archive changes --summary --format csv > corrections.csv
    """
    try:
        filters = changes.ChangeFilters(since=_vietnam(since), until=_vietnam(until), kinds=kinds,
                                        min_words=min_words, query=query, section=section, author=author)
    except changes.ChangeError as exc:
        raise click.UsageError(str(exc)) from None
    with (searching if query else reading)(ctx) as session:
        try:
            if summary:
                _print_summary(change_summary.summarize(session, filters), fmt)
            else:
                _print_changes(changes.Log(session, filters).stream(), fmt)
        except QueryError as exc:
            raise click.UsageError(str(exc)) from None


def _print_changes(entries: Iterator[changes.Entry], fmt: str) -> None:
    if fmt == "csv":
        rows = ({**e.as_dict(), "kinds": " ".join(e.kinds), "words": json.dumps(e.words)} for e in entries)
        sys.stdout.flush()
        export.write_csv(sys.stdout.buffer, rows, CHANGE_FIELDS)
        return
    for entry in entries:
        if fmt == "json":
            click.echo(json.dumps(entry.as_dict(), ensure_ascii=False))
            continue
        what = ", ".join(entry.kinds) + (f" (−{entry.removed} +{entry.added} words)" if entry.number else "")
        lag = f", {_lag(entry.lag)} after publication" if entry.lag is not None else ""
        click.echo(f"{local(entry.seen_at)}  {what}{lag}\n  {entry.title}  [{entry.section or '—'}]\n"
                   f"  {entry.canonical_url}")
        if entry.title_before is not None:
            click.echo(f"  title: {entry.title_before} → {entry.title}")


def _print_summary(groups: list[change_summary.Group], fmt: str) -> None:
    if fmt == "text":
        click.echo(change_summary.as_text(groups))
    elif fmt == "json":
        click.echo(json.dumps([g.as_dict() for g in groups], ensure_ascii=False, indent=2))
    else:
        sys.stdout.flush()
        export.write_csv(sys.stdout.buffer, (g.as_dict() for g in groups), change_summary.COLUMNS)


def _lag(value: timedelta) -> str:
    hours = value.total_seconds() / 3600
    return f"{hours:.1f} h" if hours < 48 else f"{hours / 24:.1f} days"


@cli.command("export")
@click.option("--format", "fmt", type=click.Choice(EXPORT_FORMATS), default="jsonl", show_default=True)
@click.option("--query", help="Only the articles this search finds (same syntax as `archive search`).")
@search_filters
@click.option("--exact", is_flag=True, help="With --query: match diacritics strictly.")
@click.option("--versions", type=click.Choice(["latest", "all"]), default="latest", show_default=True,
              help="One row per article (its latest version), or one per version.")
@click.option("--fetches", type=click.Choice(["articles", "all"]), default="articles", show_default=True,
              help="WARC: the chosen articles' fetches, or every fetch the archive holds (a full, portable backup).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, allow_dash=True), default="-", show_default=True,
              help="The file to write (- for standard output).")
@click.pass_context
def export_cmd(ctx: click.Context, fmt: Format, query: str | None, section: str | None, since: datetime | None,
               until: datetime | None, author: str | None, tag: str | None, status: str | None,
               template: str | None, exact: bool, versions: Versions, fetches: Fetches, output: str) -> None:
    """Export articles, or all their versions, as JSONL, CSV, Parquet or WARC; streamed, with a progress bar.

    Rows have the plain columns of the articles_latest (or article_versions) view. WARC holds the chosen
    articles' raw fetches as response records, which `archive import` reads back. Parquet needs the
    `parquet` extra (pyarrow).

    Example:

        archive export --format parquet --query "chuyen doi so" --since 2026-01-01 -o chuyen-doi-so.parquet
    """
    filters = filters_from(section, since, until, author, tag, status, template)
    with (searching if query else reading)(ctx) as session:
        export.require(fmt)
        try:
            total = export.count(session, query, filters, versions, exact, fmt, fetches)
        except QueryError as exc:
            raise click.ClickException(str(exc)) from None
        partial = Path(output + ".partial") if output != "-" else None
        try:
            with (partial.open("wb") if partial else nullcontext(sys.stdout.buffer)) as out, progress() as bar:
                task = bar.add_task(f"exporting {fmt}", total=total)
                written = export.export(session, fmt, out, query, filters, versions, exact,
                                        on_row=lambda: bar.advance(task), fetches=fetches)
        except BaseException:
            if partial is not None:
                partial.unlink(missing_ok=True)  # a failed export leaves no half-written file behind
            raise
    if partial is not None:
        partial.replace(output)
        click.echo(f"exported {written:,} {'records' if fmt == 'warc' else 'rows'} to {output}", err=True)


@cli.command("reextract")
@click.option("--section", help="Only articles of this section, its sub-sections included (diacritics optional).")
@click.option("--since", type=click.DateTime(DATE_FORMATS), help="Only articles published on or after (Vietnam time).")
@click.option("--until", type=click.DateTime(DATE_FORMATS), help="Only articles published before (Vietnam time).")
@click.option("--url", "urls", multiple=True, metavar="URL", help="Only this article (repeatable).")
@click.option("--parser", "parser_spec", envvar="ARCHIVE_PARSER", default=parsers.DEFAULT_PARSER, show_default=True,
              metavar="MODULE:FUNCTION", help="A parser with the signature of archive.extract.extract: a branch's, "
              "or a variant of your own. Default: $ARCHIVE_PARSER, the one the crawler runs.")
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True,
              help="Processes that read raw pages and extract them (one writer batches their results).")
@click.option("--shard", metavar="K/N", help="Only shard K of N (by article): run 1/N … N/N on N machines at once.")
@click.option("--dry-run", is_flag=True, help="Write nothing: report what the parser would change.")
@format_option("json", "text")
@alias_option
@click.pass_context
def reextract_cmd(ctx: click.Context, section: str | None, since: datetime | None, until: datetime | None,
                  urls: tuple[str, ...], parser_spec: str, workers: int, shard: str | None, dry_run: bool, fmt: str,
                  aliases: tuple[str, ...]) -> None:
    """Run the parser again over the stored raw pages (no fetching), and rebuild versions and the search
    index from what it extracts.

    Resumable (an interrupted run continues where it stopped) and idempotent (a second run changes
    nothing); raw pages and fetch records are never changed. The report says which articles changed, per
    field, and how many versions appear, merge or vanish.

    Example:

        archive reextract --parser mybranch.extract:extract --dry-run
    """
    rules = url_rules(aliases)
    try:
        scope = reextract.Scope(filters_from(section, since, until, None, None, None, None), urls,
                                reextract.parse_shard(shard) if shard else None)
        parsers.load_parser(parser_spec)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    with opened(ctx) as archive:
        if dry_run:
            report = _reextract(archive, scope, parser_spec, rules, workers, dry_run=True)
        else:
            report = _reextract_run(archive, scope, parser_spec, rules, workers)
    click.echo(json.dumps(report.as_dict(), ensure_ascii=False) if fmt == "json" else report.text())


def _reextract(archive: Archive, scope: reextract.Scope, parser_spec: str, rules: UrlRules, workers: int,
               dry_run: bool) -> reextract.Report:
    with progress() as bar:
        task = bar.add_task("re-extracting" if not dry_run else "re-extracting (dry run)", total=None)
        try:
            return reextract.run(archive, scope, parser_spec, rules, workers, dry_run,
                                 on_pages=lambda n: bar.advance(task, n),
                                 on_total=lambda n: bar.update(task, total=n))
        except parsers.ParserError as exc:
            raise click.ClickException(str(exc)) from None


def _reextract_run(archive: Archive, scope: reextract.Scope, parser_spec: str, rules: UrlRules,
                   workers: int) -> reextract.Report:
    """A writing run: one at a time per archive (per shard: shards run side by side), with its run record."""
    shard = scope.shard_label
    lock = RunLock(archive, RunKind.REEXTRACT if shard is None else f"reextract-{shard.replace('/', '-of-')}")
    args = {"parser": parser_spec, "section": scope.filters.section, "urls": list(scope.urls), "workers": workers,
            "shard": shard,
            "since": scope.filters.since.isoformat() if scope.filters.since else None,
            "until": scope.filters.until.isoformat() if scope.filters.until else None}
    try:
        lock.acquire()
    except Locked as exc:
        runs.refused(archive, RunKind.REEXTRACT, args, str(exc))
        raise click.ClickException(str(exc)) from None
    try:
        runs.interrupt_stale(archive, RunKind.REEXTRACT, {"shard": shard})
        run_id = runs.start(archive, RunKind.REEXTRACT, args)
        outcome, counts = RunOutcome.FAILED, {"problems": ["the run stopped on an error before its report"]}
        try:
            report = _reextract(archive, scope, parser_spec, rules, workers, dry_run=False)
            outcome, counts = RunOutcome.OK, report.as_dict()
            return report
        except KeyboardInterrupt:
            outcome, counts = RunOutcome.INTERRUPTED, {"problems": ["stopped by the operator (Ctrl-C or SIGTERM)"]}
            raise
        except click.ClickException as exc:
            counts = {"problems": [exc.message]}
            raise
        finally:
            runs.finish(archive, run_id, outcome, counts)
    finally:
        lock.release()


@cli.group("index")
def index_group() -> None:
    """The full-text search index."""


@index_group.command("rebuild")
@click.pass_context
def index_rebuild(ctx: click.Context) -> None:
    """Index every article's latest version afresh (after a migration, or to compact the index).

    Example:

        archive index rebuild
    """
    with opened(ctx) as archive:
        with archive.transaction() as session:
            rebuild_rows(session)
        count = index_ready(archive, rebuild=True)
    click.echo(f"indexed {count:,} articles")


@index_group.command("follow")
@click.option("--interval", type=click.FloatRange(min=0.1), default=1.0, show_default=True,
              help="Seconds between looks at the archive.")
@click.pass_context
def index_follow(ctx: click.Context, interval: float) -> None:
    """Keep this machine's search index following the archive, until stopped (Ctrl-C, SIGTERM): what
    each web front end beside a shared PostgreSQL archive runs. It holds the index's writer while it
    runs: a second follower, or `archive index rebuild`, waits its turn and says who holds it.

    Example:

        ARCHIVE_SEARCH_DIR=/var/lib/dddn/search archive index follow
    """
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    with opened(ctx) as archive:
        index = store.for_engine(archive.engine, archive.url)
        click.echo(f"following {archive.safe_url} into {index.path}", err=True)
        try:
            index.follow(stop, interval, on_batch=lambda n: click.echo(f"indexed {n:,} articles", err=True),
                         on_wait=lambda message: click.echo(message, err=True))
        except store.SearchIndexError as exc:
            raise click.ClickException(str(exc)) from None


def rebuild_rows(session: Session) -> int:
    """The search rows every index follows, afresh from the versions."""
    with progress() as bar:
        task = bar.add_task("search rows", total=search_index.articles_to_index(session))
        return search_index.rebuild(session, on_article=lambda: bar.advance(task))


@cli.command("verify")
@click.option("--sample", type=click.FloatRange(0, 1, min_open=True), default=1.0, show_default=True,
              help="Check a random share of bodies, extractions and articles (0.01 for a daily cron).")
@click.pass_context
def verify_cmd(ctx: click.Context, sample: float) -> None:
    """A fixity audit: every raw body against its SHA-256, every fetch's body, every extraction, every
    version's fingerprint and numbering, every article's status, the search index, and the database's
    own integrity check. Each problem is a line naming the row; exit 1 if any.

    Example:

        archive verify --sample 0.01     # daily; the full audit weekly
    """
    with opened(ctx, migrate=True) as archive:
        started = datetime.now(UTC)
        with progress() as bar:
            task = bar.add_task("bodies", total=None)
            audit = verify.verify(archive, sample, on_problem=lambda line: click.echo(line),
                                  on_bodies=lambda n: bar.advance(task, n),
                                  on_total=lambda n: bar.update(task, total=n))
        click.echo(audit.summary() + _record_audit(archive, sample, started, audit), err=True)
    if not audit.ok:
        ctx.exit(1)


def _record_audit(archive: Archive, sample: float, started: datetime, audit: verify.Audit) -> str:
    """The audit's run record, unless the archive cannot take one (a read-only copy, a full disk): it is
    audited all the same, and the summary says why it went unrecorded."""
    try:
        runs.record(archive, RunKind.VERIFY, {"sample": sample}, started,
                    RunOutcome.OK if audit.ok else RunOutcome.FAILED, audit.counts())
    except (OperationalError, ArchiveError) as exc:
        return " (not recorded: " + ("no space left on the device" if out_of_space(exc)
                                     else "the archive takes no writes") + ")"
    return ""


@cli.command("backup")
@click.argument("dest", type=click.Path(path_type=Path))
@click.pass_context
def backup_cmd(ctx: click.Context, dest: Path) -> None:
    """A consistent copy of a SQLite archive while crawls write, verified before it is called done: it
    is written beside DEST and renamed to DEST only once `archive verify` finds nothing wrong with it.
    A PostgreSQL archive is backed up with pg_dump, or portably as WARC (see below).

    Example:

        archive backup /mnt/backups/dddn-$(date +%F).sqlite
        archive export --format warc --fetches all -o dddn-everything.warc.gz    # any database
    """
    url = database_url(ctx.obj)
    if not url.startswith("sqlite"):
        raise click.ClickException("a PostgreSQL archive is backed up with pg_dump (pg_dump -Fc DBNAME), or "
                                   "portably with `archive export --format warc --fetches all`")
    if dest.exists():
        raise click.ClickException(f"{dest} exists already: name a new file")
    if not dest.parent.is_dir():
        raise click.ClickException(f"no folder {dest.parent} to write {dest.name} in")
    with opened(ctx) as archive:
        partial = dest.with_name(dest.name + ".partial")
        partial.unlink(missing_ok=True)  # what a killed backup left
        try:
            copied = backup.copy(archive, partial)
            with progress() as bar:
                task = bar.add_task("verifying the copy", total=None)
                audit = backup.check(partial, on_bodies=lambda n: bar.advance(task, n),
                                     on_total=lambda n: bar.update(task, total=n))
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        if not audit.ok:
            partial.unlink(missing_ok=True)
            raise click.ClickException(f"the copy failed its audit ({audit.problems[0]}); nothing was written")
        partial.replace(dest)
    click.echo(f"backed up {copied:,} bytes to {dest}, verified: {audit.summary()}", err=True)


@cli.command("runs")
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True)
@format_option("json", "text")
@click.pass_context
def runs_cmd(ctx: click.Context, limit: int, fmt: str) -> None:
    """Recent crawl, import and re-extraction runs, newest first.

    Example:

        archive runs --limit 5
    """
    with reading(ctx) as session:
        rows: list[dict[str, Any]] = [{"id": r.id, "kind": r.kind, "started_at": r.started_at.isoformat(),
                 "finished_at": r.finished_at.isoformat() if r.finished_at else None, "outcome": r.outcome,
                 "counts": r.counts, "args": r.args} for r in queries.runs(session, limit)]
    if fmt == "json":
        click.echo(json.dumps(rows, ensure_ascii=False))
        return
    table = Table()
    for column in ("run", "kind", "started", "minutes", "outcome", "what it did"):
        table.add_column(column)
    for r in rows:
        minutes = "—"
        if r["finished_at"]:
            elapsed = datetime.fromisoformat(r["finished_at"]) - datetime.fromisoformat(r["started_at"])
            seconds = elapsed.total_seconds()
            minutes = f"{seconds / 60:.1f}"
        table.add_row(str(r["id"]), r["kind"], local(r["started_at"]), minutes, r["outcome"],
                      runs.summarize(r["counts"]))
    Console().print(table)


@cli.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="The address to listen on; 0.0.0.0 opens the archive to the whole network.")
@click.option("--port", type=click.IntRange(1, 65_535), default=8080, show_default=True)
@click.option("--workers", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Server processes: one per core serves concurrent readers on every core.")
@click.pass_context
def serve_cmd(ctx: click.Context, host: str, port: int, workers: int) -> None:
    """The archive in a browser: search, articles, history, diffs, changes and runs, with a JSON API under
    /api (its OpenAPI schema at /openapi.json). The database is opened read-only.

    Example:

        archive serve --port 8080 --workers 2    # then open http://127.0.0.1:8080/
    """
    import uvicorn

    from archive.web.app import create_app

    try:
        app = create_app(ctx.obj)
    except ArchiveError as exc:
        raise click.ClickException(str(exc)) from None
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        try:  # a clear line now rather than uvicorn's log after start-up
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((host, port))
        except OSError as exc:
            raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    click.echo(f"serving {app.state.archive.safe_url} read-only at http://{host}:{port}/ with {workers} "
               f"worker{'s' if workers > 1 else ''} (Ctrl-C stops)")
    if workers == 1:
        uvicorn.run(app, host=host, port=port, log_level="warning", server_header=False)
        return
    app.state.archive.close()  # each worker process opens the archive itself, from the environment
    os.environ[URL_ENV] = database_url(ctx.obj)
    uvicorn.run("archive.web.app:create_app", factory=True, workers=workers, host=host, port=port,
                log_level="warning", server_header=False)


def main() -> None:
    cli()
