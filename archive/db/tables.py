"""SQL tables. API types live in ``archive.api``, domain types in ``archive.domain``."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

# One naming convention so Alembic's constraint names are stable on both engines.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

_TZ = sa.DateTime(timezone=True)


class RecordRow(SQLModel, table=True):
    """One archived record: its Decree 30 metadata and its stored file."""

    __tablename__ = "records"
    # One copy of the same bytes per agency AND classification: a depositor who may not
    # read the existing copy gets a new record instead of learning that it exists
    # (depositors classify only up to their clearance, so the copy they may read, if
    # any, is always the one that collides).
    __table_args__ = (
        sa.UniqueConstraint(
            "agency_code", "sha256", "classification", name="uq_records_agency_sha256_classification"
        ),
        # A document's ordinal is unique in its dossier: concurrent moves cannot share one.
        sa.UniqueConstraint("dossier_id", "doc_ordinal", name="uq_records_dossier_id_doc_ordinal"),
    )

    id: str = Field(primary_key=True, max_length=36)
    agency_code: str = Field(index=True, max_length=40)
    # metadata
    document_type: str = Field(index=True, max_length=100)
    number: str = Field(max_length=30)
    notation: str = Field(max_length=60)
    document_number_key: str = Field(index=True, max_length=100)
    issuing_agency_code: str = Field(index=True, max_length=40)
    issuing_agency_name: str = Field(max_length=300)
    issue_date: date = Field(index=True)
    issue_place: str = Field(default="", max_length=100)
    subject: str = Field(sa_type=sa.Text)
    signer_name: str = Field(max_length=120)
    signer_position: str = Field(max_length=200)
    recipients: str = Field(default="[]", sa_type=sa.Text)  # JSON list
    urgency: str = Field(max_length=20)
    classification: int = Field(index=True)
    direction: str = Field(max_length=10)
    language: str = Field(default='["01"]', sa_type=sa.Text)  # JSON list of language codes (01-11)
    page_count: int | None = None
    arrival_number: str | None = Field(default=None, max_length=30)
    arrival_date: date | None = None
    due_date: date | None = None
    is_public: bool = Field(default=False, index=True)
    retention_code: str | None = Field(default=None, max_length=40)
    # Circular 05/2025 document fields; codes from archive/domain/codelists
    type_name: str = Field(default="32", max_length=2)  # document type code; document_type is its text
    mode: str | None = Field(default=None, max_length=2)  # NULL: not stated (see validate_metadata)
    keyword: str = Field(default="", max_length=100)
    infor_sign: str = Field(default="", max_length=30)
    autograph: str = Field(default="", sa_type=sa.Text)
    physical_format: str | None = Field(default=None, max_length=2)
    process: bool = False
    description: str = Field(default="", sa_type=sa.Text)
    issued_amount: int | None = None
    confidence_level: str | None = Field(default=None, max_length=2)  # derived in set_pages
    # place in the archive: its fonds, and its dossier and ordinal there
    fonds_id: str = Field(max_length=36, foreign_key="fonds.id", index=True)
    dossier_id: str | None = Field(default=None, max_length=36, foreign_key="dossiers.id", index=True)
    doc_ordinal: int | None = None
    # stored file
    storage_key: str = Field(max_length=200, unique=True)
    sha256: str = Field(max_length=64, index=True)
    size: int = Field(sa_type=sa.BigInteger)
    media_type: str = Field(max_length=100)
    original_filename: str = Field(max_length=500)
    version_id: str | None = Field(default=None, max_length=200)
    # bookkeeping
    text_status: str = Field(max_length=20)
    created_at: datetime = Field(sa_type=_TZ)
    updated_at: datetime = Field(sa_type=_TZ)
    row_version: int = 1
    metadata_version: int = 1  # the current version of the metadata (record_metadata_versions)


class PageRow(SQLModel, table=True):
    """The text of one page of one file of a record."""

    __tablename__ = "pages"

    record_id: str = Field(primary_key=True, max_length=36, foreign_key="records.id", ondelete="CASCADE")
    # The record file (record_files.id); the main file's id is the record's (0024).
    file_id: str = Field(primary_key=True, max_length=36)
    number: int = Field(primary_key=True)
    text: str = Field(sa_type=sa.Text)
    source: str = Field(max_length=20)
    confidence: float | None = None


class RecordFileRow(SQLModel, table=True):
    """One version of one file of a record (archive.domain.files): written once, never
    updated. The records row mirrors its main file's current version (storage_key,
    sha256...), which duplicates and retention still key on."""

    __tablename__ = "record_files"

    id: str = Field(primary_key=True, max_length=36)  # the file; the main file's id is the record's
    version: int = Field(primary_key=True)  # 1-based
    record_id: str = Field(max_length=36, foreign_key="records.id", ondelete="CASCADE", index=True)
    role: str = Field(max_length=20)  # archive.domain.files.FileRole
    ordinal: int = 0  # the main file is 0
    storage_key: str = Field(max_length=200, unique=True)
    version_id: str | None = Field(default=None, max_length=200)
    sha256: str = Field(max_length=64, index=True)
    size: int = Field(sa_type=sa.BigInteger)
    media_type: str = Field(max_length=100)
    original_filename: str = Field(max_length=500)
    created_at: datetime = Field(sa_type=_TZ)
    created_by: str = Field(default="", max_length=300)
    reason: str = Field(default="", sa_type=sa.Text)


class GrantRow(SQLModel, table=True):
    """An explicit read grant on a record, to ``user:<subject>`` or ``agency:<code>``."""

    __tablename__ = "grants"

    record_id: str = Field(primary_key=True, max_length=36, foreign_key="records.id", ondelete="CASCADE")
    grantee: str = Field(primary_key=True, max_length=200, index=True)


class JobRow(SQLModel, table=True):
    """The outbox: work the worker owes a record, written in the deposit's transaction."""

    __tablename__ = "jobs"
    __table_args__ = (sa.Index("ix_jobs_claim", "status", "run_after"),)

    id: int | None = Field(default=None, primary_key=True)
    record_id: str = Field(max_length=36, index=True)
    kind: str = Field(max_length=30)  # PROCESS_KIND or INDEX_KIND (archive.domain.jobs)
    status: str = Field(max_length=20)  # pending, running, done, failed
    attempts: int = 0
    max_attempts: int = 5
    run_after: datetime = Field(sa_type=_TZ)
    lease_until: datetime | None = Field(default=None, sa_type=_TZ)
    leased_by: str | None = Field(default=None, max_length=100)
    steps_done: str = Field(default="[]", sa_type=sa.Text)  # JSON list of step names
    last_error: str | None = Field(default=None, sa_type=sa.Text)
    created_at: datetime = Field(sa_type=_TZ)
    updated_at: datetime = Field(sa_type=_TZ)
