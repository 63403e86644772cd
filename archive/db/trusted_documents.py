"""The trusted-document allowlist on SQL."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from archive.db.access_tables import TrustedDocumentRow
from archive.db.timestamps import as_utc
from archive.domain.trusted_documents import TrustedDocument


class SqlTrustedDocumentStore:
    """The ``trusted_documents`` table."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        # Listed documents never change and are never removed: a hit can be kept for good.
        self._found: dict[str, TrustedDocument] = {}

    def add(self, documents: Iterable[TrustedDocument]) -> int:
        wanted = {d.id: d for d in documents}
        with Session(self._engine) as session:
            known = set(
                session.exec(select(TrustedDocumentRow.id).where(col(TrustedDocumentRow.id).in_(wanted)))
            )
            new = [d for key, d in wanted.items() if key not in known]
            session.add_all(
                TrustedDocumentRow(
                    id=d.id, text=d.text, name=d.name, added_at=d.added_at, added_by=d.added_by
                )
                for d in new
            )
            session.commit()
        return len(new)

    def get(self, document_id: str) -> TrustedDocument | None:
        if document_id in self._found:
            return self._found[document_id]
        with Session(self._engine) as session:
            row = session.get(TrustedDocumentRow, document_id)
        if row is None:
            return None
        self._found[document_id] = found = _to_document(row)
        return found

    def all(self) -> list[TrustedDocument]:
        with Session(self._engine) as session:
            query = select(TrustedDocumentRow).order_by(
                col(TrustedDocumentRow.added_at), col(TrustedDocumentRow.id)
            )
            return [_to_document(row) for row in session.exec(query)]


def _to_row(d: TrustedDocument) -> TrustedDocumentRow:
    return TrustedDocumentRow(id=d.id, text=d.text, name=d.name, added_at=d.added_at, added_by=d.added_by)


def _to_document(row: TrustedDocumentRow) -> TrustedDocument:
    return TrustedDocument(
        id=row.id, text=row.text, name=row.name, added_at=as_utc(row.added_at), added_by=row.added_by
    )
