"""The audit chain on SQL: appends one at a time, reads in ``seq`` order.

Appends are serialised on the one ``audit_head`` row. PostgreSQL locks it with
``SELECT ... FOR UPDATE``. SQLite has no row locks, so the append starts with a
write to the head row: that takes the database's write lock at once, before the
head is read (a read first could see a head another writer is about to move).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import cast

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from archive.db.access_tables import AuditHeadRow, AuditRow
from archive.domain.audit import AuditEntry, DetailValue, Outcome, chain_append
from archive.domain.errors import IntegrityError
from archive.domain.ports.audit import AuditFilter

_HEAD_ID = 1


class SqlAuditLog:
    """The append-only audit log in the metadata database."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def append(
        self,
        *,
        at: datetime,
        actor: str,
        action: str,
        target: str,
        outcome: Outcome,
        client: str = "",
        details: Mapping[str, DetailValue] | None = None,
    ) -> AuditEntry:
        """Seal and store the next entry of the chain, in its own transaction."""
        with Session(self._engine) as session:
            head = self._lock_head(session)
            prev = None if head.seq == 0 else _head_entry(head)
            entry = chain_append(
                prev,
                at=at,
                actor=actor,
                action=action,
                target=target,
                outcome=outcome,
                client=client,
                details=details,
            )
            session.add(_to_row(entry))
            head.seq, head.hash = entry.seq, entry.hash
            session.add(head)
            session.commit()
            return entry

    def _lock_head(self, session: Session) -> AuditHeadRow:
        if self._engine.dialect.name == "sqlite":
            session.exec(
                sa.update(AuditHeadRow).where(col(AuditHeadRow.id) == _HEAD_ID).values(seq=AuditHeadRow.seq)
            )
        head = session.exec(select(AuditHeadRow).where(AuditHeadRow.id == _HEAD_ID).with_for_update()).one()
        return head

    def head(self) -> tuple[int, str]:
        """The chain's head (seq, hash), checked against the entry it names.

        Raises IntegrityError when the head names an entry that is missing or has
        another hash: appends would then extend a chain that no longer verifies.
        """
        with Session(self._engine) as session:
            head = session.exec(select(AuditHeadRow).where(AuditHeadRow.id == _HEAD_ID)).one()
            last = session.get(AuditRow, head.seq) if head.seq else None
        if head.seq and (last is None or last.hash != head.hash):
            raise IntegrityError(f"the audit head names entry {head.seq}, which does not match it")
        return head.seq, head.hash

    def entries(self, batch_size: int = 1000) -> Iterator[AuditEntry]:
        """Every entry in ``seq`` order, read in batches (for ``verify_chain``)."""
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

    def find(self, filter: AuditFilter, *, first: int, after_seq: int | None = None) -> list[AuditEntry]:
        """Up to ``first`` entries matching ``filter``, newest first, older than ``after_seq``."""
        query = select(AuditRow)
        for column, value in (
            (AuditRow.actor, filter.actor),
            (AuditRow.action, filter.action),
            (AuditRow.target, filter.target),
        ):
            if value is not None:
                query = query.where(col(column) == value)
        if filter.since is not None:
            query = query.where(col(AuditRow.at) >= filter.since)
        if filter.until is not None:
            query = query.where(col(AuditRow.at) <= filter.until)
        if after_seq is not None:
            query = query.where(col(AuditRow.seq) < after_seq)
        with Session(self._engine) as session:
            rows = session.exec(query.order_by(col(AuditRow.seq).desc()).limit(first)).all()
        return [_to_entry(r) for r in rows]


def _head_entry(head: AuditHeadRow) -> AuditEntry:
    """A stand-in for the last entry: ``chain_append`` needs only its seq and hash."""
    return AuditEntry(
        seq=head.seq,
        at=datetime.min,
        actor="",
        action="",
        target="",
        outcome=Outcome.OK,
        client="",
        hash=head.hash,
    )


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


def _outcome(text: str) -> Outcome:
    # An edited row may hold any text: keep it as it is, so its hash no longer
    # matches and verification names the row, instead of failing to read it.
    return Outcome(text) if text in Outcome._value2member_map_ else cast(Outcome, text)


def _details(text: str) -> dict[str, DetailValue]:
    try:
        value = json.loads(text)
    except ValueError:
        value = None
    return value if isinstance(value, dict) else {"unreadable": text}


def _to_entry(row: AuditRow) -> AuditEntry:
    return AuditEntry(
        seq=row.seq,
        at=row.at,
        actor=row.actor,
        action=row.action,
        target=row.target,
        outcome=_outcome(row.outcome),
        client=row.client,
        details=_details(row.details),
        prev_hash=row.prev_hash,
        hash=row.hash,
    )
