"""The table of readers' requests for copies (DIP, Circular 05/2025 Appendix V)."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

import archive.db.tables  # noqa: F401 - one naming convention for every table

_TZ = sa.DateTime(timezone=True)


class AccessRequestRow(SQLModel, table=True):
    """One request, its form and (once made) the decision on it."""

    __tablename__ = "access_requests"

    id: str = Field(primary_key=True, max_length=36)
    code: str = Field(max_length=60)
    requested_on: date
    purpose: str = Field(max_length=8)
    topic: str = Field(sa_type=sa.Text)
    reader_name: str = Field(max_length=200)
    record_ids: str = Field(sa_type=sa.Text)  # JSON list, in the order the reader gave
    reader: str = Field(max_length=300, index=True)
    created_at: datetime = Field(sa_type=_TZ, index=True)
    status: str = Field(max_length=16)
    decided_by: str | None = Field(default=None, max_length=300)
    decided_at: datetime | None = Field(default=None, sa_type=_TZ)
    note: str = Field(default="", sa_type=sa.Text)
