"""what each version changed, for the change log

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 18:40:00

Each version after an article's first carries what it changed from the one before: a bit per field
(`changed`), the words removed and added over title, lead and body, and those per field
(`change_words`). They are derived from the two versions' extractions, written with the version, and
rewritten whenever versions are rebuilt; `archive db upgrade` measures the versions of an older archive.
Two partial indexes keep the change log fast: edits by time, and the fetches that took an article down.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

EDITS = sa.text("number > 1")
UNMEASURED = sa.text("number > 1 AND changed IS NULL")
REMOVALS = sa.text("status IN (404, 410)")


COLUMNS = ("changed", "words_removed", "words_added", "change_words")


# Plain ALTER TABLE, never a batch: SQLite's batch mode copies the table, which the research views name.
def upgrade() -> None:
    for name in COLUMNS:
        op.add_column("versions", sa.Column(name, sa.JSON() if name == "change_words" else sa.Integer(),
                                            nullable=True))
    op.create_index("ix_versions_edits", "versions", ["seen_at"], sqlite_where=EDITS, postgresql_where=EDITS)
    op.create_index("ix_versions_unmeasured", "versions", ["id"], sqlite_where=UNMEASURED,
                    postgresql_where=UNMEASURED)
    op.create_index("ix_fetches_removals", "fetches", ["article_id"], sqlite_where=REMOVALS,
                    postgresql_where=REMOVALS)


def downgrade() -> None:
    op.drop_index("ix_fetches_removals", "fetches")
    op.drop_index("ix_versions_unmeasured", "versions")
    op.drop_index("ix_versions_edits", "versions")
    for name in reversed(COLUMNS):
        op.execute(f"ALTER TABLE versions DROP COLUMN {name}")
