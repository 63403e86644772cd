"""Tables of the search wing: saved searches."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

_TZ = sa.DateTime(timezone=True)


class SavedSearchRow(SQLModel, table=True):
    """A principal's saved search; ``filter`` is the JSON of ``filter_to_json``."""

    __tablename__ = "saved_searches"

    id: str = Field(primary_key=True, max_length=36)
    owner: str = Field(max_length=200, index=True)
    name: str = Field(max_length=200)
    query: str | None = Field(default=None, sa_type=sa.Text)
    filter: str = Field(default="{}", sa_type=sa.Text)
    shared_with: str | None = Field(default=None, max_length=40, index=True)
    created_at: datetime = Field(sa_type=_TZ)


class ResultExportRow(SQLModel, table=True):
    """A result-set export job and, once done, its file."""

    __tablename__ = "result_exports"

    id: str = Field(primary_key=True, max_length=36)
    owner: str = Field(max_length=200, index=True)
    format: str = Field(max_length=10)
    query: str | None = Field(default=None, sa_type=sa.Text)
    filter: str = Field(default="{}", sa_type=sa.Text)
    order_tag: str = Field(max_length=40)
    status: str = Field(max_length=10)
    done: int = 0
    total: int | None = None
    truncated: bool = False
    error: str | None = Field(default=None, sa_type=sa.Text)
    filename: str | None = Field(default=None, max_length=300)
    content: bytes | None = Field(default=None, sa_type=sa.LargeBinary)
    created_at: datetime = Field(sa_type=_TZ)
    updated_at: datetime = Field(sa_type=_TZ)
