"""transfer batches: the handover of permanent dossiers to the historical archive

Revision ID: 0022
Revises: 0028 (written against 0015; re-chained when merged)

Three new tables (batches, their dossiers, the records an accepted batch took), so
earlier data is untouched.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0022"
down_revision = "0028"
branch_labels = None
depends_on = None

_S = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table(
        "transfer_batches",
        sa.Column("id", _S(length=36), nullable=False),
        sa.Column("status", _S(length=20), nullable=False),
        sa.Column("archive_name", _S(length=300), nullable=False),
        sa.Column("prepared_by", _S(length=300), nullable=False),
        sa.Column("prepared_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_by", _S(length=300), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reference", _S(length=200), nullable=False),
        sa.Column("decided_by", _S(length=300), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("receipt_ref", _S(length=200), nullable=False),
        sa.Column("receipt_sha256", _S(length=64), nullable=False),
        sa.Column("receipt_key", _S(length=200), nullable=False),
        sa.Column("refusal_reason", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transfer_batches")),
    )
    op.create_index(op.f("ix_transfer_batches_status"), "transfer_batches", ["status"])
    op.create_table(
        "transfer_items",
        sa.Column("batch_id", _S(length=36), nullable=False),
        sa.Column("dossier_id", _S(length=36), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("file_code", _S(length=100), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("agency_code", _S(length=40), nullable=False),
        sa.Column("classification", sa.Integer(), nullable=False),
        sa.Column("documents", sa.Integer(), nullable=False),
        sa.Column("pages", sa.Integer(), nullable=False),
        sa.Column("bytes", sa.BigInteger(), nullable=False),
        sa.Column("package_name", _S(length=200), nullable=False),
        sa.Column("package_size", sa.BigInteger(), nullable=False),
        sa.Column("package_sha256", _S(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["transfer_batches.id"], name=op.f("fk_transfer_items_batch_id_transfer_batches")
        ),
        sa.PrimaryKeyConstraint("batch_id", "dossier_id", name=op.f("pk_transfer_items")),
    )
    op.create_index(op.f("ix_transfer_items_dossier_id"), "transfer_items", ["dossier_id"])
    op.create_table(
        "transfer_records",
        sa.Column("record_id", _S(length=36), nullable=False),
        sa.Column("batch_id", _S(length=36), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("transferred_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["transfer_batches.id"], name=op.f("fk_transfer_records_batch_id_transfer_batches")
        ),
        sa.PrimaryKeyConstraint("record_id", name=op.f("pk_transfer_records")),
    )
    op.create_index(op.f("ix_transfer_records_batch_id"), "transfer_records", ["batch_id"])


def downgrade() -> None:
    op.drop_table("transfer_records")
    op.drop_table("transfer_items")
    op.drop_table("transfer_batches")
