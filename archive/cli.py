"""The `archive` command line: thin commands over the library, one-line errors, non-zero exits."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from archive import __version__
from archive.extract import Article, extract
from archive.urls import UrlRules, parse_aliases

FORMATS = click.Choice(["json", "jsonl", "text"])


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="archive")
def cli() -> None:
    """Research and maintain the Diễn đàn Doanh nghiệp archive."""


def url_rules(aliases: tuple[str, ...]) -> UrlRules:
    try:
        return UrlRules.from_env().with_aliases(parse_aliases(",".join(aliases)))
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None


@cli.command("extract")
@click.argument("files", nargs=-1, required=True, metavar="FILE...")
@click.option("--url", help="The URL the page was fetched from (default: its canonical link, else the file).")
@click.option("--format", "fmt", type=FORMATS, default="json", show_default=True)
@click.option("--alias", "aliases", multiple=True, metavar="ALIAS=HOST",
              help="Another host name of the site, e.g. dddn.com.vn=diendandoanhnghiep.vn (repeatable).")
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


def main() -> None:
    cli()
