"""Retention rules name their schedule and legal basis; assignments keep their tier.

Revision ID: 0013
Revises: 0012 (written against 0009; re-chained after the dossier foundation and the document fields)

Several schedules live side by side (Circular 10/2022/TT-BNV and sector
circulars): ``retention_rules.schedule`` names the one a rule belongs to, and
``retention_rules.legal_basis`` the circular and item it comes from. Rules written
before keep working: they belong to the ``default`` schedule, with an empty basis.

``record_retention.maintenance`` keeps the tier (retention code 01-07) of the
period that governs a record. It stays NULL on assignments computed before this
revision, which counted from the trigger day rather than from the year after
completion: those rows count as not computed, so planning a disposition
recomputes them first (and ``archive retention recompute`` does it at once, with
their Object Lock extended). The new count is never earlier than the old one.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("retention_rules") as batch:
        batch.add_column(
            sa.Column(
                "schedule",
                sqlmodel.sql.sqltypes.AutoString(length=60),
                nullable=False,
                server_default="default",
            )
        )
        batch.add_column(
            sa.Column(
                "legal_basis", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False, server_default=""
            )
        )
    with op.batch_alter_table("record_retention") as batch:
        batch.add_column(sa.Column("maintenance", sqlmodel.sql.sqltypes.AutoString(length=2), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("record_retention") as batch:
        batch.drop_column("maintenance")
    with op.batch_alter_table("retention_rules") as batch:
        batch.drop_column("legal_basis")
        batch.drop_column("schedule")
