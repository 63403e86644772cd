"""Tables for access control and its audit: API keys, the audit log and its chain head."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

import archive.db.tables  # noqa: F401 - one naming convention for every table

_TZ = sa.DateTime(timezone=True)


class ApiKeyRow(SQLModel, table=True):
    """A portal's API key. Only a keyed hash of the secret is stored, never the secret."""

    __tablename__ = "api_keys"

    id: str = Field(primary_key=True, max_length=16)
    name: str = Field(max_length=200)
    agencies: str = Field(default="[]", sa_type=sa.Text)  # JSON list of agency codes
    roles: str = Field(default="[]", sa_type=sa.Text)  # JSON list of role values
    clearance: int = 0
    hash: str = Field(max_length=100)
    created_at: datetime = Field(sa_type=_TZ)
    revoked_at: datetime | None = Field(default=None, sa_type=_TZ)


class AuditRow(SQLModel, table=True):
    """One link of the audit chain. Rows are only ever inserted."""

    __tablename__ = "audit_log"

    seq: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    at: datetime = Field(sa_type=_TZ, index=True)
    actor: str = Field(max_length=200, index=True)
    action: str = Field(max_length=60, index=True)
    target: str = Field(max_length=200, index=True)
    outcome: str = Field(max_length=10)
    client: str = Field(default="", sa_type=sa.Text)
    details: str = Field(default="{}", sa_type=sa.Text)  # canonical JSON object
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64, unique=True)


class AuditHeadRow(SQLModel, table=True):
    """The chain's head: one row, locked by every append so appends happen one at a time."""

    __tablename__ = "audit_head"

    id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    seq: int = 0
    hash: str = Field(max_length=64)
    # HMAC of seq and hash under the audit key (outside the database); None before keying.
    mac: str | None = Field(default=None, max_length=64)


class AuditSubjectRow(SQLModel, table=True):
    """A record an audit entry is about: what the audit log is filtered on, per caller,
    by the read rule. Written with the entry, in the same transaction."""

    __tablename__ = "audit_records"

    seq: int = Field(primary_key=True, foreign_key="audit_log.seq", sa_column_kwargs={"autoincrement": False})
    record_id: str = Field(primary_key=True, max_length=36, index=True)


class TrustedDocumentRow(SQLModel, table=True):
    """A GraphQL document on the trusted-document allowlist, keyed by its SHA-256."""

    __tablename__ = "trusted_documents"

    id: str = Field(primary_key=True, max_length=64)  # SHA-256 hex of the text
    text: str = Field(sa_type=sa.Text)
    name: str = Field(default="", max_length=200)
    added_at: datetime = Field(sa_type=_TZ)
    added_by: str = Field(max_length=300)
