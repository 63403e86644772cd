"""The audit chain on SQL: appends one at a time, reads in ``seq`` order, lists per caller.

Appends are serialised on the one ``audit_head`` row, and appends that queue up
behind it in one process are written together (group commit: one transaction and
one extension of the chain for the whole queue; each caller returns once its
entry is committed). PostgreSQL locks it with
``SELECT ... FOR UPDATE``. SQLite has no row locks, so the append starts with a
write to the head row: that takes the database's write lock at once, before the
head is read (a read first could see a head another writer is about to move).

Each append also writes the records its entry is about (``audit_records``) and
seals the new head with a MAC when the log holds a key. ``find`` compiles an
``AuditScope`` into its WHERE clause, so a page holds only entries the caller may
see and paging never depends on the others.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import cast

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, select

from archive.db.access_tables import AuditHeadRow, AuditRow, AuditSubjectRow
from archive.db.group_commit import GroupCommit
from archive.db.retention_tables import TombstoneRow
from archive.db.scope import scope_clause
from archive.db.tables import RecordRow
from archive.domain.access import AuditScope
from archive.domain.audit import (
    AuditEntry,
    ChainHead,
    DetailValue,
    Outcome,
    chain_append,
    head_is_sealed,
    head_mac,
    record_subjects,
)
from archive.domain.errors import IntegrityError
from archive.domain.ports.audit import AuditFilter

_HEAD_ID = 1
BROKEN_MAC = "broken"  # carried on from a head whose MAC did not match (never a valid MAC)


@dataclass(frozen=True, slots=True)
class _Append:
    """One append waiting for its batch."""

    at: datetime
    actor: str
    action: str
    target: str
    outcome: Outcome
    client: str
    details: Mapping[str, DetailValue] | None
    records: tuple[str, ...]

    def entry_after(self, prev: AuditEntry | None) -> AuditEntry:
        return chain_append(
            prev,
            at=self.at,
            actor=self.actor,
            action=self.action,
            target=self.target,
            outcome=self.outcome,
            client=self.client,
            details=self.details,
        )


class SqlAuditLog:
    """The append-only audit log in the metadata database."""

    def __init__(self, engine: Engine, *, key: bytes | None = None) -> None:
        self._engine = engine
        self._key = key
        self._group: GroupCommit[_Append, AuditEntry] = GroupCommit(self._write_batch)

    @property
    def group_commit(self) -> GroupCommit[_Append, AuditEntry]:
        """The batching of appends (its counters say how many entries each commit carried)."""
        return self._group

    @property
    def keyed(self) -> bool:
        """Whether appends seal the head with a MAC."""
        return self._key is not None

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
        records: Iterable[str] = (),
    ) -> AuditEntry:
        """Seal and store the next entry of the chain; returns once it is committed.

        Appends that arrive while another is being written are written with the next
        batch, in one transaction (``GroupCommit``). ``records`` names records the
        entry is about beyond those ``record_subjects`` finds in its action, target
        and ``ids`` detail.
        """
        request = _Append(at, actor, action, target, outcome, client, details, tuple(records))
        return self._group.submit(request)

    def _write_batch(self, requests: Sequence[_Append]) -> list[AuditEntry | Exception]:
        """Extend the chain by every request in order, under one head lock and one commit.

        A request the chain refuses (a naive timestamp, a detail of the wrong type) is
        answered with its error and leaves the chain as it was; the others go on.
        """
        written: list[AuditEntry | Exception] = []
        with Session(self._engine) as session:
            head = self._lock_head(session)
            prev = None if head.seq == 0 else _head_entry(head)
            for request in requests:
                try:
                    entry = request.entry_after(prev)
                except (ValueError, TypeError) as refused:
                    written.append(refused)
                    continue
                session.add(audit_row(entry))
                head.mac = self._next_mac(head, entry)
                head.seq, head.hash = entry.seq, entry.hash
                written.append(entry)
                prev = entry
            session.flush()  # the entries' rows first: their subjects refer to them
            session.add_all(
                row
                for request, entry in zip(requests, written, strict=True)
                if isinstance(entry, AuditEntry)
                for row in subject_rows(entry, request.records)
            )
            session.add(head)
            session.commit()
        return written

    def _next_mac(self, head: AuditHeadRow, entry: AuditEntry) -> str | None:
        """The MAC of the head after ``entry``: only a head that was sealed (or the genesis)
        passes its seal on. A head whose MAC does not match was changed without the key;
        sealing the next one would launder the change, so the mismatch is carried on
        (``BROKEN_MAC``) for ``archive audit verify`` to report. An unsealed head (an
        upgraded, never-sealed chain, or a stripped MAC) stays unsealed until an admin
        runs ``archive audit seal``."""
        if self._key is None:
            return None
        previous = ChainHead(seq=head.seq, hash=head.hash, mac=head.mac)
        if head.seq == 0 or head_is_sealed(previous, self._key):
            return head_mac(self._key, entry.seq, entry.hash)
        return None if head.mac is None else BROKEN_MAC

    def seal_head(self) -> ChainHead:
        """Seal the current head with the key, whatever it carried: the explicit act of
        ``archive audit seal``, after the chain was verified. Returns the sealed head."""
        if self._key is None:
            raise IntegrityError("no audit key: the head cannot be sealed")
        with Session(self._engine) as session:
            head = self._lock_head(session)
            head.mac = head_mac(self._key, head.seq, head.hash)
            sealed = ChainHead(seq=head.seq, hash=head.hash, mac=head.mac)
            session.add(head)
            session.commit()
        return sealed

    def stored_head(self) -> ChainHead:
        """The stored head as appends left it (seq, hash, MAC), unchecked: what
        ``verify_with_head`` compares the chain with. ``head`` checks it."""
        with Session(self._engine) as session:
            row = session.exec(select(AuditHeadRow).where(AuditHeadRow.id == _HEAD_ID)).one()
            return ChainHead(seq=row.seq, hash=row.hash, mac=row.mac)

    def entry(self, seq: int) -> AuditEntry | None:
        """One entry by its seq."""
        with Session(self._engine) as session:
            row = session.get(AuditRow, seq)
            return None if row is None else _to_entry(row)

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

    def find(
        self,
        filter: AuditFilter,
        *,
        first: int,
        after_seq: int | None = None,
        scope: AuditScope | None = None,
    ) -> list[AuditEntry]:
        """Up to ``first`` entries matching ``filter``, newest first, older than ``after_seq``.

        With a ``scope``, only entries the scope allows (none about a record it may not
        read); without one, every entry (for the services' own bookkeeping).
        """
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
        if scope is not None:
            query = query.where(_entry_clause(scope))
        with Session(self._engine) as session:
            rows = session.exec(query.order_by(col(AuditRow.seq).desc()).limit(first)).all()
        return [_to_entry(r) for r in rows]

    def after(self, seq: int, *, actions: Collection[str], limit: int) -> list[AuditEntry]:
        """Up to ``limit`` entries after ``seq`` with one of ``actions``, oldest first."""
        query = (
            select(AuditRow)
            .where(col(AuditRow.seq) > seq, col(AuditRow.action).in_(sorted(actions)))
            .order_by(col(AuditRow.seq))
            .limit(limit)
        )
        with Session(self._engine) as session:
            return [_to_entry(r) for r in session.exec(query)]

    def hidden_subjects(self, seqs: Sequence[int], scope: AuditScope) -> dict[int, frozenset[str]]:
        """For each of ``seqs``, the records it is about that ``scope`` does not allow."""
        if not seqs or scope.everything:
            return {}
        query = select(AuditSubjectRow).where(
            col(AuditSubjectRow.seq).in_(list(seqs)), sa.not_(_subject_clause(scope))
        )
        hidden: dict[int, set[str]] = {}
        with Session(self._engine) as session:
            for row in session.exec(query):
                hidden.setdefault(row.seq, set()).add(row.record_id)
        return {seq: frozenset(ids) for seq, ids in hidden.items()}


# -- AuditScope compiled to SQL ------------------------------------------------------------


def _entry_clause(scope: AuditScope) -> ColumnElement[bool]:
    """An entry about no record, or about at least one record the scope allows.

    Both EXISTS carry ``OFFSET 0`` so each is probed per entry through the
    ``audit_records`` primary key (seq, record_id) while ``find`` walks ``audit_log``
    backwards by seq and stops after a page. Without it PostgreSQL turns each
    correlated EXISTS into a hashed subplan over the whole of ``audit_records``,
    built for every page: a restricted page then costs time in proportion to the
    log (``python -m bench.audit_scope``: 7.5 ms a page at 20,000 entries, 27 ms at
    80,000, against 2.3 ms at both with the probe). An OFFSET keeps PostgreSQL from
    rewriting the EXISTS (into a hash or a join) whatever its statistics say; SQLite
    already probes per row and plans it as before.
    """
    if scope.nothing:
        return sa.false()
    if scope.everything:
        return sa.true()
    about = select(AuditSubjectRow.seq).where(AuditSubjectRow.seq == AuditRow.seq)
    return sa.or_(~about.offset(0).exists(), about.where(_subject_clause(scope)).offset(0).exists())


def _subject_clause(scope: AuditScope) -> ColumnElement[bool]:
    """The twin of ``AuditScope.allows`` for one ``audit_records`` row."""
    if scope.nothing:
        return sa.false()
    if scope.everything:
        return sa.true()
    readable = (
        select(RecordRow.id)
        .where(RecordRow.id == AuditSubjectRow.record_id, scope_clause(scope.records))
        .exists()
    )
    tombstone = (
        select(TombstoneRow.record_id)
        .where(TombstoneRow.record_id == AuditSubjectRow.record_id, _tombstone_clause(scope))
        .exists()
    )
    return sa.or_(readable, tombstone)


def _tombstone_clause(scope: AuditScope) -> ColumnElement[bool]:
    """``AuditScope.allows_tombstone`` over ``tombstones``."""
    level = col(TombstoneRow.classification)
    reach: list[ColumnElement[bool]] = []
    manage = scope.tombstones
    if not manage.nothing:
        cleared = level <= int(manage.max_classification)
        if manage.all_agencies:
            reach.append(cleared)
        elif manage.agencies:
            reach.append(sa.and_(cleared, col(TombstoneRow.agency_code).in_(sorted(manage.agencies))))
    if scope.archivist_clearance is not None:
        reach.append(level <= int(scope.archivist_clearance))
    return sa.or_(*reach) if reach else sa.false()


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


def audit_row(entry: AuditEntry) -> AuditRow:
    """The ``audit_log`` row of ``entry`` (appends, and the benchmark's bulk fill)."""
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


def subject_rows(entry: AuditEntry, extra: Iterable[str] = ()) -> list[AuditSubjectRow]:
    """The ``audit_records`` rows of ``entry``: one per record it is about."""
    found = record_subjects(entry.action, entry.target, entry.details, extra)
    return [AuditSubjectRow(seq=entry.seq, record_id=record_id) for record_id in found]


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
