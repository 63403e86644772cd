"""``ReadScope`` and ``ManageScope`` compiled to SQL WHERE clauses over ``records``."""

from __future__ import annotations

import json

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import col, select

from archive.db.tables import GrantRow, RecordRow
from archive.domain.access import ManageScope, ReadScope
from archive.domain.records import MODE_CONDITIONAL, Classification


def scope_clause(scope: ReadScope) -> ColumnElement[bool]:
    """The SQL twin of ``ReadScope.allows`` (and so of ``can_read``)."""
    public = col(RecordRow.is_public).is_(True)
    if scope.public_only:
        return public
    cleared = col(RecordRow.classification) <= int(scope.max_classification)
    if scope.all_agencies and scope.all_conditional:
        return sa.or_(public, cleared)
    reach: list[ColumnElement[bool]] = []
    if scope.all_agencies:  # every agency's records, except conditional-use ones (mode 02)
        reach.append(col(RecordRow.mode).is_distinct_from(MODE_CONDITIONAL))
    if scope.agencies:
        reach.append(col(RecordRow.agency_code).in_(sorted(scope.agencies)))
    if scope.grantee_keys:
        granted = (
            select(GrantRow.record_id)
            .where(
                GrantRow.record_id == RecordRow.id,
                col(GrantRow.grantee).in_(sorted(scope.grantee_keys)),
            )
            .exists()
        )
        reach.append(granted)
    if not reach:
        return public
    return sa.or_(public, sa.and_(cleared, sa.or_(*reach)))


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
