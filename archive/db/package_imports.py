"""``PackageImportStore`` on SQL: a received package's fonds, dossier and records in one transaction.

The rows are the same the other stores write (``archive.db.archival`` for the fonds and
dossier, ``archive.db.repository`` for records, ``archive.db.jobs`` for the outbox), so
an imported record is indistinguishable from a deposited one, and the worker picks it up
(seal, signatures, text, index) like any other.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from archive.db.archival import _dossier_values, _fonds_values
from archive.db.archival_tables import DossierRow, FondsRow
from archive.db.jobs import new_job_row
from archive.db.repository import _to_row
from archive.db.tables import RecordRow
from archive.domain.archival import Dossier, Fonds
from archive.domain.errors import DuplicateRecord, MetadataInvalid
from archive.domain.records import Record


class SqlPackageImports:
    """Imports in the metadata database."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def commit_import(self, *, fonds: Fonds | None, dossier: Dossier, records: Sequence[Record]) -> None:
        with Session(self._engine) as session:
            try:
                if fonds is not None:
                    session.add(FondsRow.model_validate(_fonds_values(fonds)))
                    session.flush()  # each parent before its children (FKs): fonds, dossier, records
                session.add(DossierRow.model_validate({**_dossier_values(dossier), "row_version": 1}))
                session.flush()
                for record in records:
                    session.add(_to_row(record))
                    session.flush()
                    session.add(new_job_row(record.id, record.created_at))
                session.commit()
            except sa.exc.IntegrityError as exc:
                session.rollback()
                raise self._why(fonds, dossier, records) from exc

    def _why(self, fonds: Fonds | None, dossier: Dossier, records: Sequence[Record]) -> Exception:
        """Which unique rule the rolled-back transaction broke (a concurrent import, a deposit)."""
        with Session(self._engine) as session:
            if (
                fonds is not None
                and session.exec(select(FondsRow.id).where(FondsRow.code == fonds.code)).first()
            ):
                return MetadataInvalid("fonds", f"fonds code {fonds.code} was taken meanwhile")
            taken = select(DossierRow.id).where(
                DossierRow.fonds_id == dossier.fonds_id, DossierRow.code == dossier.file_code
            )
            if session.exec(taken).first():
                return MetadataInvalid("file_code", f"{dossier.file_code} is already used in this fonds")
            for record in records:
                same = session.exec(
                    select(RecordRow.id).where(
                        RecordRow.agency_code == record.agency_code,
                        RecordRow.sha256 == record.file.sha256,
                        RecordRow.classification == int(record.classification),
                    )
                ).first()
                if same is not None:
                    return DuplicateRecord(record.file.sha256, same)
        return MetadataInvalid("package", "the import conflicts with rows written meanwhile")
