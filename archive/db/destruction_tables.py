"""SQL tables of destruction under Circular 06/2025: a batch's appraisal council and the
papers it keeps as records (the batch and its items are in ``retention_tables``)."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from archive.db.tables import _TZ  # one timestamp type for every table


class CouncilSeatRow(SQLModel, table=True):
    """A member of a batch's appraisal council, and the vote it cast."""

    __tablename__ = "disposition_council"

    batch_id: str = Field(primary_key=True, max_length=36, foreign_key="disposition_batches.id")
    subject: str = Field(primary_key=True, max_length=200)
    name: str = Field(max_length=200)
    role: str = Field(max_length=200)
    seated_by: str = Field(max_length=200)
    seated_at: datetime = Field(sa_type=_TZ)
    vote: str | None = Field(default=None, max_length=10)
    note: str = Field(default="", sa_type=sa.Text)
    voted_at: datetime | None = Field(default=None, sa_type=_TZ)


class BatchPaperRow(SQLModel, table=True):
    """A paper of a batch (council minutes, decision, destruction minutes), kept as a
    record of its agency. No foreign key to ``records``: the paper is a record like any
    other, and the link must not stop its own lifecycle."""

    __tablename__ = "disposition_papers"

    batch_id: str = Field(primary_key=True, max_length=36, foreign_key="disposition_batches.id")
    kind: str = Field(primary_key=True, max_length=30)
    record_id: str = Field(max_length=36, index=True)
    agency_code: str = Field(max_length=40)
    classification: int
    issued_on: date
    attached_by: str = Field(max_length=200)
    attached_at: datetime = Field(sa_type=_TZ)
