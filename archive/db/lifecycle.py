"""``LifecycleStore`` on SQL: metadata versions and relations, through sqlmodel."""

from __future__ import annotations

import dataclasses
import enum
import json
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from archive.db.jobs import new_index_job_row
from archive.db.lifecycle_tables import MetadataVersionRow, RelationRow
from archive.db.repository import hydrate, metadata_columns
from archive.db.tables import RecordRow
from archive.db.timestamps import as_utc
from archive.domain.errors import MetadataInvalid, VersionConflict
from archive.domain.records import Classification, Direction, Record, RecordMetadata, Urgency
from archive.domain.relations import ExternalReference, Relation, RelationKind
from archive.domain.text import normalize_document_number
from archive.domain.versions import DEPOSIT_REASON, MetadataVersion

_DATES = frozenset({"issue_date", "arrival_date", "due_date"})
_ENUMS: dict[str, type[enum.Enum]] = {
    "urgency": Urgency,
    "classification": Classification,
    "direction": Direction,
}
_TUPLES = frozenset({"recipients", "languages"})


class SqlLifecycleStore:
    """Versions and relations in the metadata database, beside the records they describe."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def correct(
        self,
        record_id: str,
        metadata: RecordMetadata,
        *,
        actor: str,
        at: datetime,
        reason: str,
        expected_version: int | None = None,
    ) -> Record | None:
        with Session(self._engine) as session:
            row = session.get(RecordRow, record_id, with_for_update=True)
            if row is None:
                return None
            if expected_version is not None and expected_version != row.metadata_version:
                raise VersionConflict(
                    f"the record is at metadata version {row.metadata_version}, not {expected_version}"
                )
            [current] = hydrate(session, [row]).values()
            if row.metadata_version == 1 and session.get(MetadataVersionRow, (record_id, 1)) is None:
                session.add(_version_row(current, 1, current.created_at, None, DEPOSIT_REASON))
            for name, value in metadata_columns(dataclasses.replace(current, metadata=metadata)).items():
                setattr(row, name, value)
            row.metadata_version += 1
            row.row_version += 1
            row.updated_at = at
            session.add(_version_row(current, row.metadata_version, at, actor, reason, metadata))
            session.add(row)
            session.add(new_index_job_row(record_id, at))
            try:
                session.commit()
            except sa.exc.IntegrityError as exc:
                # Only the (agency, SHA-256, classification) constraint can fail here: the
                # agency already keeps these bytes at the new classification. That copy is
                # the corrector's own agency's, within its clearance (can_correct), so
                # saying so reveals nothing it may not read.
                session.rollback()
                raise MetadataInvalid(
                    "classification", "the agency already keeps the same file at this classification"
                ) from exc
            session.refresh(row)
            return hydrate(session, [row])[row.id]

    def versions(self, record_id: str) -> list[MetadataVersion]:
        with Session(self._engine) as session:
            rows = session.exec(
                select(MetadataVersionRow)
                .where(MetadataVersionRow.record_id == record_id)
                .order_by(col(MetadataVersionRow.version))
            ).all()
            if rows:
                return [_to_version(r) for r in rows]
            record = session.get(RecordRow, record_id)
            if record is None:
                return []
            [current] = hydrate(session, [record]).values()
            return [MetadataVersion(record_id, 1, current.metadata, current.created_at, None, DEPOSIT_REASON)]

    def add_relation(self, relation: Relation) -> None:
        with Session(self._engine) as session:
            session.add(_relation_row(relation))
            session.flush()
            _reindex(session, relation.changed_record(), relation.created_at)
            session.commit()

    def relations_of(self, record_ids: Sequence[str]) -> dict[str, list[Relation]]:
        found: dict[str, list[Relation]] = {i: [] for i in record_ids}
        if not record_ids:
            return found
        ids = list(record_ids)
        with Session(self._engine) as session:
            rows = session.exec(
                select(RelationRow)
                .where(sa.or_(col(RelationRow.record_id).in_(ids), col(RelationRow.target_id).in_(ids)))
                .order_by(col(RelationRow.created_at), col(RelationRow.id))
            ).all()
        for row in rows:
            relation = _to_relation(row)
            for named in {row.record_id, row.target_id} & set(ids):
                found[str(named)].append(relation)
        return found

    def find_by_reference(self, reference: ExternalReference) -> list[tuple[str, str]]:
        query = select(RecordRow.id, RecordRow.agency_code).where(
            RecordRow.issuing_agency_code == reference.issuer_code,
            RecordRow.document_number_key == reference.number_key,
        )
        if reference.issue_date is not None:
            query = query.where(RecordRow.issue_date == reference.issue_date)
        with Session(self._engine) as session:
            rows = session.exec(query.order_by(col(RecordRow.created_at), col(RecordRow.id))).all()
        return [(i, a) for i, a in rows]

    def pending_naming(self, record: Record) -> list[Relation]:
        m = record.metadata
        with Session(self._engine) as session:
            rows = session.exec(
                select(RelationRow)
                .where(
                    col(RelationRow.target_id).is_(None),
                    RelationRow.ref_issuer == m.issuing_agency_code,
                    RelationRow.ref_number_key == normalize_document_number(m.document_number),
                )
                .order_by(col(RelationRow.created_at), col(RelationRow.id))
            ).all()
        relations = [_to_relation(r) for r in rows]
        return [r for r in relations if r.reference is not None and r.reference.matches(record)]

    def link(self, relation_id: str, target_id: str, *, at: datetime) -> Relation | None:
        with Session(self._engine) as session:
            row = session.get(RelationRow, relation_id, with_for_update=True)
            if row is None or row.target_id is not None:
                return None
            row.target_id = target_id
            session.add(row)
            session.flush()
            relation = _to_relation(row)
            _reindex(session, relation.changed_record(), at)
            session.commit()
            return relation


def _reindex(session: Session, record_id: str | None, at: datetime) -> None:
    """Bump the record's row version and enqueue its re-index: its status changed."""
    if record_id is None:
        return
    row = session.get(RecordRow, record_id, with_for_update=True)
    if row is None:
        return
    row.row_version += 1
    row.updated_at = max(as_utc(row.updated_at), at)
    session.add(row)
    session.add(new_index_job_row(record_id, at))


def _version_row(
    record: Record,
    version: int,
    at: datetime,
    actor: str | None,
    reason: str,
    metadata: RecordMetadata | None = None,
) -> MetadataVersionRow:
    return MetadataVersionRow(
        record_id=record.id,
        version=version,
        metadata_json=encode_metadata(metadata or record.metadata),
        at=at,
        actor=actor,
        reason=reason,
    )


def _to_version(row: MetadataVersionRow) -> MetadataVersion:
    return MetadataVersion(
        record_id=row.record_id,
        version=row.version,
        metadata=decode_metadata(row.metadata_json),
        at=as_utc(row.at),
        actor=row.actor,
        reason=row.reason,
    )


def encode_metadata(metadata: RecordMetadata) -> str:
    """Metadata as JSON: enums by name, dates ISO, tuples as lists."""
    out: dict[str, Any] = {}
    for f in dataclasses.fields(metadata):
        value = getattr(metadata, f.name)
        if isinstance(value, enum.Enum):
            value = value.name
        elif isinstance(value, date):
            value = value.isoformat()
        elif isinstance(value, tuple):
            value = list(value)
        out[f.name] = value
    return json.dumps(out, ensure_ascii=False, sort_keys=True)


def decode_metadata(text: str) -> RecordMetadata:
    """``encode_metadata`` reversed; fields a later release added take their defaults."""
    raw: dict[str, Any] = json.loads(text)
    known = {f.name for f in dataclasses.fields(RecordMetadata)}
    values: dict[str, Any] = {}
    for name, value in raw.items():
        if name not in known:
            continue
        if value is not None and name in _DATES:
            value = date.fromisoformat(value)
        elif name in _ENUMS:
            value = _ENUMS[name][value]
        elif name in _TUPLES:
            value = tuple(value)
        values[name] = value
    return RecordMetadata(**values)


def _relation_row(relation: Relation) -> RelationRow:
    ref = relation.reference
    return RelationRow(
        id=relation.id,
        record_id=relation.record_id,
        kind=relation.kind.value,
        target_id=relation.target_id,
        ref_issuer=None if ref is None else ref.issuer_code,
        ref_number=None if ref is None else ref.document_number,
        ref_number_key=None if ref is None else ref.number_key,
        ref_issue_date=None if ref is None else ref.issue_date,
        created_at=relation.created_at,
        created_by=relation.created_by,
        note=relation.note,
    )


def _to_relation(row: RelationRow) -> Relation:
    reference = None
    if row.ref_issuer is not None and row.ref_number is not None:
        reference = ExternalReference(row.ref_issuer, row.ref_number, row.ref_issue_date)
    return Relation(
        id=row.id,
        record_id=row.record_id,
        kind=RelationKind(row.kind),
        target_id=row.target_id,
        reference=reference,
        created_at=as_utc(row.created_at),
        created_by=row.created_by,
        note=row.note,
    )
