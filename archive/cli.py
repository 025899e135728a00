"""The `archive` command line."""

from __future__ import annotations

import click

from archive import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="archive")
def cli() -> None:
    """Research and maintain the Diễn đàn Doanh nghiệp archive."""


def main() -> None:
    cli()
