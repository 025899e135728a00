"""Keeping the search index in step, inside the transaction that changes the versions. One writer per
kind of change, because each knows something the others would have to look up:
- `update`: one article after a one-at-a-time ingest (prepared statements; the latest may be given);
- `update_many`: the articles of a set-wise append, whose latest extractions are new, so never indexed;
- `reindex`: articles whose versions re-extraction rebuilt, whose latest may be indexed already;
- `rebuild`: the whole index afresh from the versions (`archive index rebuild`, and archives made before
  the index).

On SQLite the FTS5 table is contentless and append-only: one row per indexed extraction (extractions
never change), and `search_docs` names the one that is each article's latest. A superseded row stays in
the FTS table, unreachable, until a rebuild compacts it: SQLite 3.40 cannot delete from a contentless
table, and appending never risks a row that disagrees with its text.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, func, insert, select, text
from sqlalchemy import update as update_
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from archive import versions
from archive.models import Article, Extraction, SearchDoc, Version
from archive.search.fold import exact, fold, words

WEIGHTS = {"title": "A", "lead": "B", "body": "D"}  # PostgreSQL ranks A above B above D
Texts = dict[str, tuple[str, str]]  # an extraction's indexed parts (title, lead, body): (as typed, folded)
Latest = tuple[int, dict[str, Any], str, Texts | None]  # extraction id, fields, article status, texts


LATEST = (select(Version.extraction_id, Extraction.fields, Article.status)
          .join(Extraction, Extraction.id == Version.extraction_id).join(Article, Article.id == Version.article_id)
          .where(Version.article_id == bindparam("article_id")).order_by(Version.number.desc()).limit(1))
INDEXED = select(SearchDoc.extraction_id).where(SearchDoc.article_id == bindparam("article_id"))
UNINDEX = delete(SearchDoc).where(SearchDoc.article_id == bindparam("article_id"))
INSERT_DOC = insert(SearchDoc)
DOC_COLUMNS = ("extraction_id", "status", "title", "section", "authors", "published", "template", "sections_key",
               "authors_key", "tags_key")
UPDATE_STATUS = update_(SearchDoc).where(SearchDoc.article_id == bindparam("doc")).values(
    status=bindparam("new_status"))
UPDATE_DOC = update_(SearchDoc).where(SearchDoc.article_id == bindparam("doc")).values(
    {column: bindparam(f"new_{column}") for column in DOC_COLUMNS})
FTS_INDEXED = text("SELECT 1 FROM search_fts WHERE rowid = :id")
FTS_INDEXED_ANY = text("SELECT rowid FROM search_fts WHERE rowid IN :ids").bindparams(bindparam("ids", expanding=True))


def update(session: Session, article_id: int, latest: Latest | None = None) -> None:
    """Indexes the article's latest version and status, or drops it when it has no version. Prepared
    statements only: it runs inside every ingest that changes an article. `latest`, when the caller knows
    it: the latest version's extraction, just written and so never indexed, with its fields, the
    article's status and the extraction's `texts` (computed beforehand, outside the writer)."""
    conn = session.connection()
    row = latest[:3] if latest is not None else conn.execute(LATEST, {"article_id": article_id}).first()
    indexed = conn.scalar(INDEXED, {"article_id": article_id})
    if row is None:
        if indexed is not None:
            conn.execute(UNINDEX, {"article_id": article_id})
        return
    extraction_id, fields, status = row
    if indexed == extraction_id:
        conn.execute(UPDATE_STATUS, {"doc": article_id, "new_status": status})
        return
    _write_docs(conn, {article_id: (extraction_id, status, fields)}, set() if indexed is None else {article_id})
    parts = (latest[3] if latest is not None else None) or texts(fields)
    if latest is not None and conn.dialect.name == "sqlite":
        conn.execute(FTS_INSERT_STATEMENT, _fts_row(extraction_id, parts))  # a new extraction: not indexed yet
    else:
        _index_text(session, article_id, extraction_id, parts)


def update_many(session: Session, latest: list[tuple[int, Latest]]) -> None:
    """`update` for versions just written, as (article id, its latest) in the order they were written
    (an article's last is its latest): the same rows, with one statement of each kind for all of them."""
    conn = session.connection()
    final = dict(latest)
    indexed = set(conn.scalars(select(SearchDoc.article_id).where(SearchDoc.article_id.in_(final))))
    _write_docs(conn, {a: (e, status, fields) for a, (e, fields, status, _) in final.items()}, indexed)
    if conn.dialect.name == "sqlite":  # every new extraction gets its row, as `update` gives it one by one
        conn.execute(FTS_INSERT_STATEMENT, [_fts_row(e, parts or texts(fields))
                                            for _, (e, fields, _, parts) in latest])
    else:
        conn.execute(PG_UPDATE_STATEMENT, [_pg_row(a, parts or texts(fields))
                                           for a, (_, fields, _, parts) in final.items()])


def reindex(session: Session, latest: dict[int, tuple[int, dict[str, Any]] | None]) -> None:
    """`update` for articles whose versions were rebuilt, given each one's latest extraction as (id, fields),
    or None for an article left with no version: the same rows, with a few statements for all of them. The
    extractions may be indexed already (re-extraction back to a parser version the archive had)."""
    conn = session.connection()
    gone = [a for a, found in latest.items() if found is None]
    if gone:
        conn.execute(delete(SearchDoc).where(SearchDoc.article_id.in_(gone)))
    kept = {a: found for a, found in latest.items() if found is not None}
    if not kept:
        return
    status = {a: s for a, s in conn.execute(select(Article.id, Article.status).where(Article.id.in_(kept)))}
    indexed = {a: e for a, e in conn.execute(select(SearchDoc.article_id, SearchDoc.extraction_id)
                                             .where(SearchDoc.article_id.in_(kept)))}
    _write_docs(conn, {a: (e, status[a], fields) for a, (e, fields) in kept.items()}, set(indexed))
    moved = {a: (e, fields) for a, (e, fields) in kept.items() if indexed.get(a) != e}
    if not moved:
        return
    if conn.dialect.name == "sqlite":  # the same extraction is the same text: never indexed twice
        known = set(conn.scalars(FTS_INDEXED_ANY, {"ids": [e for e, _ in moved.values()]}))
        rows = [_fts_row(e, texts(fields)) for e, fields in moved.values() if e not in known]
        if rows:
            conn.execute(FTS_INSERT_STATEMENT, rows)
    else:
        conn.execute(PG_UPDATE_STATEMENT, [_pg_row(a, texts(fields)) for a, (_, fields) in moved.items()])


def _write_docs(conn: Connection, docs: dict[int, tuple[int, str, dict[str, Any]]], indexed: set[int]) -> None:
    """The search_docs rows of articles, {article id: (extraction id, status, fields)}: inserted, or
    updated for those `indexed` already."""
    values = {a: {"extraction_id": e, "status": status, **_doc_values(f)} for a, (e, status, f) in docs.items()}
    inserts = [{"article_id": a, **v} for a, v in values.items() if a not in indexed]
    updates = [{"doc": a, **{f"new_{k}": x for k, x in v.items()}} for a, v in values.items() if a in indexed]
    if inserts:
        conn.execute(INSERT_DOC, inserts)
    if updates:
        conn.execute(UPDATE_DOC, updates)


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
            session.execute(text(FTS_INSERT), [_fts_row(e, texts(fields)) for _, e, fields, _ in rows])
        else:
            session.execute(text(PG_UPDATE), [_pg_row(a, texts(fields)) for a, _, fields, _ in rows])
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
FTS_INSERT_STATEMENT, PG_UPDATE_STATEMENT = text(FTS_INSERT), text(PG_UPDATE)


def _parts(fields: dict[str, Any]) -> dict[str, str]:
    return {"title": fields.get("title") or "", "lead": fields.get("lead") or "", "body": fields.get("text") or ""}


def texts(fields: dict[str, Any]) -> Texts:
    """What the index holds of an extraction, each part as typed and folded: the costly part of
    indexing, which needs no database."""
    return {k: (exact(v), fold(v)) for k, v in _parts(fields).items()}


def _fts_row(extraction_id: int, parts: Texts) -> dict[str, Any]:
    return {"id": extraction_id, **{k: v[0] for k, v in parts.items()}, **{f"{k}_f": v[1] for k, v in parts.items()}}


def _pg_row(article_id: int, parts: Texts) -> dict[str, Any]:
    return {"article_id": article_id, **{f"folded_{k}": _split(v[1]) for k, v in parts.items()},
            **{f"exact_{k}": _split(v[0]) for k, v in parts.items()}}


def _index_text(session: Session, article_id: int, extraction_id: int, parts: Texts) -> None:
    conn = session.connection()
    if conn.dialect.name == "sqlite":
        indexed = conn.execute(FTS_INDEXED, {"id": extraction_id}).first()
        if indexed is None:  # the same extraction is the same text: never indexed twice
            conn.execute(FTS_INSERT_STATEMENT, _fts_row(extraction_id, parts))
        return
    conn.execute(PG_UPDATE_STATEMENT, _pg_row(article_id, parts))


def _split(text: str) -> str:
    """Words as FTS5's unicode61 splits them, one space apart: PostgreSQL's own parser reads "81,62" or
    "máy/100" as single tokens, and then phrases would match differently on the two databases."""
    return " ".join(words(text))
