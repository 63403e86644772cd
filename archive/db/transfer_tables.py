"""SQL tables of the handover to the historical archive: batches, their dossiers, and the
records each accepted batch took."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from archive.db.tables import _TZ  # one timestamp type for every table


class TransferBatchRow(SQLModel, table=True):
    """A đợt nộp lưu and where it stands."""

    __tablename__ = "transfer_batches"

    id: str = Field(primary_key=True, max_length=36)
    status: str = Field(max_length=20, index=True)
    archive_name: str = Field(max_length=300)
    prepared_by: str = Field(max_length=300)
    prepared_at: datetime = Field(sa_type=_TZ)
    sent_by: str | None = Field(default=None, max_length=300)
    sent_at: datetime | None = Field(default=None, sa_type=_TZ)
    reference: str = Field(default="", max_length=200)
    decided_by: str | None = Field(default=None, max_length=300)
    decided_at: datetime | None = Field(default=None, sa_type=_TZ)
    receipt_ref: str = Field(default="", max_length=200)
    receipt_sha256: str = Field(default="", max_length=64)
    receipt_key: str = Field(default="", max_length=200)
    refusal_reason: str = Field(default="", sa_type=sa.Text)


class TransferItemRow(SQLModel, table=True):
    """One dossier of a batch, with its figures and package at preparation. No foreign key
    to ``dossiers``: the item is the batch's own record of what went."""

    __tablename__ = "transfer_items"

    batch_id: str = Field(primary_key=True, max_length=36, foreign_key="transfer_batches.id")
    dossier_id: str = Field(primary_key=True, max_length=36, index=True)
    position: int
    file_code: str = Field(max_length=100)
    title: str = Field(sa_type=sa.Text)
    agency_code: str = Field(max_length=40)
    classification: int
    documents: int
    pages: int
    bytes: int = Field(sa_type=sa.BigInteger)
    package_name: str = Field(max_length=200)
    package_size: int = Field(sa_type=sa.BigInteger)
    package_sha256: str = Field(max_length=64)


class TransferRecordRow(SQLModel, table=True):
    """A record an accepted batch took to the historical archive: the basis on which its
    local copy may be destroyed."""

    __tablename__ = "transfer_records"

    record_id: str = Field(primary_key=True, max_length=36)
    batch_id: str = Field(max_length=36, foreign_key="transfer_batches.id", index=True)
    position: int
    transferred_at: datetime = Field(sa_type=_TZ)
