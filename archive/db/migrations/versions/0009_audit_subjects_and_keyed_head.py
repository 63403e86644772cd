"""The records each audit entry is about, and a keyed MAC on the chain's head.

Revision ID: 0009
Revises: 0008

``audit_records`` lets the audit log be filtered per caller by the read rule inside
the query (so paging never depends on entries the caller may not see); existing
entries are backfilled with the same ``record_subjects`` the application uses.
``audit_head.mac`` seals the head under a key kept outside the database; it stays
empty until the next append (or ``archive audit seal``).
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

from archive.domain.audit import record_subjects

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_BATCH = 1000


def upgrade() -> None:
    with op.batch_alter_table("audit_head") as batch:
        batch.add_column(sa.Column("mac", sa.String(length=64), nullable=True))
    subjects = op.create_table(
        "audit_records",
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("record_id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(["seq"], ["audit_log.seq"], name=op.f("fk_audit_records_seq_audit_log")),
        sa.PrimaryKeyConstraint("seq", "record_id", name=op.f("pk_audit_records")),
    )
    op.create_index(op.f("ix_audit_records_record_id"), "audit_records", ["record_id"], unique=False)
    _backfill(subjects)


def _backfill(subjects: sa.Table) -> None:
    conn = op.get_bind()
    log = sa.table(
        "audit_log", sa.column("seq"), sa.column("action"), sa.column("target"), sa.column("details")
    )
    last = 0
    while True:
        rows = conn.execute(
            sa.select(log.c.seq, log.c.action, log.c.target, log.c.details)
            .where(log.c.seq > last)
            .order_by(log.c.seq)
            .limit(_BATCH)
        ).all()
        if not rows:
            return
        found = [
            {"seq": row.seq, "record_id": record_id}
            for row in rows
            for record_id in record_subjects(row.action, row.target, _details(row.details))
        ]
        if found:
            conn.execute(subjects.insert(), found)
        last = rows[-1].seq


def _details(text: str) -> dict[str, str | int | bool | None]:
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def downgrade() -> None:
    op.drop_index(op.f("ix_audit_records_record_id"), table_name="audit_records")
    op.drop_table("audit_records")
    with op.batch_alter_table("audit_head") as batch:
        batch.drop_column("mac")
