"""fixity audits leave run records

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 18:40:00

`archive verify` records each audit as a run of kind "verify", with what it checked and what it found.
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

BEFORE = ("crawl", "import", "reextract")
AFTER = (*BEFORE, "verify")


def _kinds(values: tuple[str, ...]) -> None:
    with op.batch_alter_table("runs") as batch:
        batch.drop_constraint(op.f("ck_runs_kind"), type_="check")
        batch.create_check_constraint("kind", f"kind IN ({', '.join(repr(v) for v in values)})")


def upgrade() -> None:
    _kinds(AFTER)


def downgrade() -> None:
    op.execute("DELETE FROM runs WHERE kind = 'verify'")
    _kinds(BEFORE)
