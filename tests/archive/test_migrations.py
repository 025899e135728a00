"""Migrations move an archive that holds data, on SQLite and PostgreSQL alike, and back."""

from __future__ import annotations

import json

from alembic import command
from click.testing import CliRunner
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from archive.cli import cli
from archive.database import Archive, alembic_config, current_revision, head_revision
from archive.ingest import Ingestor
from archive.models import Article, Version
from tests.archive.feed import ingest_all
from tests.extract_eval import replica_rules
from tests.replica import Replica


def test_vocabulary_checks_arrive_on_an_archive_with_data(archive_url: str, replica: Replica) -> None:
    archive = Archive(archive_url)
    ingest_all(Ingestor(archive, replica_rules(replica)),
               [t["canonical_url"] for t in replica.truth() if t["status"] == "live"][:5])
    config = alembic_config(archive.engine)
    command.downgrade(config, "0001")
    assert current_revision(archive.engine) == "0001"
    with archive.engine.begin() as conn:  # without the checks, any word goes in
        conn.exec_driver_sql("UPDATE articles SET status = 'deleted' WHERE id = 1")
        conn.exec_driver_sql("UPDATE articles SET status = 'live' WHERE id = 1")
    command.upgrade(config, "head")
    assert current_revision(archive.engine) == head_revision(archive.engine)
    with archive.transaction(write=False) as session:
        assert session.scalar(select(func.count()).select_from(Version)) == 5
    try:
        with archive.engine.begin() as conn:
            conn.exec_driver_sql("UPDATE articles SET status = 'deleted' WHERE id = 1")
        raise AssertionError("the status check did not hold")
    except IntegrityError:
        pass
    with archive.transaction(write=False) as session:
        assert session.scalar(select(Article.status).where(Article.id == 1)) == "live"
    archive.close()


def test_upgrading_an_archive_made_before_search_makes_it_searchable(sqlite_url: str, replica: Replica) -> None:
    archive = Archive(sqlite_url)
    live = [t for t in replica.truth() if t["status"] == "live" and t["kind"] == "normal"][:4]
    ingest_all(Ingestor(archive, replica_rules(replica)), [t["canonical_url"] for t in live])
    command.downgrade(alembic_config(archive.engine), "0002")  # as it was before the search index
    archive.close()
    result = CliRunner().invoke(cli, ["--db", sqlite_url, "db", "upgrade"])
    assert result.exit_code == 0 and "indexed 4 articles for search" in result.output, result.output
    title = live[0]["title"]
    found = CliRunner().invoke(cli, ["--db", sqlite_url, "search", f'"{title}"', "--format", "json"])
    assert found.exit_code == 0 and json.loads(found.output)[0]["title"] == title
    again = CliRunner().invoke(cli, ["--db", sqlite_url, "db", "upgrade"])
    assert again.exit_code == 0 and "indexed" not in again.output
