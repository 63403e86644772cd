"""``ReadScope`` and ``ManageScope`` compiled to SQL WHERE clauses over ``records`` (and ``dossiers``)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Mapped
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import col, select

from archive.db.archival_tables import DossierRow
from archive.db.tables import GrantRow, RecordRow
from archive.domain.access import ManageScope, ReadScope
from archive.domain.records import MODE_CONDITIONAL, Classification


@dataclass(frozen=True, slots=True)
class ReadColumns:
    """The columns of a table whose rows are read like records: ``records`` and ``dossiers``
    carry the same facts (``Readable``), so one clause serves both."""

    is_public: Mapped[bool]
    classification: Mapped[int]
    agency_code: Mapped[str]
    mode: Mapped[str] | Mapped[str | None]
    granted: Callable[[frozenset[str]], ColumnElement[bool]] | None = None  # None: no grants


def _record_granted(grantee_keys: frozenset[str]) -> ColumnElement[bool]:
    return (
        select(GrantRow.record_id)
        .where(GrantRow.record_id == RecordRow.id, col(GrantRow.grantee).in_(sorted(grantee_keys)))
        .exists()
    )


RECORD_COLUMNS = ReadColumns(
    is_public=col(RecordRow.is_public),
    classification=col(RecordRow.classification),
    agency_code=col(RecordRow.agency_code),
    mode=col(RecordRow.mode),
    granted=_record_granted,
)
DOSSIER_COLUMNS = ReadColumns(
    is_public=col(DossierRow.is_public),
    classification=col(DossierRow.classification),
    agency_code=col(DossierRow.agency_code),
    mode=col(DossierRow.mode),
)


def read_clause(scope: ReadScope, columns: ReadColumns) -> ColumnElement[bool]:
    """The SQL twin of ``ReadScope.allows`` (and so of ``can_read``) over ``columns``."""
    public = columns.is_public.is_(True)
    if scope.public_only:
        return public
    cleared = columns.classification <= int(scope.max_classification)
    if scope.all_agencies and scope.all_conditional:
        return sa.or_(public, cleared)
    reach: list[ColumnElement[bool]] = []
    if scope.all_agencies:  # every agency's units, except conditional-use ones (mode 02)
        reach.append(columns.mode.is_distinct_from(MODE_CONDITIONAL))
    if scope.agencies:
        reach.append(columns.agency_code.in_(sorted(scope.agencies)))
    if scope.grantee_keys and columns.granted is not None:
        reach.append(columns.granted(scope.grantee_keys))
    if not reach:
        return public
    return sa.or_(public, sa.and_(cleared, sa.or_(*reach)))


def scope_clause(scope: ReadScope) -> ColumnElement[bool]:
    """``read_clause`` over ``records``."""
    return read_clause(scope, RECORD_COLUMNS)


def dossier_scope_clause(scope: ReadScope) -> ColumnElement[bool]:
    """``read_clause`` over ``dossiers``: the record rule on the dossier's own facts (a
    dossier has no grants; a conditional-use dossier is read across agencies only by those
    who read every conditional record)."""
    return read_clause(scope, DOSSIER_COLUMNS)


def manage_clause(scope: ManageScope) -> ColumnElement[bool]:
    """The SQL twin of ``ManageScope.allows`` (and so of ``can_manage``)."""
    if scope.nothing:
        return sa.false()
    cleared = col(RecordRow.classification) <= int(scope.max_classification)
    if scope.all_agencies:
        return cleared
    if not scope.agencies:
        return sa.false()
    return sa.and_(cleared, col(RecordRow.agency_code).in_(sorted(scope.agencies)))


def scope_to_json(scope: ManageScope) -> str:
    """A ManageScope as stored on a disposition batch."""
    return json.dumps(
        {
            "nothing": scope.nothing,
            "all_agencies": scope.all_agencies,
            "agencies": sorted(scope.agencies),
            "max_classification": int(scope.max_classification),
        }
    )


def scope_from_json(text: str | None) -> ManageScope | None:
    if text is None:
        return None
    data = json.loads(text)
    return ManageScope(
        nothing=bool(data["nothing"]),
        all_agencies=bool(data["all_agencies"]),
        agencies=frozenset(data["agencies"]),
        max_classification=Classification(int(data["max_classification"])),
    )
