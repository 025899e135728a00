"""Concurrent ingest into one PostgreSQL archive: four processes importing overlapping fetches of the same
articles at once, in different orders, end exactly as one serial import of them all."""

from __future__ import annotations

import random
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from tests.archive.feed import record, write_warc
from tests.replica import Replica
from tests.services import create_database

pytestmark = pytest.mark.slow
PROCESSES = 4

STATE = {
    "articles": "SELECT canonical_url, site_id, status, gone_at, first_seen, last_seen FROM articles "
                "ORDER BY canonical_url",
    "versions": "SELECT a.canonical_url, v.number, v.fingerprint, v.seen_at, v.title, f.key FROM versions v "
                "JOIN articles a ON a.id = v.article_id JOIN extractions e ON e.id = v.extraction_id "
                "JOIN fetches f ON f.id = e.fetch_id ORDER BY a.canonical_url, v.number",
    "fetches": "SELECT f.key, f.status, a.canonical_url, f.body_sha256 FROM fetches f "
               "LEFT JOIN articles a ON a.id = f.article_id ORDER BY f.key",
    "extractions": "SELECT f.key, count(*) FROM extractions e JOIN fetches f ON f.id = e.fetch_id "
                   "GROUP BY f.key ORDER BY f.key",
    "bodies": "SELECT sha256, size FROM raw_bodies ORDER BY sha256",
    "search": "SELECT a.canonical_url, d.title, d.status, f.key FROM search_docs d "
              "JOIN articles a ON a.id = d.article_id JOIN extractions e ON e.id = d.extraction_id "
              "JOIN fetches f ON f.id = e.fetch_id ORDER BY a.canonical_url",
}


def state(url: str) -> dict[str, list[Any]]:
    engine = create_engine(url)
    with engine.connect() as conn:
        out = {name: [tuple(row) for row in conn.execute(text(sql))] for name, sql in STATE.items()}
    engine.dispose()
    return out


def archive_import(url: str, warc: Path, alias: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "archive", "--db", url, "import", str(warc), "--alias", alias],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_four_writers_end_as_one_serial_ingest(postgres: str, tmp_path: Path) -> None:
    with Replica(articles=500, seed=23) as rep:
        normal = [a for a in rep.site.visible() if a.kind == "normal"]
        weeks = timedelta(days=14)
        doomed = [a for a in normal if a.gone_at and rep.now < a.gone_at < rep.now + weeks][:5]
        assert doomed, "the replica takes some article down within two weeks"
        articles = doomed + [a for a in normal if a not in doomed][:25]
        records = []
        for _ in range(3):  # three visits a week apart: new versions, takedowns, unchanged pages
            records += [record(rep.base_url + a.path) for a in articles]
            rep.advance(24 * 7)
        alias = rep.host_alias
    assert {r.status for r in records} >= {200, 404}
    rng = random.Random(5)
    shares: list[list[Any]] = [[] for _ in range(PROCESSES)]
    for one in records:  # each fetch goes to three of the four writers: they overlap, and race for it
        for writer in rng.sample(range(PROCESSES), 3):
            shares[writer].append(one)
    for n, share in enumerate(shares):
        rng.shuffle(share)  # and each meets the fetches in its own order, late captures before early ones
        write_warc(str(tmp_path / f"share-{n}.warc.gz"), share)
    write_warc(str(tmp_path / "all.warc.gz"), records)

    serial = create_database(postgres, "ingest_serial")
    done = archive_import(serial, tmp_path / "all.warc.gz", alias)
    assert done.wait(timeout=600) == 0, done.stderr.read() if done.stderr else ""

    racing = create_database(postgres, "ingest_racing")
    subprocess.run([sys.executable, "-m", "archive", "--db", racing, "db", "upgrade"], check=True,
                   capture_output=True)  # the schema, made once, before the race
    procs = [archive_import(racing, tmp_path / f"share-{n}.warc.gz", alias) for n in range(PROCESSES)]
    for proc in procs:
        _, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err

    expected, got = state(serial), state(racing)
    assert expected["versions"] and any(status == "gone" for _, _, status, *_ in expected["articles"])
    for name in STATE:
        extra = [row for row in got[name] if row not in expected[name]][:3]
        missing = [row for row in expected[name] if row not in got[name]][:3]
        assert got[name] == expected[name], (name, extra, missing)
