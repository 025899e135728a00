"""The README documents every crawl setting and every `archive` command (datasette's and sqlite-utils'
test_docs habit): adding one without documenting it fails here."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from archive.cli import cli
from crawler import settings

README = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
PROJECT_SETTINGS = sorted(name for name in vars(settings) if re.match(r"(DDDN|ARCHIVE)_[A-Z_]+$", name)
                          and name != "DDDN_PLAYWRIGHT_HANDLER")


def commands(group: object, prefix: str = "archive") -> list[str]:
    out = []
    for name, command in sorted(getattr(group, "commands", {}).items()):
        out += commands(command, f"{prefix} {name}") if hasattr(command, "commands") else [f"{prefix} {name}"]
    return out


@pytest.mark.parametrize("name", PROJECT_SETTINGS)
def test_every_setting_is_documented(name: str) -> None:
    assert f"`{name}`" in README


@pytest.mark.parametrize("command", commands(cli))
def test_every_command_is_documented(command: str) -> None:
    assert f"`{command}" in README


@pytest.mark.parametrize("command", commands(cli))
def test_every_command_has_an_example(command: str) -> None:
    from click.testing import CliRunner

    result = CliRunner().invoke(cli, [*command.split()[1:], "--help"])
    assert result.exit_code == 0 and "Example:" in result.output
