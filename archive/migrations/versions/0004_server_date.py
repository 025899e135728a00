"""the site's clock at each fetch

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 15:40:00

`fetches.server_date` is the Date header the site sent. A sitemap's `lastmod` is written in the site's
clock, so whether an article changed since we last fetched it is decided against this, never against
our own clock.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("fetches") as batch:
        batch.add_column(sa.Column("server_date", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("fetches") as batch:
        batch.drop_column("server_date")
