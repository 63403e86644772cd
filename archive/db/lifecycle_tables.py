"""SQL tables of a record's life after deposit: its metadata versions and its relations.
The current metadata and its version number stay on the ``records`` row itself."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from archive.db.tables import _TZ  # one timestamp type for every table


class MetadataVersionRow(SQLModel, table=True):
    """One version of a record's metadata (JSON), with who made it, when and why."""

    __tablename__ = "record_metadata_versions"

    record_id: str = Field(primary_key=True, max_length=36, foreign_key="records.id", ondelete="CASCADE")
    version: int = Field(primary_key=True)
    metadata_json: str = Field(sa_type=sa.Text)
    at: datetime = Field(sa_type=_TZ)
    actor: str | None = Field(default=None, max_length=300)
    reason: str = Field(default="", sa_type=sa.Text)


class RelationRow(SQLModel, table=True):
    """A relation declared by ``record_id``: to a record (``target_id``) and/or to an
    external reference (issuer, number key, date) that links when its record arrives."""

    __tablename__ = "record_relations"
    __table_args__ = (sa.Index("ix_record_relations_reference", "ref_issuer", "ref_number_key"),)

    id: str = Field(primary_key=True, max_length=36)
    record_id: str = Field(max_length=36, foreign_key="records.id", ondelete="CASCADE", index=True)
    kind: str = Field(max_length=20)
    target_id: str | None = Field(
        default=None, max_length=36, foreign_key="records.id", ondelete="CASCADE", index=True
    )
    ref_issuer: str | None = Field(default=None, max_length=40)
    ref_number: str | None = Field(default=None, max_length=100)
    ref_number_key: str | None = Field(default=None, max_length=100)
    ref_issue_date: date | None = None
    created_at: datetime = Field(sa_type=_TZ)
    created_by: str = Field(max_length=300)
    note: str = Field(default="", sa_type=sa.Text)
