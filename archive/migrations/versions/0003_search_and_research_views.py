"""search index and research views

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 13:10:00

The search index: `search_docs` (one row per article) everywhere; on SQLite an FTS5 table with one
contentless row per indexed extraction, on PostgreSQL two tsvector columns with GIN indexes. The
research views `articles_latest` and `article_versions` give plain columns, so Datasette, sqlite3 and
pandas read the archive without json_extract. Fill the index of an existing archive with
`archive index rebuild`.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

FTS = ("CREATE VIRTUAL TABLE search_fts USING fts5(title, lead, body, title_f, lead_f, body_f, content='', "
       "tokenize='unicode61 remove_diacritics 0')")


def _content(sqlite: bool) -> str:
    """The content columns of both views, read from an extraction `e`."""
    def field(name: str) -> str:
        return f"json_extract(e.fields, '$.{name}')" if sqlite else f"(e.fields->>'{name}')"

    def joined(name: str) -> str:
        if sqlite:
            return f"(SELECT group_concat(value, ', ') FROM json_each(e.fields, '$.{name}'))"
        return f"(SELECT string_agg(value, ', ') FROM json_array_elements_text(e.fields->'{name}'))"

    return (f"{field('title')} AS title, {field('lead')} AS lead, {field('text')} AS text, "
            f"{joined('author')} AS authors, {field('published')} AS published, {field('updated')} AS updated, "
            f"{field('section')} AS section, {joined('tags')} AS tags, {field('template')} AS template")


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    op.create_table(
        "search_docs",
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("extraction_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("section", sa.Text(), nullable=False),
        sa.Column("authors", sa.Text(), nullable=False),
        sa.Column("published", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("template", sa.String(length=20), nullable=False),
        sa.Column("sections_key", sa.Text(), nullable=False),
        sa.Column("authors_key", sa.Text(), nullable=False),
        sa.Column("tags_key", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["article_id"], ["articles.id"], name=op.f("fk_search_docs_article_id_articles")),
        sa.ForeignKeyConstraint(["extraction_id"], ["extractions.id"],
                                name=op.f("fk_search_docs_extraction_id_extractions")),
        sa.PrimaryKeyConstraint("article_id", name=op.f("pk_search_docs")),
    )
    op.create_index(op.f("ix_search_docs_extraction_id"), "search_docs", ["extraction_id"])
    op.create_index(op.f("ix_search_docs_published"), "search_docs", ["published"])
    if sqlite:
        op.execute(FTS)
    else:
        op.add_column("search_docs", sa.Column("folded", sa.dialects.postgresql.TSVECTOR()))
        op.add_column("search_docs", sa.Column("exact", sa.dialects.postgresql.TSVECTOR()))
        op.create_index("ix_search_docs_folded", "search_docs", ["folded"], postgresql_using="gin")
        op.create_index("ix_search_docs_exact", "search_docs", ["exact"], postgresql_using="gin")
    content = _content(sqlite)
    op.execute(f"""CREATE VIEW article_versions AS
        SELECT v.article_id, v.number, v.seen_at, a.canonical_url, a.site_id, {content}, a.status, v.fingerprint
        FROM versions v JOIN articles a ON a.id = v.article_id JOIN extractions e ON e.id = v.extraction_id""")
    op.execute(f"""CREATE VIEW articles_latest AS
        SELECT a.id, a.canonical_url, a.site_id, {content}, a.status,
               (SELECT count(*) FROM versions c WHERE c.article_id = a.id) AS versions, a.first_seen, a.last_seen
        FROM articles a
        JOIN versions v ON v.article_id = a.id
             AND v.number = (SELECT max(m.number) FROM versions m WHERE m.article_id = a.id)
        JOIN extractions e ON e.id = v.extraction_id""")


def downgrade() -> None:
    op.execute("DROP VIEW articles_latest")
    op.execute("DROP VIEW article_versions")
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE search_fts")
    op.drop_table("search_docs")
