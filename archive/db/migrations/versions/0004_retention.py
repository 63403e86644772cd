"""retention rules, dossiers, legal holds, disposition batches, tombstones and fixity runs

Revision ID: 0004
Revises: 0001
Create Date: 2026-11-27 00:38:08.350322
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0004"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "disposition_batches",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("planned_by", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("planned_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cutoff", sa.Date(), nullable=False),
        sa.Column("approved_by", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_ref", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("executed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disposition_batches")),
    )
    with op.batch_alter_table("disposition_batches", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_disposition_batches_status"), ["status"], unique=False)

    op.create_table(
        "dossiers",
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_dossiers")),
    )
    op.create_table(
        "fixity_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_record_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("ok", sa.Integer(), nullable=False),
        sa.Column("changed", sa.Text(), nullable=False),
        sa.Column("missing", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fixity_runs")),
    )
    op.create_table(
        "legal_holds",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("authority", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("created_by", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("released_by", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("release_reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_legal_holds")),
    )
    op.create_table(
        "retention_rules",
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("period_years", sa.Integer(), nullable=True),
        sa.Column("trigger", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("document_types", sa.Text(), nullable=False),
        sa.Column("agencies", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_retention_rules")),
    )
    op.create_table(
        "tombstones",
        sa.Column("record_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("document_number", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("document_type", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("agency_code", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("classification", sa.Integer(), nullable=False),
        sa.Column("issue_date", sa.Date(), nullable=False),
        sa.Column("rule_code", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column("disposal_date", sa.Date(), nullable=False),
        sa.Column("decision_ref", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("batch_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("approved_by", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("deposited_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("destroyed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("version_ids", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("record_id", name=op.f("pk_tombstones")),
    )
    with op.batch_alter_table("tombstones", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tombstones_agency_code"), ["agency_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_tombstones_batch_id"), ["batch_id"], unique=False)

    op.create_table(
        "disposition_items",
        sa.Column("batch_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("record_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("document_number", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("document_type", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("agency_code", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("classification", sa.Integer(), nullable=False),
        sa.Column("rule_code", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column("disposal_date", sa.Date(), nullable=False),
        sa.Column("sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("storage_key", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("version_ids", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["disposition_batches.id"],
            name=op.f("fk_disposition_items_batch_id_disposition_batches"),
        ),
        sa.PrimaryKeyConstraint("batch_id", "record_id", name=op.f("pk_disposition_items")),
    )
    with op.batch_alter_table("disposition_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_disposition_items_record_id"), ["record_id"], unique=False)

    op.create_table(
        "legal_hold_records",
        sa.Column("hold_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("record_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("added_by", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["hold_id"], ["legal_holds.id"], name=op.f("fk_legal_hold_records_hold_id_legal_holds")
        ),
        sa.PrimaryKeyConstraint("hold_id", "record_id", name=op.f("pk_legal_hold_records")),
    )
    with op.batch_alter_table("legal_hold_records", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_legal_hold_records_record_id"), ["record_id"], unique=False)

    op.create_table(
        "record_retention",
        sa.Column("record_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("rule_code", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column("disposal_date", sa.Date(), nullable=True),
        sa.Column("dossier_code", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=True),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["records.id"],
            name=op.f("fk_record_retention_record_id_records"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("record_id", name=op.f("pk_record_retention")),
    )
    with op.batch_alter_table("record_retention", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_record_retention_disposal_date"), ["disposal_date"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_record_retention_dossier_code"), ["dossier_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_record_retention_rule_code"), ["rule_code"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("record_retention", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_record_retention_rule_code"))
        batch_op.drop_index(batch_op.f("ix_record_retention_dossier_code"))
        batch_op.drop_index(batch_op.f("ix_record_retention_disposal_date"))

    op.drop_table("record_retention")
    with op.batch_alter_table("legal_hold_records", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_legal_hold_records_record_id"))

    op.drop_table("legal_hold_records")
    with op.batch_alter_table("disposition_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_disposition_items_record_id"))

    op.drop_table("disposition_items")
    with op.batch_alter_table("tombstones", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tombstones_batch_id"))
        batch_op.drop_index(batch_op.f("ix_tombstones_agency_code"))

    op.drop_table("tombstones")
    op.drop_table("retention_rules")
    op.drop_table("legal_holds")
    op.drop_table("fixity_runs")
    op.drop_table("dossiers")
    with op.batch_alter_table("disposition_batches", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_disposition_batches_status"))

    op.drop_table("disposition_batches")
