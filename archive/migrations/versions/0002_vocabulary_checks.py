"""check constraints for the closed vocabularies

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 13:30:00

The values are written out here, not imported from `archive.vocab`: a later change to a vocabulary is a
migration of its own.
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

CHECKS: dict[str, dict[str, tuple[str, ...]]] = {
    "runs": {"kind": ("crawl", "import", "reextract"),
             "outcome": ("running", "ok", "unhealthy", "incomplete", "failed", "interrupted")},
    "articles": {"status": ("live", "gone")},
    "fetches": {"rendered": ("http", "browser"), "source": ("crawl", "warc")},
}


def upgrade() -> None:
    for table, columns in CHECKS.items():
        with op.batch_alter_table(table) as batch:
            for column, values in columns.items():
                batch.create_check_constraint(column, f"{column} IN ({', '.join(repr(v) for v in values)})")


def downgrade() -> None:
    for table, columns in CHECKS.items():
        with op.batch_alter_table(table) as batch:
            for column in columns:
                batch.drop_constraint(op.f(f"ck_{table}_{column}"), type_="check")
