"""metadata versions and relations: corrections keep history, records relate

Revision ID: 0025
Revises: 0015 (re-chained when merged)

``records.metadata_version`` is the number of the current metadata version (1 for every
existing record: what was deposited). ``record_metadata_versions`` keeps every version
once a record is first corrected (version 1 is written then, from the row as it was), so
existing rows need no backfill. ``record_relations`` holds declared relations.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("records") as batch:
        batch.add_column(sa.Column("metadata_version", sa.Integer(), nullable=False, server_default="1"))
    op.create_table(
        "record_metadata_versions",
        sa.Column("record_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("metadata_json", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["records.id"],
            name=op.f("fk_record_metadata_versions_record_id_records"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("record_id", "version", name=op.f("pk_record_metadata_versions")),
    )
    op.create_table(
        "record_relations",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("record_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("target_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True),
        sa.Column("ref_issuer", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column("ref_number", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column("ref_number_key", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column("ref_issue_date", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["records.id"],
            name=op.f("fk_record_relations_record_id_records"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["target_id"],
            ["records.id"],
            name=op.f("fk_record_relations_target_id_records"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_record_relations")),
    )
    with op.batch_alter_table("record_relations") as batch:
        batch.create_index(batch.f("ix_record_relations_record_id"), ["record_id"], unique=False)
        batch.create_index(batch.f("ix_record_relations_target_id"), ["target_id"], unique=False)
        batch.create_index("ix_record_relations_reference", ["ref_issuer", "ref_number_key"], unique=False)


def downgrade() -> None:
    op.drop_table("record_relations")
    op.drop_table("record_metadata_versions")
    with op.batch_alter_table("records") as batch:
        batch.drop_column("metadata_version")
