"""SQL tables of retention: rules, per-record assignments, legal holds,
disposition batches, tombstones and fixity runs. (The audit chain is in ``access_tables``.)"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from archive.db.tables import _TZ  # one timestamp type for every table


class RetentionRuleRow(SQLModel, table=True):
    """One line of the retention schedule."""

    __tablename__ = "retention_rules"

    code: str = Field(primary_key=True, max_length=40)
    title: str = Field(max_length=300)
    period_years: int | None = None  # null: permanent
    trigger: str = Field(max_length=20)
    document_types: str = Field(default="[]", sa_type=sa.Text)  # JSON list
    agencies: str = Field(default="[]", sa_type=sa.Text)  # JSON list
    description: str = Field(default="", sa_type=sa.Text)
    schedule: str = Field(default="default", max_length=60)  # the named schedule it belongs to
    legal_basis: str = Field(default="", max_length=300)  # circular and item
    updated_at: datetime = Field(sa_type=_TZ)


class RecordRetentionRow(SQLModel, table=True):
    """The rule and disposal date computed for a record (its dossier is on ``records``)."""

    __tablename__ = "record_retention"

    record_id: str = Field(primary_key=True, max_length=36, foreign_key="records.id", ondelete="CASCADE")
    rule_code: str | None = Field(default=None, max_length=40, index=True)
    disposal_date: date | None = Field(default=None, index=True)
    maintenance: str | None = Field(default=None, max_length=2)  # tier code; null: computed before 0013
    computed_at: datetime = Field(sa_type=_TZ)


class LegalHoldRow(SQLModel, table=True):
    """A legal hold and, once released, its release."""

    __tablename__ = "legal_holds"

    id: str = Field(primary_key=True, max_length=36)
    name: str = Field(max_length=200)
    reason: str = Field(sa_type=sa.Text)
    authority: str = Field(max_length=200)
    created_by: str = Field(max_length=200)
    created_at: datetime = Field(sa_type=_TZ)
    released_at: datetime | None = Field(default=None, sa_type=_TZ)
    released_by: str | None = Field(default=None, max_length=200)
    release_reason: str | None = Field(default=None, sa_type=sa.Text)


class HoldRecordRow(SQLModel, table=True):
    """A record named by a hold. A held record is never destroyed, so its row stays."""

    __tablename__ = "legal_hold_records"

    hold_id: str = Field(primary_key=True, max_length=36, foreign_key="legal_holds.id")
    record_id: str = Field(primary_key=True, max_length=36, index=True)
    added_by: str = Field(max_length=200)
    added_at: datetime = Field(sa_type=_TZ)


class DispositionBatchRow(SQLModel, table=True):
    """A proposed, approved or executed disposition batch."""

    __tablename__ = "disposition_batches"

    id: str = Field(primary_key=True, max_length=36)
    status: str = Field(max_length=20, index=True)
    planned_by: str = Field(max_length=200)
    planned_at: datetime = Field(sa_type=_TZ)
    cutoff: date
    approved_by: str | None = Field(default=None, max_length=200)
    approved_at: datetime | None = Field(default=None, sa_type=_TZ)
    decision_ref: str | None = Field(default=None, max_length=200)
    executed_at: datetime | None = Field(default=None, sa_type=_TZ)
    # The ManageScope (JSON) of the planner and of the approver: the purge re-checks both.
    planner_scope: str | None = Field(default=None, sa_type=sa.Text)
    approver_scope: str | None = Field(default=None, sa_type=sa.Text)
    # Circular 06/2025: the explanatory note, and the decision's date (the minutes' clock).
    explanatory_note: str = Field(default="", sa_type=sa.Text, sa_column_kwargs={"server_default": ""})
    decided_on: date | None = None


class DispositionItemRow(SQLModel, table=True):
    """One record of a batch and its purge state. No foreign key to ``records``:
    the item outlives the row it destroys."""

    __tablename__ = "disposition_items"

    batch_id: str = Field(primary_key=True, max_length=36, foreign_key="disposition_batches.id")
    record_id: str = Field(primary_key=True, max_length=36, index=True)
    state: str = Field(max_length=20)
    document_number: str = Field(max_length=100)
    document_type: str = Field(max_length=100)
    agency_code: str = Field(max_length=40)
    classification: int
    rule_code: str | None = Field(default=None, max_length=40)
    disposal_date: date
    sha256: str = Field(max_length=64)
    storage_key: str = Field(max_length=200)
    version_ids: str = Field(default="[]", sa_type=sa.Text)  # JSON list, taken when the purge starts
    note: str | None = Field(default=None, sa_type=sa.Text)
    updated_at: datetime = Field(sa_type=_TZ)
    reason: str = Field(default="expired", max_length=20, sa_column_kwargs={"server_default": "expired"})
    duplicate_of: str | None = Field(default=None, max_length=36, index=True)  # the copy kept
    dossier_id: str | None = Field(default=None, max_length=36, index=True)  # its dossier, at planning


class TombstoneRow(SQLModel, table=True):
    """What remains of a destroyed record."""

    __tablename__ = "tombstones"

    record_id: str = Field(primary_key=True, max_length=36)
    document_number: str = Field(max_length=100)
    document_type: str = Field(max_length=100)
    agency_code: str = Field(max_length=40, index=True)
    classification: int
    issue_date: date
    rule_code: str | None = Field(default=None, max_length=40)
    disposal_date: date
    decision_ref: str = Field(max_length=200)
    batch_id: str = Field(max_length=36, index=True)
    approved_by: str = Field(max_length=200)
    deposited_at: datetime = Field(sa_type=_TZ)
    destroyed_at: datetime = Field(sa_type=_TZ)
    sha256: str = Field(max_length=64)
    size: int = Field(sa_type=sa.BigInteger)
    version_ids: str = Field(default="[]", sa_type=sa.Text)  # JSON list


class FixityRunRow(SQLModel, table=True):
    """A fixity pass over every record, checkpointed so that it can resume."""

    __tablename__ = "fixity_runs"

    id: int | None = Field(default=None, primary_key=True)
    started_at: datetime = Field(sa_type=_TZ)
    finished_at: datetime | None = Field(default=None, sa_type=_TZ)
    last_record_id: str = Field(default="", max_length=36)  # checkpoint: every id <= this is done
    ok: int = 0
    changed: str = Field(default="[]", sa_type=sa.Text)  # JSON list of record ids
    missing: str = Field(default="[]", sa_type=sa.Text)  # JSON list of record ids
