"""destruction under Circular 06/2025: disposal reasons, the council, the papers

Revision ID: 0014
Revises: 0018 (written against 0010; re-chained when merged)

Each disposition item gets its disposal reason (``expired``, the only one before
this revision, or ``duplicate``), for a duplicate the id of the copy kept, and the
dossier the record was in when it was planned (no foreign key: the item outlives it).
Each batch gets its explanatory note and the destruction decision's date (the
15-day clock of the destruction minutes). ``disposition_council`` holds the
appraisal council's members and their votes, and ``disposition_papers`` links the
batch to its papers, each kept as a record of its agency.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("disposition_batches") as batch:
        batch.add_column(sa.Column("explanatory_note", sa.Text(), server_default="", nullable=False))
        batch.add_column(sa.Column("decided_on", sa.Date(), nullable=True))
    with op.batch_alter_table("disposition_items") as batch:
        batch.add_column(sa.Column("reason", sa.String(length=20), server_default="expired", nullable=False))
        batch.add_column(sa.Column("duplicate_of", sa.String(length=36), nullable=True))
        batch.create_index(op.f("ix_disposition_items_duplicate_of"), ["duplicate_of"], unique=False)
        batch.add_column(sa.Column("dossier_id", sa.String(length=36), nullable=True))
        batch.create_index(op.f("ix_disposition_items_dossier_id"), ["dossier_id"], unique=False)
    _create_council()
    _create_papers()


def _create_council() -> None:
    op.create_table(
        "disposition_council",
        sa.Column("batch_id", sa.String(length=36), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=200), nullable=False),
        sa.Column("seated_by", sa.String(length=200), nullable=False),
        sa.Column("seated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("vote", sa.String(length=10), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("voted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["disposition_batches.id"],
            name=op.f("fk_disposition_council_batch_id_disposition_batches"),
        ),
        sa.PrimaryKeyConstraint("batch_id", "subject", name=op.f("pk_disposition_council")),
    )


def _create_papers() -> None:
    op.create_table(
        "disposition_papers",
        sa.Column("batch_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("record_id", sa.String(length=36), nullable=False),
        sa.Column("agency_code", sa.String(length=40), nullable=False),
        sa.Column("classification", sa.Integer(), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("attached_by", sa.String(length=200), nullable=False),
        sa.Column("attached_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["disposition_batches.id"],
            name=op.f("fk_disposition_papers_batch_id_disposition_batches"),
        ),
        sa.PrimaryKeyConstraint("batch_id", "kind", name=op.f("pk_disposition_papers")),
    )
    op.create_index(
        op.f("ix_disposition_papers_record_id"), "disposition_papers", ["record_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_disposition_papers_record_id"), table_name="disposition_papers")
    op.drop_table("disposition_papers")
    op.drop_table("disposition_council")
    with op.batch_alter_table("disposition_items") as batch:
        batch.drop_index(op.f("ix_disposition_items_dossier_id"))
        batch.drop_column("dossier_id")
        batch.drop_index(op.f("ix_disposition_items_duplicate_of"))
        batch.drop_column("duplicate_of")
        batch.drop_column("reason")
    with op.batch_alter_table("disposition_batches") as batch:
        batch.drop_column("decided_on")
        batch.drop_column("explanatory_note")
