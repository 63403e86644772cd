"""signature revisions (and edXML intake)

Revision ID: 0026
Revises: 0024 (the files branch, merged here; re-chained by the lead)

Each signature now says which revision of the file it covers, the signer's
permission for later changes, and what every later update did. The new columns
are nullable: a signature verified before this revision simply has no answer
(GraphQL shows null and an empty list) until the record is verified again.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0026"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("signatures") as batch:
        batch.add_column(sa.Column("signed_revision", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("revision_count", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("permission", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True))
        batch.add_column(sa.Column("later_revisions", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("signatures") as batch:
        for column in ("later_revisions", "permission", "revision_count", "signed_revision"):
            batch.drop_column(column)
