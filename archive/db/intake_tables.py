"""SQL table for the edXML intakes (revision 0026)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

import archive.db.tables  # noqa: F401 - the records table, and the metadata's naming convention

_TZ = sa.DateTime(timezone=True)


class IntakeRow(SQLModel, table=True):
    """One edXML document taken in; (sender, document id, business type) is unique."""

    __tablename__ = "edxml_intakes"
    __table_args__ = (sa.UniqueConstraint("sender_organ_id", "document_id", "business_type"),)

    id: str = Field(primary_key=True, max_length=36)
    sender_organ_id: str = Field(max_length=100, index=True)
    document_id: str = Field(max_length=300)
    business_type: int
    agency_code: str = Field(max_length=40)
    status: str = Field(max_length=20, index=True)
    record_id: str = Field(max_length=36, foreign_key="records.id", ondelete="CASCADE", index=True)
    target_document_id: str = Field(default="", max_length=300)
    received_at: datetime = Field(sa_type=_TZ)
    received_by: str = Field(max_length=300)
    package_sha256: str = Field(max_length=64)
    signature: str = Field(max_length=20)
    trace: str = Field(default="[]", sa_type=sa.Text)  # JSON: [[organ id, ISO timestamp or null]]
    reason: str = Field(default="", sa_type=sa.Text)
