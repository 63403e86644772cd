"""Metadata for sample documents, as a depositor would declare it."""

from __future__ import annotations

from archive.domain.records import Direction, RecordMetadata
from archive.samples import SampleDocument


def metadata_for(doc: SampleDocument, *, agency: str = "UBND-HG") -> RecordMetadata:
    return RecordMetadata(
        document_type="Quyết định",
        number=doc.number,
        notation=doc.notation,
        issuing_agency_code=agency,
        issuing_agency_name=doc.agency,
        issue_date=doc.issue_date,
        subject=doc.subject,
        signer_name=doc.signer_name,
        signer_position=doc.signer_position,
        direction=Direction.OUTGOING,
        issue_place=doc.place,
    )
