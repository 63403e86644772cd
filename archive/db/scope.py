"""``ReadScope`` compiled to a SQL WHERE clause over ``records``."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import col, select

from archive.db.tables import GrantRow, RecordRow
from archive.domain.access import ReadScope


def scope_clause(scope: ReadScope) -> ColumnElement[bool]:
    """The SQL twin of ``ReadScope.allows`` (and so of ``can_read``)."""
    public = col(RecordRow.is_public).is_(True)
    if scope.public_only:
        return public
    cleared = col(RecordRow.classification) <= int(scope.max_classification)
    if scope.all_agencies:
        return sa.or_(public, cleared)
    reach: list[ColumnElement[bool]] = []
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
