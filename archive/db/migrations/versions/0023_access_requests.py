"""access requests: readers' requests for copies (DIP) and the decisions on them

Revision ID: 0023
Revises: 0015 (re-chained when merged)

A new table, so earlier data is untouched.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0023"
down_revision = "0026"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "access_requests",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("requested_on", sa.Date(), nullable=False),
        sa.Column("purpose", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("topic", sa.Text(), nullable=False),
        sa.Column("reader_name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("record_ids", sa.Text(), nullable=False),
        sa.Column("reader", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("decided_by", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_requests")),
    )
    op.create_index(op.f("ix_access_requests_reader"), "access_requests", ["reader"])
    op.create_index(op.f("ix_access_requests_created_at"), "access_requests", ["created_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_access_requests_created_at"), table_name="access_requests")
    op.drop_index(op.f("ix_access_requests_reader"), table_name="access_requests")
    op.drop_table("access_requests")
