"""worker heartbeats, for the readiness probe

Revision ID: 0007
Revises: 0006

One row per worker process or embedded worker, rewritten every few seconds;
``/readyz`` fails when no beat is fresh.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "worker_heartbeats",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("host", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("beat_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_worker_heartbeats")),
    )
    op.create_index(op.f("ix_worker_heartbeats_beat_at"), "worker_heartbeats", ["beat_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_worker_heartbeats_beat_at"), table_name="worker_heartbeats")
    op.drop_table("worker_heartbeats")
