"""From a record to the document the search index holds."""

from __future__ import annotations

from archive.domain.records import Record
from archive.domain.relations import RecordStatus, status_of
from archive.domain.search import IndexDocument
from archive.services.container import Services


def index_document(
    record: Record,
    *,
    signed: bool | None = None,
    signature_valid: bool | None = None,
    revoked: bool = False,
) -> IndexDocument:
    """The search index's view of ``record``, versioned by its row version."""
    m = record.metadata
    return IndexDocument(
        record_id=record.id,
        row_version=record.row_version,
        document_number=m.document_number,
        document_type=m.document_type,
        agency_code=record.agency_code,
        issuing_agency_code=m.issuing_agency_code,
        issuing_agency_name=m.issuing_agency_name,
        issue_date=m.issue_date,
        subject=m.subject,
        signer_name=m.signer_name,
        direction=m.direction,
        classification=m.classification,
        is_public=m.is_public,
        grants=record.grants,
        pages=record.pages,
        signed=signed,
        signature_valid=signature_valid,
        fonds_id=record.fonds_id,
        dossier_id=record.dossier_id,
        conditional=m.is_conditional,
        keyword=m.keyword,
        arrival_date=m.arrival_date,
        deposited_at=record.created_at,
        updated_at=record.updated_at,
        urgency=m.urgency,
        revoked=revoked,
    )


def index_document_of(services: Services, record: Record) -> IndexDocument:
    """``index_document`` with the record's signature summary from the VERIFY step
    (unknown until that step has run) and whether it is revoked (its relations).
    Blocking: it reads the database."""
    relations = services.lifecycle.relations_of([record.id])[record.id]
    revoked = status_of(record.id, relations).status is RecordStatus.REVOKED
    summary = services.results.signature_summary(record.id)
    if summary is None:
        return index_document(record, revoked=revoked)
    return index_document(record, signed=summary.signed, signature_valid=summary.all_valid, revoked=revoked)
