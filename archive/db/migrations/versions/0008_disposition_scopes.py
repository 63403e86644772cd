"""disposition batches record the planner's and the approver's retention scope

Revision ID: 0008
Revises: 0007

The purge re-checks every record against the scope of the person who planned
its batch and of the person who approved it (``ManageScope``, as JSON), so a
record reclassified or moved to another agency after approval is skipped, not
destroyed. Batches approved before this revision have no approver scope: their
pending records are skipped, and must be planned again.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("disposition_batches") as batch:
        batch.add_column(sa.Column("planner_scope", sa.Text(), nullable=True))
        batch.add_column(sa.Column("approver_scope", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("disposition_batches") as batch:
        batch.drop_column("approver_scope")
        batch.drop_column("planner_scope")
