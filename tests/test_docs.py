"""The docs and the code agree (datasette's and sqlite-utils' test_docs habit): every crawl setting and
every `archive` command is documented, and every command, make target and setting the docs name exists,
and every link in them resolves."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from archive.cli import cli
from crawler import settings

ROOT = Path(__file__).parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
TEXTS = {page: page.read_text(encoding="utf-8") for page in PAGES}
DOCS = "\n".join(TEXTS.values())
PROJECT_SETTINGS = sorted(name for name in vars(settings) if re.match(r"(DDDN|ARCHIVE)_[A-Z_]+$", name)
                          and name != "DDDN_PLAYWRIGHT_HANDLER")
SOURCES = "\n".join(p.read_text(encoding="utf-8") for folder in ("archive", "crawler", "tests")
                    for p in (ROOT / folder).rglob("*.py") if p.name != Path(__file__).name)
MAKE_TARGETS = set(re.findall(r"^([a-z][a-z-]*):", (ROOT / "Makefile").read_text(encoding="utf-8"), re.M))


def commands(group: object, prefix: str = "archive") -> list[str]:
    out = []
    for name, command in sorted(getattr(group, "commands", {}).items()):
        out += commands(command, f"{prefix} {name}") if hasattr(command, "commands") else [f"{prefix} {name}"]
    return out


COMMANDS = commands(cli)
GROUPS = {c.split()[1] for c in COMMANDS if len(c.split()) == 3}


def named_commands() -> set[str]:
    """`archive X` (and `archive X Y` for a group) as the docs write them: in code spans and console lines."""
    spans = re.findall(r"`([^`\n]+)`", DOCS)
    lines = re.findall(r"^\$ (.+)$", DOCS, re.M)
    out = set()
    for text in [*spans, *lines]:
        # a command stands first, or after a path (.venv/bin/archive) or a shell's "&&"
        for match in re.finditer(r"(?:^|/|&& )archive(?: --db \S+)? ([a-z][a-z-]*)(?: ([a-z][a-z-]*))?", text):
            first, second = match.groups()
            out.add(f"archive {first} {second}" if first in GROUPS and second else f"archive {first}")
    return out


def slug(heading: str) -> str:
    """GitHub's anchor for a heading."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower().replace("`", ""))
    return text.replace(" ", "-")


def links() -> list[tuple[Path, str]]:
    out = []
    for page, text in TEXTS.items():
        text = re.sub(r"```.*?```", "", text, flags=re.S)
        out += [(page, target) for target in re.findall(r"\]\(([^)\s]+)\)", text)
                if not target.startswith(("http://", "https://", "mailto:"))]
    return out


@pytest.mark.parametrize("name", PROJECT_SETTINGS)
def test_every_setting_is_documented(name: str) -> None:
    assert f"`{name}`" in DOCS


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_is_documented(command: str) -> None:
    assert f"`{command}" in DOCS


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_an_example(command: str) -> None:
    result = CliRunner().invoke(cli, [*command.split()[1:], "--help"])
    assert result.exit_code == 0 and "Example:" in result.output


def test_every_command_the_docs_name_exists() -> None:
    valid = {*COMMANDS, *(f"archive {g}" for g in GROUPS)}
    assert sorted(named_commands() - valid) == []


def test_every_make_target_the_docs_name_exists() -> None:
    named = set(re.findall(r"`make ([a-z][a-z-]*)", DOCS)) | set(re.findall(r"^\$ make ([a-z][a-z-]*)", DOCS, re.M))
    assert named and sorted(named - MAKE_TARGETS) == []


def test_every_setting_the_docs_name_exists() -> None:
    """A setting is a crawl setting, or a variable the code reads by name (the environment's)."""
    named = set(re.findall(r"\b((?:DDDN|ARCHIVE)_[A-Z][A-Z_]*[A-Z])\b", DOCS))
    unknown = {name for name in named if name not in PROJECT_SETTINGS and f'"{name}"' not in SOURCES}
    assert sorted(unknown) == []


def test_the_readme_is_read_in_five_minutes() -> None:
    assert len(TEXTS[ROOT / "README.md"].splitlines()) <= 250


@pytest.mark.parametrize(("page", "target"), links(), ids=lambda v: v.name if isinstance(v, Path) else v)
def test_every_link_resolves(page: Path, target: str) -> None:
    path, _, anchor = target.partition("#")
    resolved = (page.parent / path).resolve() if path else page
    assert resolved.exists(), f"{page.name} links to {target}, which does not exist"
    if anchor and resolved.suffix == ".md":
        headings = re.findall(r"^#+ (.+)$", resolved.read_text(encoding="utf-8"), re.M)
        assert anchor in {slug(h) for h in headings}, f"{page.name} links to {target}: no such heading"
