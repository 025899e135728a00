"""`archive extract` in-process: exit codes and exact output."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from click.testing import CliRunner

from archive.cli import cli

FIXTURES = Path(__file__).parent / "fixtures" / "extract"


def test_extract_json_has_every_key(tmp_path: Path) -> None:
    page = tmp_path / "page.html.gz"
    page.write_bytes(gzip.compress((FIXTURES / "current-article" / "input.html").read_bytes()))
    result = CliRunner().invoke(cli, ["extract", str(page)])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert set(data) >= {"url", "canonical_url", "site_id", "title", "lead", "text", "blocks", "author",
                         "published", "updated", "section", "section_path", "tags", "images", "related",
                         "template", "parser_version", "flags", "fingerprint"}
    want = json.loads((FIXTURES / "current-article" / "output.json").read_text(encoding="utf-8"))
    assert data["title"] == want["title"] and data["canonical_url"] == want["canonical_url"]
    assert data["published"].endswith("+07:00")


def test_jsonl_several_files_and_stdin() -> None:
    a, b = (FIXTURES / c / "input.html" for c in ("legacy-article", "seed-legacy"))
    result = CliRunner().invoke(cli, ["extract", str(a), "-", "--format", "jsonl"], input=b.read_bytes())
    assert result.exit_code == 0
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert [d["template"] for d in lines] == ["legacy", "legacy"]
    assert lines[1]["title"] == "Thanh Hóa: 2022 năm bản lề của chuyển đổi số"


def test_text_format() -> None:
    result = CliRunner().invoke(cli, ["extract", str(FIXTURES / "seed-legacy" / "input.html"), "--format", "text"])
    assert result.exit_code == 0
    assert result.output.startswith("Thanh Hóa: 2022 năm bản lề của chuyển đổi số\n")
    assert "Đánh giá của bạn" not in result.output


def test_missing_file_is_a_one_line_error() -> None:
    result = CliRunner().invoke(cli, ["extract", "/nowhere/page.html"])
    assert result.exit_code == 1
    assert result.output == "Error: no such file: /nowhere/page.html\n"


def test_bad_alias_is_a_one_line_error() -> None:
    result = CliRunner().invoke(cli, ["extract", str(FIXTURES / "seed-legacy" / "input.html"), "--alias", "x"])
    assert result.exit_code == 1 and result.output.count("\n") == 1
