"""``SavedSearchStore`` on SQL."""

from __future__ import annotations

import json

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from archive.db.search_tables import SavedSearchRow
from archive.db.timestamps import as_utc
from archive.domain.saved_searches import SavedSearch, filter_from_json, filter_to_json


class SqlSavedSearchStore:
    """The ``saved_searches`` table."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def add(self, search: SavedSearch) -> None:
        with Session(self._engine) as session:
            session.add(
                SavedSearchRow(
                    id=search.id,
                    owner=search.owner,
                    name=search.name,
                    query=search.query,
                    filter=json.dumps(filter_to_json(search.filter), ensure_ascii=False, sort_keys=True),
                    shared_with=search.shared_with,
                    created_at=search.created_at,
                )
            )
            session.commit()

    def get(self, search_id: str) -> SavedSearch | None:
        with Session(self._engine) as session:
            row = session.get(SavedSearchRow, search_id)
            return None if row is None else _to_search(row)

    def visible_to(self, subject: str, agencies: frozenset[str]) -> list[SavedSearch]:
        mine = col(SavedSearchRow.owner) == subject
        shared = col(SavedSearchRow.shared_with).in_(sorted(agencies))
        query = select(SavedSearchRow).where(sa.or_(mine, shared) if agencies else mine)
        with Session(self._engine) as session:
            rows = session.exec(query.order_by(col(SavedSearchRow.name), col(SavedSearchRow.id))).all()
            return [_to_search(r) for r in rows]

    def count_owned(self, subject: str) -> int:
        query = (
            select(sa.func.count()).select_from(SavedSearchRow).where(col(SavedSearchRow.owner) == subject)
        )
        with Session(self._engine) as session:
            return int(session.exec(query).one())

    def delete(self, search_id: str) -> bool:
        with Session(self._engine) as session:
            row = session.get(SavedSearchRow, search_id)
            if row is None:
                return False
            session.delete(row)
            session.commit()
            return True


def _to_search(row: SavedSearchRow) -> SavedSearch:
    return SavedSearch(
        id=row.id,
        owner=row.owner,
        name=row.name,
        query=row.query,
        filter=filter_from_json(json.loads(row.filter)),
        shared_with=row.shared_with,
        created_at=as_utc(row.created_at),
    )
