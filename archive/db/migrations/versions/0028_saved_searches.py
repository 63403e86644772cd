"""saved searches: a principal's searches, optionally shared with one of its agencies

Revision ID: 0028
Revises: 0015

A new table; earlier data is untouched.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0028"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "saved_searches",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("owner", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("query", sa.Text(), nullable=True),
        sa.Column("filter", sa.Text(), nullable=False),
        sa.Column("shared_with", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_saved_searches")),
    )
    op.create_index(op.f("ix_saved_searches_owner"), "saved_searches", ["owner"], unique=False)
    op.create_index(op.f("ix_saved_searches_shared_with"), "saved_searches", ["shared_with"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_saved_searches_shared_with"), table_name="saved_searches")
    op.drop_index(op.f("ix_saved_searches_owner"), table_name="saved_searches")
    op.drop_table("saved_searches")
