"""Who compiles a dossier and the heading it is listed under (Decree 30/2020/NĐ-CP, Appendix V).

Revision ID: 0018
Revises: 0013 (written against 0010; re-chained when merged)

The dossier list (danh mục hồ sơ) has a column "đơn vị/người lập hồ sơ" and groups
dossiers under headings (đề mục) of the agency's classification scheme. Neither is
one of Circular 05/2025's 18 fields, so the previous release has no value for them:
existing dossiers get empty text, which the list prints as an empty cell.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("dossiers") as batch:
        batch.add_column(sa.Column("compiler", sa.String(length=300), nullable=False, server_default=""))
        batch.add_column(sa.Column("heading", sa.String(length=300), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("dossiers") as batch:
        batch.drop_column("heading")
        batch.drop_column("compiler")
