"""SQL table for worker heartbeats (revision 0007)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

import archive.db.tables  # noqa: F401 - the metadata's naming convention

_TZ = sa.DateTime(timezone=True)


class WorkerHeartbeatRow(SQLModel, table=True):
    """One row per worker process (or embedded worker), rewritten at every beat."""

    __tablename__ = "worker_heartbeats"

    id: str = Field(primary_key=True, max_length=100)  # host:pid
    host: str = Field(max_length=100)
    pid: int
    kind: str = Field(max_length=20)  # worker, embedded
    beat_at: datetime = Field(sa_type=_TZ, index=True)
