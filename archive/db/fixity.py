"""Fixity runs on SQL: which record a run has reached, and what it found so far."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from archive.db.retention_tables import FixityRunRow
from archive.db.tables import RecordFileRow, RecordRow
from archive.domain.fixity import FixityRun, StoredObject


class SqlFixityStore:
    """Checkpoints of fixity runs."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def open_run(self, *, now: datetime, restart: bool) -> FixityRun:
        """The unfinished run to resume, or a new one (always new with ``restart``)."""
        with Session(self._engine) as session:
            row = None
            if not restart:
                row = session.exec(
                    select(FixityRunRow)
                    .where(col(FixityRunRow.finished_at).is_(None))
                    .order_by(col(FixityRunRow.id).desc())
                ).first()
            if row is None:
                row = FixityRunRow(started_at=now)
                session.add(row)
                session.commit()
                session.refresh(row)
            return _to_run(row)

    def objects(self, *, after: str, limit: int) -> list[StoredObject]:
        """Every stored object (each version of each file) of the next ``limit`` records."""
        ids = select(RecordRow.id).where(RecordRow.id > after).order_by(col(RecordRow.id)).limit(limit)
        query = (
            select(
                RecordFileRow.record_id,
                RecordFileRow.storage_key,
                RecordFileRow.version_id,
                RecordFileRow.sha256,
            )
            .where(col(RecordFileRow.record_id).in_(ids.scalar_subquery()))
            .order_by(col(RecordFileRow.record_id), col(RecordFileRow.ordinal), col(RecordFileRow.version))
        )
        with Session(self._engine) as session:
            return [StoredObject(*row) for row in session.exec(query).all()]

    def checkpoint(
        self, run_id: int, *, last: str, ok: int, changed: Sequence[str], missing: Sequence[str]
    ) -> FixityRun:
        """Add one batch's findings and move the checkpoint, in one transaction."""
        with Session(self._engine) as session:
            row = session.get(FixityRunRow, run_id, with_for_update=True)
            assert row is not None
            row.last_record_id = last
            row.ok += ok
            row.changed = json.dumps([*json.loads(row.changed), *changed])
            row.missing = json.dumps([*json.loads(row.missing), *missing])
            session.add(row)
            session.commit()
            session.refresh(row)
            return _to_run(row)

    def finish(self, run_id: int, *, now: datetime) -> None:
        with Session(self._engine) as session:
            row = session.get(FixityRunRow, run_id)
            assert row is not None
            row.finished_at = now
            session.add(row)
            session.commit()


def _to_run(row: FixityRunRow) -> FixityRun:
    assert row.id is not None
    return FixityRun(
        id=row.id,
        last_record_id=row.last_record_id,
        ok=row.ok,
        changed=tuple(json.loads(row.changed)),
        missing=tuple(json.loads(row.missing)),
        finished=row.finished_at is not None,
    )
