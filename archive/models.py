"""The archive's tables. Raw bodies and fetches are facts and never change; extractions and versions are
derived from them (fetches × parser version) and can be rebuilt by re-extraction."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from archive.vocab import ArticleStatus, FetchSource, Rendering, RunKind, RunOutcome, sql_in

# Every constraint named, so that a later migration can drop it on SQLite and PostgreSQL alike.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


EDITS = text("number > 1")  # a version that changed an earlier one
UNMEASURED = text("number > 1 AND changed IS NULL")
REMOVALS = text("status IN (404, 410)")


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out, on SQLite (which keeps no zone) as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: the archive stores aware times only")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON, list[Any]: JSON, datetime: UTCDateTime}


class CompressionDictionary(Base):
    """A zstd dictionary trained on the site's own pages; bodies name the one they were packed with."""

    __tablename__ = "compression_dictionaries"
    id: Mapped[int] = mapped_column(primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    samples: Mapped[int]
    trained_at: Mapped[datetime]


class RawBody(Base):
    """A fetched body, stored once however often it is fetched, addressed by the SHA-256 of its bytes."""

    __tablename__ = "raw_bodies"
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    stored_size: Mapped[int] = mapped_column(BigInteger)
    dictionary_id: Mapped[int | None] = mapped_column(ForeignKey("compression_dictionaries.id"))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    stored_at: Mapped[datetime]


class Run(Base):
    __tablename__ = "runs"
    __table_args__ = (CheckConstraint(sql_in("kind", RunKind), name="kind"),
                      CheckConstraint(sql_in("outcome", RunOutcome), name="outcome"))
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # RunKind
    args: Mapped[dict[str, Any]] = mapped_column(default=dict)
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    outcome: Mapped[str] = mapped_column(String(20), default=RunOutcome.RUNNING)  # RunOutcome
    counts: Mapped[dict[str, Any]] = mapped_column(default=dict)


class Article(Base):
    __tablename__ = "articles"
    __table_args__ = (CheckConstraint(sql_in("status", ArticleStatus), name="status"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    canonical_url: Mapped[str] = mapped_column(String(2000), unique=True)
    site_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    first_seen: Mapped[datetime]
    last_seen: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(10), default=ArticleStatus.LIVE)  # ArticleStatus
    gone_at: Mapped[datetime | None]
    versions: Mapped[list[Version]] = relationship(back_populates="article", order_by="Version.number")


class Fetch(Base):
    """One fetch attempt, as it happened."""

    __tablename__ = "fetches"
    __table_args__ = (CheckConstraint(sql_in("rendered", Rendering), name="rendered"),
                      CheckConstraint(sql_in("source", FetchSource), name="source"),
                      Index("ix_fetches_removals", "article_id", sqlite_where=REMOVALS, postgresql_where=REMOVALS))
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)  # makes ingesting the same fetch twice a no-op
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id"))
    requested_url: Mapped[str] = mapped_column(String(2000))
    final_url: Mapped[str] = mapped_column(String(2000))
    canonical_url: Mapped[str] = mapped_column(String(2000), index=True)
    status: Mapped[int]
    etag: Mapped[str | None] = mapped_column(String(500))
    last_modified: Mapped[str | None] = mapped_column(String(100))
    content_type: Mapped[str | None] = mapped_column(String(200))
    fetched_at: Mapped[datetime] = mapped_column(index=True)
    server_date: Mapped[datetime | None]  # the site's Date header: its clock, which sitemap lastmods use
    rendered: Mapped[str] = mapped_column(String(10), default=Rendering.HTTP)  # Rendering
    source: Mapped[str] = mapped_column(String(20), default=FetchSource.CRAWL)  # FetchSource
    body_sha256: Mapped[str | None] = mapped_column(ForeignKey("raw_bodies.sha256"))
    article_id: Mapped[int | None] = mapped_column(ForeignKey("articles.id"), index=True)


class Extraction(Base):
    __tablename__ = "extractions"
    __table_args__ = (UniqueConstraint("fetch_id", "parser_version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    fetch_id: Mapped[int] = mapped_column(ForeignKey("fetches.id"))
    parser_version: Mapped[str] = mapped_column(String(40), index=True)
    ok: Mapped[bool] = mapped_column(Boolean)
    fingerprint: Mapped[str] = mapped_column(String(64))
    flags: Mapped[list[Any]] = mapped_column(default=list)
    fields: Mapped[dict[str, Any]]


class Version(Base):
    """A state of an article: a new one only when the content fingerprint differs from the previous
    one in fetch order. A version after the first also says what it changed from the one before
    (`archive.changes.measure`): the change log reads that, never a table of its own."""

    __tablename__ = "versions"
    __table_args__ = (UniqueConstraint("article_id", "number"), Index("ix_versions_seen", "article_id", "seen_at"),
                      Index("ix_versions_edits", "seen_at", sqlite_where=EDITS, postgresql_where=EDITS),
                      Index("ix_versions_unmeasured", "id", sqlite_where=UNMEASURED, postgresql_where=UNMEASURED))
    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id"))
    number: Mapped[int] = mapped_column(Integer)
    extraction_id: Mapped[int] = mapped_column(ForeignKey("extractions.id"))
    fingerprint: Mapped[str] = mapped_column(String(64))
    seen_at: Mapped[datetime]  # fetched_at of the first fetch showing this content
    title: Mapped[str] = mapped_column(Text)
    published: Mapped[datetime | None]
    changed: Mapped[int | None]  # a bit per field changed from the version before (archive.changes.FIELD_BITS)
    words_removed: Mapped[int | None]  # over title, lead and body
    words_added: Mapped[int | None]
    change_words: Mapped[dict[str, Any] | None]  # {"title": [removed, added], ...} for the texts that changed
    article: Mapped[Article] = relationship(back_populates="versions")
    extraction: Mapped[Extraction] = relationship()


class SearchDoc(Base):
    """The search index's row for an article: which extraction is its latest version, and the plain columns
    that filters and result lists read, stamped each time it changes. The text itself is indexed by the
    Tantivy index that follows these stamps (archive/search/store.py), in a folder of its own."""

    __tablename__ = "search_docs"
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id"), primary_key=True)
    extraction_id: Mapped[int] = mapped_column(ForeignKey("extractions.id"), index=True)
    title: Mapped[str] = mapped_column(Text)
    section: Mapped[str] = mapped_column(Text)  # the section's name, as shown
    authors: Mapped[str] = mapped_column(Text)  # as shown, comma-separated
    published: Mapped[datetime | None] = mapped_column(index=True)
    status: Mapped[str] = mapped_column(String(10))  # ArticleStatus
    template: Mapped[str] = mapped_column(String(20))
    # Folded keys for filters, each value between bars: "|chinh tri xa hoi|kinh te|"
    sections_key: Mapped[str] = mapped_column(Text)
    authors_key: Mapped[str] = mapped_column(Text)
    tags_key: Mapped[str] = mapped_column(Text)
    stamp: Mapped[int] = mapped_column(BigInteger, index=True, server_default="1")


class SearchRemoval(Base):
    """An article whose search row went (it was left with no version), for the indexes that follow."""

    __tablename__ = "search_removals"
    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(BigInteger)
    stamp: Mapped[int] = mapped_column(BigInteger, index=True)
