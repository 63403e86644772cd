"""signature revisions (and edXML intake)

Revision ID: 0026
Revises: 0024, 0025 (files and lifecycle, merged here; the lead re-chains them linearly)

Each signature now says which revision of the file it covers, the signer's
permission for later changes, and what every later update did. The new columns
are nullable: a signature verified before this revision simply has no answer
(GraphQL shows null and an empty list) until the record is verified again.

``edxml_intakes`` is new: one row per edXML document taken in, unique on (sender
organ id, DocumentId, business type), so re-importing a document is a no-op.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("signatures") as batch:
        batch.add_column(sa.Column("signed_revision", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("revision_count", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("permission", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True))
        batch.add_column(sa.Column("later_revisions", sa.Text(), nullable=True))

    op.create_table(
        "edxml_intakes",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("sender_organ_id", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("document_id", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("business_type", sa.Integer(), nullable=False),
        sa.Column("agency_code", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("record_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("target_document_id", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_by", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("package_sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("signature", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("trace", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["record_id"], ["records.id"], name=op.f("fk_edxml_intakes_record_id_records"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_edxml_intakes")),
        sa.UniqueConstraint(
            "sender_organ_id",
            "document_id",
            "business_type",
            name=op.f("uq_edxml_intakes_sender_organ_id"),
        ),
    )
    op.create_index(op.f("ix_edxml_intakes_sender_organ_id"), "edxml_intakes", ["sender_organ_id"])
    op.create_index(op.f("ix_edxml_intakes_status"), "edxml_intakes", ["status"])
    op.create_index(op.f("ix_edxml_intakes_record_id"), "edxml_intakes", ["record_id"])


def downgrade() -> None:
    op.drop_table("edxml_intakes")
    with op.batch_alter_table("signatures") as batch:
        for column in ("later_revisions", "permission", "revision_count", "signed_revision"):
            batch.drop_column(column)
