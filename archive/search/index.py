"""Keeping `search_docs` in step, inside the transaction that changes the versions: one row per article,
naming its latest extraction, with the plain columns filters and result lists read, stamped so that the
search index (`store.py`) finds what changed since it last looked. Nothing here tokenizes: the writer
only stamps. One writer per kind of change, because each knows something the others would look up:
- `update`: one article after a one-at-a-time ingest (prepared statements; the latest may be given);
- `update_many`: the articles of a set-wise append;
- `reindex`: articles whose versions re-extraction rebuilt;
- `rebuild`: every row afresh from the versions (`archive index rebuild`).

An article left with no version loses its row and leaves a stamped removal, which the index follows.
A stamp is a number that only grows: on SQLite, whose writers take turns, the next above every stamp
and above the clock's microseconds (so an archive restored from a backup still stamps past what an
index of the newer archive saw); on PostgreSQL the writing transaction's id, which the index compares
with the transactions still running.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, bindparam, cast, delete, func, insert, select
from sqlalchemy import update as update_
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from archive import versions
from archive.models import Article, Extraction, SearchDoc, SearchRemoval, Version
from archive.search.fold import fold

Latest = tuple[int, dict[str, Any], str]  # extraction id, fields, article status


LATEST = (select(Version.extraction_id, Extraction.fields, Article.status)
          .join(Extraction, Extraction.id == Version.extraction_id).join(Article, Article.id == Version.article_id)
          .where(Version.article_id == bindparam("article_id")).order_by(Version.number.desc()).limit(1))
INDEXED = select(SearchDoc.extraction_id).where(SearchDoc.article_id == bindparam("article_id"))
DOC_COLUMNS = ("extraction_id", "status", "title", "section", "authors", "published", "template", "sections_key",
               "authors_key", "tags_key")


def _stamp(dialect: str) -> ColumnElement[int]:
    if dialect == "postgresql":
        return func.txid_current()
    clock = cast(func.strftime("%s", "now"), BigInteger) * 1_000_000 + cast(
        func.substr(func.strftime("%f", "now"), 4), BigInteger) * 1000
    highest = select(func.max(SearchDoc.stamp)).scalar_subquery()
    return func.max(func.coalesce(highest, 0) + 1, clock)


@cache
def _statements(dialect: str) -> dict[str, Any]:
    """The writers' statements for a dialect, built once: each stamps what it writes."""
    stamp = _stamp(dialect)
    return {
        "insert": insert(SearchDoc).values(stamp=stamp),
        "update": update_(SearchDoc).where(SearchDoc.article_id == bindparam("doc")).values(
            {**{column: bindparam(f"new_{column}") for column in DOC_COLUMNS}, "stamp": stamp}),
        "status": update_(SearchDoc).where(SearchDoc.article_id == bindparam("doc")).values(
            status=bindparam("new_status"), stamp=stamp),
        "remove": insert(SearchRemoval).values(article_id=bindparam("gone"), stamp=stamp),
    }


def update(session: Session, article_id: int, latest: Latest | None = None) -> None:
    """Points the article's row at its latest version and status, or removes it when it has no version.
    Prepared statements only: it runs inside every ingest that changes an article. `latest`, when the
    caller knows it: the latest version's extraction, just written, with its fields and the status."""
    conn = session.connection()
    row = latest if latest is not None else conn.execute(LATEST, {"article_id": article_id}).first()
    indexed = conn.scalar(INDEXED, {"article_id": article_id})
    if row is None:
        if indexed is not None:
            _remove(conn, [article_id])
        return
    extraction_id, fields, status = row
    if indexed == extraction_id:
        conn.execute(_statements(conn.dialect.name)["status"], {"doc": article_id, "new_status": status})
        return
    _write_docs(conn, {article_id: (extraction_id, status, fields)}, set() if indexed is None else {article_id})


def update_many(session: Session, latest: list[tuple[int, Latest]]) -> None:
    """`update` for versions just written, as (article id, its latest) in the order they were written
    (an article's last is its latest): the same rows, with one statement of each kind for all of them."""
    conn = session.connection()
    final = dict(latest)
    indexed = set(conn.scalars(select(SearchDoc.article_id).where(SearchDoc.article_id.in_(final))))
    _write_docs(conn, {a: (e, status, fields) for a, (e, fields, status) in final.items()}, indexed)


def reindex(session: Session, latest: dict[int, tuple[int, dict[str, Any]] | None]) -> None:
    """`update` for articles whose versions were rebuilt, given each one's latest extraction as (id, fields),
    or None for an article left with no version: the same rows, with a few statements for all of them."""
    conn = session.connection()
    gone = [a for a, found in latest.items() if found is None]
    if gone:
        _remove(conn, list(conn.scalars(select(SearchDoc.article_id).where(SearchDoc.article_id.in_(gone)))))
    kept = {a: found for a, found in latest.items() if found is not None}
    if not kept:
        return
    status = {a: s for a, s in conn.execute(select(Article.id, Article.status).where(Article.id.in_(kept)))}
    indexed = set(conn.scalars(select(SearchDoc.article_id).where(SearchDoc.article_id.in_(kept))))
    _write_docs(conn, {a: (e, status[a], fields) for a, (e, fields) in kept.items()}, indexed)


def _remove(conn: Connection, article_ids: list[int]) -> None:
    if not article_ids:
        return
    conn.execute(delete(SearchDoc).where(SearchDoc.article_id.in_(article_ids)))
    conn.execute(_statements(conn.dialect.name)["remove"], [{"gone": a} for a in article_ids])


def _write_docs(conn: Connection, docs: dict[int, tuple[int, str, dict[str, Any]]], indexed: set[int]) -> None:
    """The search_docs rows of articles, {article id: (extraction id, status, fields)}: inserted, or
    updated for those `indexed` already."""
    values = {a: {"extraction_id": e, "status": status, **_doc_values(f)} for a, (e, status, f) in docs.items()}
    inserts = [{"article_id": a, **v} for a, v in values.items() if a not in indexed]
    updates = [{"doc": a, **{f"new_{k}": x for k, x in v.items()}} for a, v in values.items() if a in indexed]
    statements = _statements(conn.dialect.name)
    if inserts:
        conn.execute(statements["insert"], inserts)
    if updates:
        conn.execute(statements["update"], updates)


def rebuild(session: Session, on_article: Callable[[], None] = lambda: None, batch: int = 500) -> int:
    """Every article's row afresh from its latest version, in batches; the number of rows. An article
    whose row goes leaves a removal, so that every index following the archive drops it too."""
    conn = session.connection()
    before = set(conn.scalars(select(SearchDoc.article_id)))
    conn.execute(delete(SearchDoc))
    latest = versions.latest_numbers()
    done, after = 0, 0
    while True:  # keyset batches: no cursor stays open while the batch is written
        rows = conn.execute(
            select(Version.article_id, Version.extraction_id, Extraction.fields, Article.status)
            .join(latest, (latest.c.article_id == Version.article_id) & (latest.c.number == Version.number))
            .join(Extraction, Extraction.id == Version.extraction_id).join(Article, Article.id == Version.article_id)
            .where(Version.article_id > after).order_by(Version.article_id).limit(batch)).all()
        if not rows:
            break
        _write_docs(conn, {a: (e, status, fields) for a, e, fields, status in rows}, set())
        before.difference_update(a for a, *_ in rows)
        for _ in rows:
            on_article()
        done, after = done + len(rows), rows[-1][0]
    if before:
        conn.execute(_statements(conn.dialect.name)["remove"], [{"gone": a} for a in sorted(before)])
    return done


def is_missing(session: Session) -> bool:
    """Whether the archive has versions but an empty index: an archive made before the index existed."""
    return session.scalar(select(func.count()).select_from(SearchDoc)) == 0 and articles_to_index(session) > 0


def articles_to_index(session: Session) -> int:
    return session.scalar(select(func.count(func.distinct(Version.article_id)))) or 0


def _doc_values(fields: dict[str, Any]) -> dict[str, Any]:
    published = fields.get("published")
    return {
        "title": fields.get("title") or "",
        "section": fields.get("section") or "",
        "authors": ", ".join(fields.get("author") or []),
        "published": datetime.fromisoformat(published) if published else None,
        "template": fields.get("template") or "",
        "sections_key": key(fields.get("section_path") or []),
        "authors_key": key(fields.get("author") or []),
        "tags_key": key(fields.get("tags") or []),
    }


def key(values: list[str]) -> str:
    """Folded values between bars, for filters that match a whole value: "|kinh te|doanh nghiep|"."""
    return "|" + "|".join(key_value(v) for v in values) + "|"


def key_value(value: str) -> str:
    """A section, author or tag as filters match it: folded, its blanks made one space."""
    return " ".join(fold(value).split())


def key_values(key: str) -> list[str]:
    """The values of a `key`."""
    return [value for value in key.strip("|").split("|") if value]
