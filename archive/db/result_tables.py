"""SQL tables for what the worker learns about a record (revision 0002)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

import archive.db.tables  # noqa: F401 - the records table, and the metadata's naming convention

_TZ = sa.DateTime(timezone=True)


class SignatureRow(SQLModel, table=True):
    """One signature of a record's PDF, as verified at the deposit time."""

    __tablename__ = "signatures"

    record_id: str = Field(primary_key=True, max_length=36, foreign_key="records.id", ondelete="CASCADE")
    position: int = Field(primary_key=True)  # signing order, from 0
    field_name: str = Field(max_length=200)
    signer_subject: str | None = Field(default=None, sa_type=sa.Text)
    signer_common_name: str | None = Field(default=None, max_length=300)
    issuer: str | None = Field(default=None, sa_type=sa.Text)
    serial: str | None = Field(default=None, max_length=100)
    signing_time: datetime | None = Field(default=None, sa_type=_TZ)
    timestamp_time: datetime | None = Field(default=None, sa_type=_TZ)
    intact: bool
    valid: bool
    trusted: bool
    coverage: str = Field(max_length=20)
    modification_level: str = Field(max_length=20)
    verdict: str = Field(max_length=20)
    summary: str = Field(sa_type=sa.Text)
    # Revision 0026; null for signatures verified before it.
    signed_revision: int | None = None
    revision_count: int | None = None
    permission: str | None = Field(default=None, max_length=20)
    later_revisions: str | None = Field(default=None, sa_type=sa.Text)  # JSON: [[revision, level, permitted]]


class ThumbnailRow(SQLModel, table=True):
    """A PNG preview of one page of a record."""

    __tablename__ = "thumbnails"

    record_id: str = Field(primary_key=True, max_length=36, foreign_key="records.id", ondelete="CASCADE")
    page: int = Field(primary_key=True)
    png: bytes = Field(sa_type=sa.LargeBinary)


class ProcessingOutcomeRow(SQLModel, table=True):
    """Where the VERIFY and EXTRACT steps ended for a record."""

    __tablename__ = "processing_outcomes"

    record_id: str = Field(primary_key=True, max_length=36, foreign_key="records.id", ondelete="CASCADE")
    verified_at: datetime | None = Field(default=None, sa_type=_TZ)
    extraction_status: str | None = Field(default=None, max_length=20)
    limit_hit: str | None = Field(default=None, max_length=20)
    extraction_error: str | None = Field(default=None, sa_type=sa.Text)
    page_count: int | None = None
    pages_read: int = 0
    extracted_at: datetime | None = Field(default=None, sa_type=_TZ)
