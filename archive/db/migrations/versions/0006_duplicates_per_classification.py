"""records: one copy of the same bytes per agency AND classification

Revision ID: 0006
Revises: 0005

The unique (agency, SHA-256) constraint made a deposit of bytes already held at a
higher classification answer DUPLICATE, telling an ORDINARY clerk that a
CONFIDENTIAL copy exists. A duplicate is now named only when the depositor may
read it; otherwise the deposit makes a new record, which the constraint must
allow. Depositors classify only up to their clearance, so within one agency the
copy a depositor could collide with is always one it may read.
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("records", schema=None) as batch_op:
        batch_op.drop_constraint("uq_records_agency_sha256", type_="unique")
        batch_op.create_unique_constraint(
            "uq_records_agency_sha256_classification", ["agency_code", "sha256", "classification"]
        )


def downgrade() -> None:
    # Fails while two classifications of the same bytes exist in one agency: merging
    # them is a records decision, not something a migration may do silently.
    with op.batch_alter_table("records", schema=None) as batch_op:
        batch_op.drop_constraint("uq_records_agency_sha256_classification", type_="unique")
        batch_op.create_unique_constraint("uq_records_agency_sha256", ["agency_code", "sha256"])
