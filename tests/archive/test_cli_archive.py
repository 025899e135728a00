"""The research commands in-process: exit codes and output."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from click.testing import CliRunner

from archive.cli import cli
from archive.database import Archive
from archive.ingest import Ingestor
from tests.archive.feed import ingest_all
from tests.extract_eval import replica_rules
from tests.replica import Replica


@pytest.fixture(scope="module")
def edited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, object], dict[str, object]]]:
    """An archive holding an article before and after a lead rewrite."""
    db = f"sqlite:///{tmp_path_factory.mktemp('cli') / 'archive.sqlite'}"
    with Replica(articles=150, seed=4) as rep:
        meta = next(a for a in rep.site.visible() if a.kind == "normal" and a.edits
                    and a.edits[0][1] == "lead" and a.edits[0][0] > rep.now)
        url = rep.base_url + meta.path
        arch = Archive(db)
        ingestor = Ingestor(arch, replica_rules(rep))
        ingest_all(ingestor, [url])
        old = next(t for t in rep.truth() if t["site_id"] == meta.id)
        rep.advance((meta.edits[0][0] - rep.now).total_seconds() / 3600 + 0.5)
        ingest_all(ingestor, [url])
        new = next(t for t in rep.truth() if t["site_id"] == meta.id)
        arch.close()
    yield db, old, new


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


def test_show_latest_and_a_given_version(edited: tuple[str, dict[str, object], dict[str, object]]) -> None:
    db, old, new = edited
    code, out = run("--db", db, "show", str(new["site_id"]), "--format", "json")
    data = json.loads(out)
    assert code == 0 and data["lead"] == new["lead"] and data["version"] == 2 and data["versions"] == 2
    code, out = run("--db", db, "show", str(new["canonical_url"]) + "?utm_source=x", "--version", "1")
    assert code == 0 and str(old["lead"]) in out and "version 1 of 2" in out and "ICT (+07:00)" in out


def test_history_and_diff(edited: tuple[str, dict[str, object], dict[str, object]]) -> None:
    db, old, new = edited
    code, out = run("--db", db, "history", str(new["site_id"]))
    assert code == 0 and "2026-" in out and "-" in out
    code, out = run("--db", db, "diff", str(new["site_id"]), "1", "2")
    assert code == 0 and "── lead ──" in out and "[-" in out and "{+" in out
    removed = out[out.index("[-") + 2: out.index("-]")]
    assert removed.split()[0] in str(old["lead"]) and removed.split()[0] not in str(new["lead"]).split()[:1]


@pytest.mark.parametrize(("args", "message"), [
    (["show", "99999999"], "Error: no article in the archive for '99999999'\n"),
    (["show", "https://diendandoanhnghiep.vn/khong-co-10000001.html"], "no article in the archive"),
    (["diff", "URL", "1", "9"], "not 9"),
    (["show", "URL", "--version", "7"], "has versions 1 to 2, not 7"),
])
def test_bad_references_are_one_line(edited: tuple[str, dict[str, object], dict[str, object]], args: list[str],
                                     message: str) -> None:
    db, _, new = edited
    args = [str(new["canonical_url"]) if a == "URL" else a for a in args]
    code, out = run("--db", db, *args)
    assert code == 1 and out.count("\n") == 1 and message in out


def test_stats_runs_and_db_upgrade(edited: tuple[str, dict[str, object], dict[str, object]]) -> None:
    db, _, _ = edited
    code, out = run("--db", db, "stats", "--format", "json")
    assert code == 0 and set(json.loads(out)) == {"articles", "versions", "fetches", "runs", "raw_bytes",
                                                   "stored_bytes"}
    code, out = run("--db", db, "stats")
    assert code == 0 and "versions: 2" in out
    assert run("--db", db, "runs") [0] == 0
    code, out = run("--db", db, "db", "upgrade")
    assert code == 0 and "schema up to date" in out


def test_unusable_database_urls_are_one_line(tmp_path: object) -> None:
    for url, message in (("mysql://x/y", "unsupported database 'mysql'"), ("::", "not a database URL"),
                         ("postgresql://nobody@127.0.0.1:1/none", "cannot open postgresql")):
        code, out = run("--db", url, "stats")
        assert code == 1 and out.count("\n") == 1 and message in out
