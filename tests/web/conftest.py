"""An archive built from the replica (through a WARC import, so it has a run record, then a second fetch
that makes a new version), with one article made hostile; and `archive serve` running on it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from archive.database import Archive
from archive.importing import import_warcs
from archive.ingest import Ingestor
from archive.models import Article
from tests.archive.feed import ingest_all, next_lead_edit, record, write_warc
from tests.extract_eval import replica_rules
from tests.replica import Replica
from tests.services import serving
from tests.web.hostile import hostile

ARTICLES = 40


@dataclass
class WebArchive:
    url: str
    path: Path
    edited: int  # the archive's id of an article with two versions (its lead rewritten)
    old: dict[str, Any]  # the replica's truth for that article, before and after
    new: dict[str, Any]
    hostile: int  # the archive's id of the article carrying stored-XSS payloads
    gone: int  # an article taken down after it was archived
    ids: list[int]  # every article


def _article_id(archive: Archive, site_id: int) -> int:
    with archive.transaction(write=False) as session:
        return int(session.scalars(select(Article.id).where(Article.site_id == site_id)).one())


@pytest.fixture(scope="session")
def web_archive(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebArchive]:
    folder = tmp_path_factory.mktemp("web")
    path = folder / "archive.sqlite"
    url = f"sqlite:///{path}"
    with Replica(articles=150, seed=4) as rep:
        rules = replica_rules(rep)
        edited = next_lead_edit(rep)
        normal = [a for a in rep.site.visible() if a.kind == "normal" and a.id != edited.id]
        later_gone = min((a for a in normal if a.gone_at and a.gone_at > rep.now), key=lambda a: a.gone_at or rep.now)
        normal = [a for a in normal if a.id != later_gone.id]
        metas = [*normal[:ARTICLES], edited, later_gone]
        truth = {t["site_id"]: t for t in rep.truth()}
        bad = normal[ARTICLES]
        records = [record(rep.base_url + m.path) for m in metas]
        page = record(rep.base_url + bad.path)
        assert page.body is not None
        records.append(replace(page, body=hostile(page.body.decode("utf-8"), truth[bad.id]).encode("utf-8")))
        write_warc(str(folder / "capture.warc.gz"), records)
        archive = Archive(url)
        import_warcs(archive, [folder / "capture.warc.gz"], rules, "capture.warc.gz")
        old = truth[edited.id]
        assert later_gone.gone_at is not None
        target = max(edited.edits[0][0], later_gone.gone_at) + timedelta(minutes=30)
        assert edited.gone_at is None or edited.gone_at > target
        rep.advance((target - rep.now).total_seconds() / 3600)
        ingest_all(Ingestor(archive, rules), [rep.base_url + m.path for m in (edited, later_gone)])
        # the hostile article edited too, so that its payloads pass through the change log and its feeds
        again = record(rep.base_url + bad.path)
        assert again.body is not None
        body = hostile(again.body.decode("utf-8"), truth[bad.id]).replace("</h1>", " (cập nhật)</h1>", 1)
        Ingestor(archive, rules).ingest(replace(again, body=body.encode("utf-8")))
        new = next(t for t in rep.truth() if t["site_id"] == edited.id)
        with archive.transaction(write=False) as session:
            ids = list(session.scalars(select(Article.id).order_by(Article.id)))
        built = WebArchive(url, path, _article_id(archive, edited.id), old, new, _article_id(archive, bad.id),
                           _article_id(archive, later_gone.id), ids)
        archive.close()
    yield built


@pytest.fixture(scope="session")
def server(web_archive: WebArchive) -> Iterator[str]:
    with serving(web_archive.url) as base:
        yield base
