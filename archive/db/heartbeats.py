"""Worker heartbeats on SQL: one row per worker, upserted at every beat."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from archive.db.heartbeat_tables import WorkerHeartbeatRow
from archive.db.timestamps import as_utc
from archive.domain.heartbeats import Heartbeat, WorkerKind


class SqlHeartbeats:
    """``HeartbeatStore`` in the metadata database."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def beat(self, beat: Heartbeat) -> None:
        # A read-then-write upsert: each row has one writer (its own worker), so
        # no two sessions race on the same id.
        with Session(self._engine) as session:
            row = session.get(WorkerHeartbeatRow, beat.worker_id)
            if row is None:
                row = WorkerHeartbeatRow(
                    id=beat.worker_id,
                    host=beat.host,
                    pid=beat.pid,
                    kind=beat.kind.value,
                    beat_at=beat.beat_at,
                )
            row.beat_at, row.kind = beat.beat_at, beat.kind.value
            session.add(row)
            session.commit()

    def latest(self, *, kind: WorkerKind, worker_id: str | None = None) -> Heartbeat | None:
        query = select(WorkerHeartbeatRow).where(WorkerHeartbeatRow.kind == kind.value)
        if worker_id is not None:
            query = query.where(WorkerHeartbeatRow.id == worker_id)
        with Session(self._engine) as session:
            row = session.exec(query.order_by(col(WorkerHeartbeatRow.beat_at).desc()).limit(1)).first()
            return None if row is None else _to_heartbeat(row)

    def forget(self, worker_id: str) -> None:
        with Session(self._engine) as session:
            session.execute(sa.delete(WorkerHeartbeatRow).where(col(WorkerHeartbeatRow.id) == worker_id))
            session.commit()


def _to_heartbeat(row: WorkerHeartbeatRow) -> Heartbeat:
    return Heartbeat(
        worker_id=row.id, host=row.host, pid=row.pid, kind=WorkerKind(row.kind), beat_at=as_utc(row.beat_at)
    )
