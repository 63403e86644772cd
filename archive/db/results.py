"""``ProcessingResults`` on SQL: signatures, thumbnails and extraction outcomes."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from archive.db.result_tables import ProcessingOutcomeRow, SignatureRow, ThumbnailRow
from archive.db.timestamps import as_utc
from archive.domain.processing import ExtractionReport
from archive.domain.records import TextStatus
from archive.domain.signatures import (
    ChangePermission,
    ModificationLevel,
    RevisionChange,
    SignatureCoverage,
    SignatureReport,
    SignatureSummary,
    SignatureVerdict,
)


class SqlProcessingResults:
    """What the pipeline steps produced, in the metadata database."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def replace_signatures(self, record_id: str, reports: Sequence[SignatureReport]) -> None:
        with Session(self._engine) as session:
            session.exec(sa.delete(SignatureRow).where(col(SignatureRow.record_id) == record_id))
            session.add_all(_signature_row(record_id, i, r) for i, r in enumerate(reports))
            outcome = _outcome_row(session, record_id)
            outcome.verified_at = datetime.now(UTC)
            session.add(outcome)
            session.commit()

    def signatures_of(self, record_ids: Sequence[str]) -> dict[str, list[SignatureReport]]:
        query = (
            select(SignatureRow)
            .where(col(SignatureRow.record_id).in_(list(record_ids)))
            .order_by(col(SignatureRow.record_id), col(SignatureRow.position))
        )
        found: dict[str, list[SignatureReport]] = {record_id: [] for record_id in record_ids}
        with Session(self._engine) as session:
            for row in session.exec(query):
                found[row.record_id].append(_signature_report(row))
        return found

    def signature_summaries(self, record_ids: Sequence[str]) -> dict[str, SignatureSummary]:
        with Session(self._engine) as session:
            verified = session.exec(
                select(ProcessingOutcomeRow.record_id).where(
                    col(ProcessingOutcomeRow.record_id).in_(list(record_ids)),
                    col(ProcessingOutcomeRow.verified_at).is_not(None),
                )
            ).all()
        reports = self.signatures_of(verified)
        return {record_id: SignatureSummary.of(reports[record_id]) for record_id in verified}

    def signature_summary(self, record_id: str) -> SignatureSummary | None:
        return self.signature_summaries([record_id]).get(record_id)

    def replace_thumbnails(self, record_id: str, thumbnails: Mapping[int, bytes]) -> None:
        with Session(self._engine) as session:
            session.exec(sa.delete(ThumbnailRow).where(col(ThumbnailRow.record_id) == record_id))
            session.add_all(
                ThumbnailRow(record_id=record_id, page=p, png=png) for p, png in thumbnails.items()
            )
            session.commit()

    def thumbnails_of(self, record_ids: Sequence[str]) -> dict[str, dict[int, bytes]]:
        query = select(ThumbnailRow).where(col(ThumbnailRow.record_id).in_(list(record_ids)))
        found: dict[str, dict[int, bytes]] = {record_id: {} for record_id in record_ids}
        with Session(self._engine) as session:
            for row in session.exec(query):
                found[row.record_id][row.page] = bytes(row.png)
        return {record_id: dict(sorted(pages.items())) for record_id, pages in found.items()}

    def save_extraction(self, record_id: str, report: ExtractionReport) -> None:
        with Session(self._engine) as session:
            row = _outcome_row(session, record_id)
            row.extraction_status = report.status.value
            row.limit_hit = report.limit_hit
            row.extraction_error = None if report.error is None else report.error[:4000]
            row.page_count = report.page_count
            row.pages_read = report.pages_read
            row.extracted_at = report.finished_at or datetime.now(UTC)
            session.add(row)
            session.commit()

    def extractions(self, record_ids: Sequence[str]) -> dict[str, ExtractionReport]:
        query = select(ProcessingOutcomeRow).where(
            col(ProcessingOutcomeRow.record_id).in_(list(record_ids)),
            col(ProcessingOutcomeRow.extraction_status).is_not(None),
        )
        with Session(self._engine) as session:
            return {row.record_id: _extraction_report(row) for row in session.exec(query)}


def _extraction_report(row: ProcessingOutcomeRow) -> ExtractionReport:
    assert row.extraction_status is not None
    return ExtractionReport(
        status=TextStatus(row.extraction_status),
        limit_hit=row.limit_hit,
        error=row.extraction_error,
        page_count=row.page_count,
        pages_read=row.pages_read,
        finished_at=as_utc(row.extracted_at),
    )


def _outcome_row(session: Session, record_id: str) -> ProcessingOutcomeRow:
    row = session.get(ProcessingOutcomeRow, record_id, with_for_update=True)
    return row if row is not None else ProcessingOutcomeRow(record_id=record_id)


def _signature_row(record_id: str, position: int, r: SignatureReport) -> SignatureRow:
    return SignatureRow(
        record_id=record_id,
        position=position,
        field_name=r.field_name[:200],
        signer_subject=r.signer_subject,
        signer_common_name=None if r.signer_common_name is None else r.signer_common_name[:300],
        issuer=r.issuer,
        serial=None if r.serial is None else r.serial[:100],
        signing_time=r.signing_time,
        timestamp_time=r.timestamp_time,
        intact=r.intact,
        valid=r.valid,
        trusted=r.trusted,
        coverage=r.coverage.value,
        modification_level=r.modification_level.value,
        verdict=r.verdict.value,
        summary=r.summary,
        signed_revision=r.signed_revision,
        revision_count=r.revision_count,
        permission=None if r.permission is None else r.permission.value,
        later_revisions=json.dumps(
            [[c.revision, c.modification_level.value, c.permitted] for c in r.later_revisions]
        ),
    )


def _signature_report(row: SignatureRow) -> SignatureReport:
    return SignatureReport(
        field_name=row.field_name,
        signer_subject=row.signer_subject,
        signer_common_name=row.signer_common_name,
        issuer=row.issuer,
        serial=row.serial,
        signing_time=as_utc(row.signing_time),
        timestamp_time=as_utc(row.timestamp_time),
        intact=row.intact,
        valid=row.valid,
        trusted=row.trusted,
        coverage=SignatureCoverage(row.coverage),
        modification_level=ModificationLevel(row.modification_level),
        verdict=SignatureVerdict(row.verdict),
        summary=row.summary,
        signed_revision=row.signed_revision,
        revision_count=row.revision_count,
        permission=None if row.permission is None else ChangePermission(row.permission),
        later_revisions=_later_revisions(row.later_revisions),
    )


def _later_revisions(stored: str | None) -> tuple[RevisionChange, ...]:
    if not stored:
        return ()
    return tuple(
        RevisionChange(
            revision=int(revision), modification_level=ModificationLevel(level), permitted=bool(ok)
        )
        for revision, level, ok in json.loads(stored)
    )
