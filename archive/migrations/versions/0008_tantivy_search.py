"""search follows the archive through stamps; the text index moves out of the database

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 20:40:00

The full-text index is now a Tantivy index in a folder of its own (archive/search/store.py), which
follows `search_docs` by its stamps. The FTS5 table (SQLite) and the tsvector columns (PostgreSQL)
go; every existing row gets stamp 1, so an index built after the upgrade reads them all.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("search_docs") as batch:
        batch.add_column(sa.Column("stamp", sa.BigInteger(), nullable=False, server_default="1"))
        batch.create_index(op.f("ix_search_docs_stamp"), ["stamp"])
    op.create_table(
        "search_removals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.BigInteger(), nullable=False),
        sa.Column("stamp", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_removals")),
    )
    op.create_index(op.f("ix_search_removals_stamp"), "search_removals", ["stamp"])
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE search_fts")
    else:
        op.drop_index("ix_search_docs_folded", table_name="search_docs")
        op.drop_index("ix_search_docs_exact", table_name="search_docs")
        op.drop_column("search_docs", "folded")
        op.drop_column("search_docs", "exact")


def downgrade() -> None:
    """The old index comes back empty: `archive index rebuild` of that version fills it."""
    if op.get_bind().dialect.name == "sqlite":
        op.execute("CREATE VIRTUAL TABLE search_fts USING fts5(title, lead, body, title_f, lead_f, body_f, "
                   "content='', tokenize='unicode61 remove_diacritics 0')")
        op.execute("DELETE FROM search_docs")
    else:
        op.add_column("search_docs", sa.Column("folded", sa.dialects.postgresql.TSVECTOR()))
        op.add_column("search_docs", sa.Column("exact", sa.dialects.postgresql.TSVECTOR()))
        op.create_index("ix_search_docs_folded", "search_docs", ["folded"], postgresql_using="gin")
        op.create_index("ix_search_docs_exact", "search_docs", ["exact"], postgresql_using="gin")
        op.execute("DELETE FROM search_docs")
    op.drop_index(op.f("ix_search_removals_stamp"), table_name="search_removals")
    op.drop_table("search_removals")
    with op.batch_alter_table("search_docs") as batch:
        batch.drop_index(op.f("ix_search_docs_stamp"))
        batch.drop_column("stamp")
