"""`archive import`: WARC captures through the same ingest path."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from archive.cli import cli
from tests.archive.feed import record, write_warc
from tests.replica import Replica


@pytest.fixture(scope="module")
def captures(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str], str]:
    """Two WARC files of the replica: articles, a listing page, a redirect and a takedown."""
    folder = tmp_path_factory.mktemp("warcs")
    with Replica(articles=100, seed=9) as rep:
        truth = [t for t in rep.truth() if t["kind"] == "normal"]
        live = [t["canonical_url"] for t in truth if t["status"] == "live"][:40]
        extra = [rep.base_url + "/tin-moi-nhat", rep.alias_url + live[0][len(rep.base_url):]]
        recs = [record(u) for u in live + extra]
        alias = rep.host_alias
    write_warc(str(folder / "a.warc.gz"), recs[:25])
    write_warc(str(folder / "b.warc"), recs[25:])
    return folder, live, alias


def stats(db: str) -> dict[str, int]:
    result = CliRunner().invoke(cli, ["--db", db, "stats", "--format", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)  # type: ignore[no-any-return]


def test_import_a_folder(captures: tuple[Path, list[str], str], sqlite_url: str) -> None:
    folder, live, alias = captures
    result = CliRunner().invoke(cli, ["--db", sqlite_url, "import", str(folder), "--alias", alias])
    assert result.exit_code == 0, result.output
    assert f"imported {len(live) + 2} records from 2 file(s)" in result.output
    numbers = stats(sqlite_url)
    assert numbers["articles"] == numbers["versions"] == len(live)
    assert numbers["fetches"] == len(live) + 2 and numbers["runs"] == 1
    runs = json.loads(CliRunner().invoke(cli, ["--db", sqlite_url, "runs", "--format", "json"]).output)
    assert runs[0]["kind"] == "import" and runs[0]["outcome"] == "ok" and runs[0]["counts"]["version"] == len(live)


def test_importing_again_changes_nothing(captures: tuple[Path, list[str], str], sqlite_url: str) -> None:
    folder, _, alias = captures
    CliRunner().invoke(cli, ["--db", sqlite_url, "import", str(folder / "a.warc.gz"), "--alias", alias])
    before = stats(sqlite_url)
    CliRunner().invoke(cli, ["--db", sqlite_url, "import", str(folder / "a.warc.gz"), "--alias", alias])
    after = stats(sqlite_url)
    assert {k: v for k, v in after.items() if k != "runs"} == {k: v for k, v in before.items() if k != "runs"}


@pytest.mark.parametrize("content", [b"not a warc at all\n" * 10, b"\x1f\x8b\x08\x00broken gzip"])
def test_a_broken_file_is_one_line_and_changes_nothing(captures: tuple[Path, list[str], str], sqlite_url: str,
                                                        tmp_path: Path, content: bytes) -> None:
    folder, _, _ = captures
    mixed = tmp_path / "mixed"
    mixed.mkdir()
    (mixed / "a.warc.gz").write_bytes((folder / "a.warc.gz").read_bytes())
    (mixed / "z.warc").write_bytes(content)
    result = CliRunner().invoke(cli, ["--db", sqlite_url, "import", str(mixed)])
    assert result.exit_code == 1
    assert result.output.count("\n") == 1 and "not a readable WARC file" in result.output
    assert not Path(sqlite_url.removeprefix("sqlite:///")).exists(), "files are checked before an archive is made"


def test_missing_path_is_one_line(sqlite_url: str) -> None:
    result = CliRunner().invoke(cli, ["--db", sqlite_url, "import", "/nowhere"])
    assert result.exit_code == 1 and result.output == "Error: no such file or folder: /nowhere\n"


def test_workers_make_the_same_archive(captures: tuple[Path, list[str], str], tmp_path: Path) -> None:
    """Records prepared by two processes and written in batches: the same rows as one at a time."""
    folder, _, alias = captures
    archives = []
    for workers in ("1", "2"):
        url = f"sqlite:///{tmp_path / f'w{workers}.sqlite'}"
        result = CliRunner().invoke(cli, ["--db", url, "import", str(folder), "--alias", alias, "--workers", workers])
        assert result.exit_code == 0, result.output
        conn = sqlite3.connect(url.removeprefix("sqlite:///"))
        archives.append([conn.execute(query).fetchall() for query in (
            "SELECT canonical_url, status, site_id FROM articles ORDER BY canonical_url",
            "SELECT a.canonical_url, v.number, v.fingerprint FROM versions v JOIN articles a ON a.id = v.article_id "
            "ORDER BY 1, 2",
            "SELECT key, canonical_url, body_sha256 FROM fetches ORDER BY key",
            "SELECT sha256, size FROM raw_bodies ORDER BY sha256")])
        conn.close()
    assert archives[0] == archives[1]
