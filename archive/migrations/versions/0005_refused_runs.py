"""runs refused because another held the archive

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 00:40:00

A start that finds the archive's run lock taken now leaves a run record ("refused", saying which run held
it), so that every scheduled start has one.
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

BEFORE = ("running", "ok", "unhealthy", "incomplete", "failed", "interrupted")
AFTER = (*BEFORE, "refused")


def _outcomes(values: tuple[str, ...]) -> None:
    with op.batch_alter_table("runs") as batch:
        batch.drop_constraint(op.f("ck_runs_outcome"), type_="check")
        batch.create_check_constraint("outcome", f"outcome IN ({', '.join(repr(v) for v in values)})")


def upgrade() -> None:
    _outcomes(AFTER)


def downgrade() -> None:
    op.execute("DELETE FROM runs WHERE outcome = 'refused'")
    _outcomes(BEFORE)
