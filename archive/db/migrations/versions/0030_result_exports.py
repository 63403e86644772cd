"""result exports: export jobs of a search's results, with their progress and file

Revision ID: 0030
Revises: 0023

A new table; earlier data is untouched.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0030"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "result_exports",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("owner", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("format", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("query", sa.Text(), nullable=True),
        sa.Column("filter", sa.Text(), nullable=False),
        sa.Column("order_tag", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=True),
        sa.Column("truncated", sa.Boolean(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("filename", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
        sa.Column("content", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_result_exports")),
    )
    op.create_index(op.f("ix_result_exports_owner"), "result_exports", ["owner"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_result_exports_owner"), table_name="result_exports")
    op.drop_table("result_exports")
