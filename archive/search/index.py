"""Keeping the search index in step: `update` runs inside ingest's transaction for every article whose
latest version or status changed; `rebuild` starts the index afresh from the versions.

On SQLite the FTS5 table is contentless and append-only: one row per indexed extraction (extractions
never change), and `search_docs` names the one that is each article's latest. A superseded row stays in
the FTS table, unreachable, until a rebuild compacts it: SQLite 3.40 cannot delete from a contentless
table, and appending never risks a row that disagrees with its text.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, text
from sqlalchemy.orm import Session

from archive import versions
from archive.models import Article, Extraction, SearchDoc, Version
from archive.search.fold import exact, fold, words

WEIGHTS = {"title": "A", "lead": "B", "body": "D"}  # PostgreSQL ranks A above B above D


def update(session: Session, article_id: int) -> None:
    """Indexes the article's latest version and status, or drops it when it has no version."""
    latest = session.execute(
        select(Version.extraction_id, Extraction.fields).join(Extraction, Extraction.id == Version.extraction_id)
        .where(Version.article_id == article_id).order_by(Version.number.desc()).limit(1)).first()
    doc = session.get(SearchDoc, article_id)
    if latest is None:
        if doc is not None:
            session.delete(doc)
        return
    article = session.get(Article, article_id)
    assert article is not None
    extraction_id, fields = latest
    if doc is not None and doc.extraction_id == extraction_id:
        doc.status = article.status
        return
    values = _doc_values(fields)
    if doc is None:
        doc = SearchDoc(article_id=article_id, extraction_id=extraction_id, status=article.status, **values)
        session.add(doc)
    else:
        doc.extraction_id, doc.status = extraction_id, article.status
        for key, value in values.items():
            setattr(doc, key, value)
    session.flush()
    _index_text(session, article_id, extraction_id, fields)


def rebuild(session: Session, on_article: Callable[[], None] = lambda: None, batch: int = 500) -> int:
    """Empties the index and indexes every article's latest version, in batches; the number indexed."""
    sqlite = session.get_bind().dialect.name == "sqlite"
    if sqlite:
        session.execute(text("INSERT INTO search_fts(search_fts) VALUES('delete-all')"))
    session.execute(delete(SearchDoc))
    latest = versions.latest_numbers()
    done, after = 0, 0
    while True:  # keyset batches: no cursor stays open while the batch is written
        rows = session.execute(
            select(Version.article_id, Version.extraction_id, Extraction.fields, Article.status)
            .join(latest, (latest.c.article_id == Version.article_id) & (latest.c.number == Version.number))
            .join(Extraction, Extraction.id == Version.extraction_id).join(Article, Article.id == Version.article_id)
            .where(Version.article_id > after).order_by(Version.article_id).limit(batch)).all()
        if not rows:
            return done
        session.execute(insert(SearchDoc), [
            {"article_id": a, "extraction_id": e, "status": status, **_doc_values(fields)}
            for a, e, fields, status in rows])
        if sqlite:
            session.execute(text(FTS_INSERT), [_fts_row(e, fields) for _, e, fields, _ in rows])
        else:
            session.execute(text(PG_UPDATE), [_pg_row(a, fields) for a, _, fields, _ in rows])
        for _ in rows:
            on_article()
        done, after = done + len(rows), rows[-1][0]


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
        "sections_key": _key(fields.get("section_path") or []),
        "authors_key": _key(fields.get("author") or []),
        "tags_key": _key(fields.get("tags") or []),
    }


def _key(values: list[str]) -> str:
    """Folded values between bars, for filters that match a whole value: "|kinh te|doanh nghiep|"."""
    return "|" + "|".join(" ".join(fold(v).split()) for v in values) + "|"


FTS_INSERT = ("INSERT INTO search_fts(rowid, title, lead, body, title_f, lead_f, body_f) "
              "VALUES (:id, :title, :lead, :body, :title_f, :lead_f, :body_f)")
_VECTORS = {kind: " || ".join(f"setweight(to_tsvector('simple', :{kind}_{k}), '{w}')" for k, w in WEIGHTS.items())
            for kind in ("folded", "exact")}
PG_UPDATE = (f"UPDATE search_docs SET folded = {_VECTORS['folded']}, exact = {_VECTORS['exact']} "
             "WHERE article_id = :article_id")


def _parts(fields: dict[str, Any]) -> dict[str, str]:
    return {"title": fields.get("title") or "", "lead": fields.get("lead") or "", "body": fields.get("text") or ""}


def _fts_row(extraction_id: int, fields: dict[str, Any]) -> dict[str, Any]:
    parts = _parts(fields)
    return {"id": extraction_id, **{k: exact(v) for k, v in parts.items()},
            **{f"{k}_f": fold(v) for k, v in parts.items()}}


def _pg_row(article_id: int, fields: dict[str, Any]) -> dict[str, Any]:
    parts = _parts(fields)
    return {"article_id": article_id, **{f"folded_{k}": _split(fold(v)) for k, v in parts.items()},
            **{f"exact_{k}": _split(exact(v)) for k, v in parts.items()}}


def _index_text(session: Session, article_id: int, extraction_id: int, fields: dict[str, Any]) -> None:
    if session.get_bind().dialect.name == "sqlite":
        indexed = session.execute(text("SELECT 1 FROM search_fts WHERE rowid = :id"), {"id": extraction_id}).first()
        if indexed is None:  # the same extraction is the same text: never indexed twice
            session.execute(text(FTS_INSERT), _fts_row(extraction_id, fields))
        return
    session.execute(text(PG_UPDATE), _pg_row(article_id, fields))


def _split(text: str) -> str:
    """Words as FTS5's unicode61 splits them, one space apart: PostgreSQL's own parser reads "81,62" or
    "máy/100" as single tokens, and then phrases would match differently on the two databases."""
    return " ".join(words(text))
