"""Fonds, dossiers with the fields of Circular 05/2025/TT-BNV, and each record's place in them.

Revision ID: 0010
Revises: 0009

Every record moves into the default fonds of its owning agency (one per agency,
with a stable id, ``archive.domain.archival.default_fonds_id``). Dossiers gain an
``id`` key, a fonds and the TT05 fields; their old ``code`` stays as their file
code. A dossier goes to the fonds of the agency owning most of its members; one
with no members goes to a fonds named ``LEGACY`` that no agency owns (only
those who read across agencies see it) until an archivist moves it. Migrated
dossiers get retention code 07 ("other": the schedule rule decides, as before)
and mode 02 (not public). A record's dossier moves from
``record_retention.dossier_code`` to ``records.dossier_id``, with ordinals in
order of issue date, then deposit time.
"""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from archive.domain.archival import default_fonds_id

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

LEGACY_AGENCY = ""
_DOSSIER_NAMESPACE = uuid.UUID("0e7d4c1a-3b2f-4e5d-8c9b-6a7f8e9d0c1b")
_TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    conn = op.get_bind()
    now = datetime.now(UTC)
    fonds = op.create_table(
        "fonds",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("agency_code", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("history", sa.Text(), nullable=False),
        sa.Column("time_span", sa.String(length=300), nullable=False),
        sa.Column("total_documents", sa.Integer(), nullable=True),
        sa.Column("classification_scheme", sa.String(length=300), nullable=False),
        sa.Column("languages", sa.String(length=200), nullable=False),
        sa.Column("backup_mode", sa.String(length=2), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("created_at", _TZ, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fonds")),
        sa.UniqueConstraint("code", name=op.f("uq_fonds_code")),
    )
    op.create_index(op.f("ix_fonds_agency_code"), "fonds", ["agency_code"], unique=False)

    records = sa.table(
        "records",
        sa.column("id"),
        sa.column("agency_code"),
        sa.column("issue_date"),
        sa.column("created_at"),
    )
    retention = sa.table("record_retention", sa.column("record_id"), sa.column("dossier_code"))
    old_dossiers = sa.table(
        "dossiers", sa.column("code"), sa.column("title"), sa.column("closed_on", sa.Date())
    )
    agencies = sorted({a for (a,) in conn.execute(sa.select(records.c.agency_code).distinct())})
    members: dict[str, list[tuple[str, str, object, object]]] = defaultdict(list)
    for record_id, agency, issued, created, code in conn.execute(
        sa.select(
            records.c.id,
            records.c.agency_code,
            records.c.issue_date,
            records.c.created_at,
            retention.c.dossier_code,
        )
        .select_from(records.join(retention, retention.c.record_id == records.c.id))
        .where(retention.c.dossier_code.is_not(None))
    ):
        members[code].append((record_id, agency, issued, created))
    dossier_rows = conn.execute(
        sa.select(old_dossiers.c.code, old_dossiers.c.title, old_dossiers.c.closed_on)
    ).all()

    fonds_rows = [_fonds_row(default_fonds_id(a), a, a, now) for a in agencies]
    orphans = [d for d in dossier_rows if not members.get(d.code)]
    if orphans:
        fonds_rows.append(_fonds_row(default_fonds_id(LEGACY_AGENCY), "LEGACY", LEGACY_AGENCY, now))
    if fonds_rows:
        conn.execute(fonds.insert(), fonds_rows)

    op.drop_table("dossiers")  # its rows are in dossier_rows; the new table takes its constraint names
    dossiers = op.create_table(
        "dossiers",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("fonds_id", sa.String(length=36), nullable=False),
        sa.Column("agency_code", sa.String(length=40), nullable=False),
        sa.Column("code", sa.String(length=100), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("maintenance", sa.String(length=2), nullable=False),
        sa.Column("mode", sa.String(length=2), nullable=False),
        sa.Column("languages", sa.String(length=200), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=True),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("keyword", sa.String(length=300), nullable=False),
        sa.Column("number_of_paper", sa.Integer(), nullable=True),
        sa.Column("physical_format", sa.String(length=2), nullable=False),
        sa.Column("infor_sign", sa.String(length=300), nullable=False),
        sa.Column("paper_file_code", sa.String(length=100), nullable=False),
        sa.Column("risk_recovery", sa.String(length=2), nullable=False),
        sa.Column("risk_recovery_status", sa.String(length=2), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("classification", sa.Integer(), nullable=False),
        sa.Column("is_public", sa.Boolean(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=True),
        sa.Column("file_number", sa.String(length=40), nullable=False),
        sa.Column("created_at", _TZ, nullable=False),
        sa.Column("updated_at", _TZ, nullable=False),
        sa.Column("row_version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["fonds_id"], ["fonds.id"], name=op.f("fk_dossiers_fonds_id_fonds")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dossiers")),
        sa.UniqueConstraint("fonds_id", "code", name="uq_dossiers_fonds_id_code"),
    )
    for column in ("fonds_id", "agency_code", "code", "status", "classification"):
        op.create_index(op.f(f"ix_dossiers_{column}"), "dossiers", [column], unique=False)

    new_ids: dict[str, str] = {}
    rows = []
    for d in dossier_rows:
        owners = Counter(agency for _, agency, _, _ in members.get(d.code, []))
        agency = owners.most_common(1)[0][0] if owners else LEGACY_AGENCY
        new_ids[d.code] = str(uuid.uuid5(_DOSSIER_NAMESPACE, d.code))
        rows.append(_dossier_row(new_ids[d.code], d, agency, now))
    if rows:
        conn.execute(dossiers.insert(), rows)

    with op.batch_alter_table("records") as batch:
        batch.add_column(sa.Column("fonds_id", sa.String(length=36), nullable=True))
        batch.add_column(sa.Column("dossier_id", sa.String(length=36), nullable=True))
        batch.add_column(sa.Column("doc_ordinal", sa.Integer(), nullable=True))
    place = sa.table(
        "records",
        sa.column("id"),
        sa.column("agency_code"),
        sa.column("fonds_id"),
        sa.column("dossier_id"),
        sa.column("doc_ordinal"),
    )
    for agency in agencies:
        conn.execute(
            place.update().where(place.c.agency_code == agency).values(fonds_id=default_fonds_id(agency))
        )
    for code, found in members.items():
        ordered = sorted(found, key=lambda m: (str(m[2]), str(m[3]), m[0]))
        for ordinal, (record_id, _, _, _) in enumerate(ordered, start=1):
            conn.execute(
                place.update()
                .where(place.c.id == record_id)
                .values(dossier_id=new_ids[code], doc_ordinal=ordinal)
            )
    with op.batch_alter_table("records") as batch:
        batch.alter_column("fonds_id", existing_type=sa.String(length=36), nullable=False)
        batch.create_index(op.f("ix_records_fonds_id"), ["fonds_id"], unique=False)
        batch.create_index(op.f("ix_records_dossier_id"), ["dossier_id"], unique=False)
        batch.create_unique_constraint("uq_records_dossier_id_doc_ordinal", ["dossier_id", "doc_ordinal"])
        batch.create_foreign_key(op.f("fk_records_fonds_id_fonds"), "fonds", ["fonds_id"], ["id"])
        batch.create_foreign_key(op.f("fk_records_dossier_id_dossiers"), "dossiers", ["dossier_id"], ["id"])
    with op.batch_alter_table("record_retention") as batch:
        batch.drop_index("ix_record_retention_dossier_code")
        batch.drop_column("dossier_code")


def _fonds_row(fonds_id: str, code: str, agency: str, now: datetime) -> dict[str, object]:
    name = f"Phông lưu trữ {agency}" if agency else "Hồ sơ chưa xác định phông (legacy dossiers)"
    return {
        "id": fonds_id,
        "code": code,
        "name": name,
        "agency_code": agency,
        "status": "open",
        "history": "",
        "time_span": "",
        "total_documents": None,
        "classification_scheme": "",
        "languages": '["01"]',
        "backup_mode": "0",
        "notes": "Created by migration 0010 for the records already in the archive.",
        "created_at": now,
    }


def _dossier_row(
    dossier_id: str, old: sa.Row[tuple[str, str, object]], agency: str, now: datetime
) -> dict[str, object]:
    closed_on = old.closed_on
    return {
        "id": dossier_id,
        "fonds_id": default_fonds_id(agency),
        "agency_code": agency,
        "code": old.code,
        "title": old.title,
        "maintenance": "07",
        "mode": "02",
        "languages": '["01"]',
        "start_date": None,
        "end_date": None,
        "keyword": "",
        "number_of_paper": None,
        "physical_format": "01",
        "infor_sign": "",
        "paper_file_code": "",
        "risk_recovery": "0",
        "risk_recovery_status": "0",
        "description": "",
        "status": "open" if closed_on is None else "closed",
        "closed_on": closed_on,
        "classification": 0,
        "is_public": False,
        "year": None if closed_on is None else getattr(closed_on, "year", None),
        "file_number": "",
        "created_at": now,
        "updated_at": now,
        "row_version": 1,
    }


def downgrade() -> None:
    raise NotImplementedError("0010 moves records into fonds and dossiers; restore a backup to go back")
