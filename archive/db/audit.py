"""The audit hash chain on SQL: append-only, one head at a time.

Two appends racing for the same ``seq`` collide on the primary key; the loser
re-reads the head and tries again, so the chain never forks.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from archive.db.retention_tables import AuditRow
from archive.domain.audit import AuditEntry, DetailValue, Outcome, chain_append

_RETRIES = 20


class SqlAuditLog:
    """Appends to and reads the chain."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def append(
        self,
        *,
        at: datetime,
        actor: str,
        action: str,
        target: str,
        outcome: Outcome = Outcome.OK,
        client: str = "",
        details: Mapping[str, DetailValue] | None = None,
    ) -> AuditEntry:
        """Seal and store the entry after the current head."""
        for _ in range(_RETRIES):
            with Session(self._engine) as session:
                head = session.exec(select(AuditRow).order_by(col(AuditRow.seq).desc()).limit(1)).first()
                entry = chain_append(
                    None if head is None else _to_entry(head),
                    at=at,
                    actor=actor,
                    action=action,
                    target=target,
                    outcome=outcome,
                    client=client,
                    details=details,
                )
                session.add(_to_row(entry))
                try:
                    session.commit()
                except sa.exc.IntegrityError:
                    session.rollback()  # another append took this seq; go again
                    continue
                return entry
        raise RuntimeError("could not append to the audit chain: too much contention")

    def find(self, *, action: str, target: str) -> AuditEntry | None:
        """The first entry of ``action`` on ``target``, if any."""
        with Session(self._engine) as session:
            row = session.exec(
                select(AuditRow)
                .where(AuditRow.action == action, AuditRow.target == target)
                .order_by(col(AuditRow.seq))
                .limit(1)
            ).first()
            return None if row is None else _to_entry(row)

    def entries(self, *, batch_size: int = 1000) -> Iterator[AuditEntry]:
        """The whole chain in ``seq`` order, streamed."""
        last = 0
        while True:
            with Session(self._engine) as session:
                rows = session.exec(
                    select(AuditRow).where(AuditRow.seq > last).order_by(col(AuditRow.seq)).limit(batch_size)
                ).all()
            if not rows:
                return
            yield from (_to_entry(r) for r in rows)
            last = rows[-1].seq


def _to_row(entry: AuditEntry) -> AuditRow:
    return AuditRow(
        seq=entry.seq,
        at=entry.at,
        actor=entry.actor,
        action=entry.action,
        target=entry.target,
        outcome=str(entry.outcome),
        client=entry.client,
        details=json.dumps(dict(entry.details), sort_keys=True, ensure_ascii=False),
        prev_hash=entry.prev_hash,
        hash=entry.hash,
    )


def _to_entry(row: AuditRow) -> AuditEntry:
    at = row.at if row.at.tzinfo is not None else row.at.replace(tzinfo=UTC)
    return AuditEntry(
        seq=row.seq,
        at=at,
        actor=row.actor,
        action=row.action,
        target=row.target,
        outcome=Outcome(row.outcome),
        client=row.client,
        details=json.loads(row.details),
        prev_hash=row.prev_hash,
        hash=row.hash,
    )
