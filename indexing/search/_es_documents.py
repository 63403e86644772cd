"""IndexDocument → Elasticsearch source, and bulk actions for it."""

from __future__ import annotations

from typing import Any

from archive.domain.search import IndexDocument
from archive.domain.text import fold, nfc, normalize_document_number


def source(doc: IndexDocument) -> dict[str, Any]:
    """The stored document: keyword fields for filters and facets, text twice."""
    meta = [
        nfc(f)
        for f in (doc.subject, doc.document_number, doc.signer_name, doc.issuing_agency_name)
        if f.strip()
    ]
    pages = [p for p in doc.pages if p.text.strip()]
    return {
        "record_id": doc.record_id,
        "row_version": doc.row_version,
        "document_number": doc.document_number,
        "document_number_key": normalize_document_number(doc.document_number),
        "document_type": doc.document_type,
        "agency_code": doc.agency_code,
        "issuing_agency_code": doc.issuing_agency_code,
        "issue_date": doc.issue_date.isoformat(),
        "year": doc.issue_date.year,
        "direction": doc.direction.value,
        "classification": int(doc.classification),
        "is_public": doc.is_public,
        "grants": list(doc.grants),
        "signed": doc.signed,
        "signature_valid": doc.signature_valid,
        "meta_exact": meta,
        "meta_folded": [fold(m) for m in meta],
        "pages": [{"number": p.number, "exact": nfc(p.text), "folded": fold(nfc(p.text))} for p in pages],
    }


def bulk_actions(index: str, documents: list[IndexDocument]) -> list[dict[str, Any]]:
    """Index actions versioned by row version: the engine refuses stale or replayed ones."""
    actions: list[dict[str, Any]] = []
    for doc in documents:
        actions.append(
            {
                "index": {
                    "_index": index,
                    "_id": doc.record_id,
                    "version": doc.row_version,
                    "version_type": "external",
                }
            }
        )
        actions.append(source(doc))
    return actions
