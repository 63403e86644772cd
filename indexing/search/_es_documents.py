"""IndexDocument → Elasticsearch source, and bulk actions for it."""

from __future__ import annotations

from typing import Any

from archive.domain.search import IndexDocument
from archive.domain.text import fold, nfc, normalize_document_number

DELETED_VERSION = 2**62
"""External version of a delete in a generation being built: above any row version."""


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
        "fonds_id": doc.fonds_id,
        "dossier_id": doc.dossier_id,
        "meta_exact": meta,
        "meta_folded": [fold(m) for m in meta],
        "pages": [{"number": p.number, "exact": nfc(p.text), "folded": fold(nfc(p.text))} for p in pages],
    }


def upsert_actions(alias: str, building: str, documents: list[IndexDocument]) -> list[dict[str, Any]]:
    """Each document to the live alias, then to the generation being built (paired)."""
    actions: list[dict[str, Any]] = []
    for doc in documents:
        for target in (alias, building):
            actions += bulk_actions(target, [doc])
    return actions


def delete_actions(alias: str, building: str, record_id: str) -> list[dict[str, Any]]:
    """A delete on the live alias, and a tombstone in the generation being built.

    The tombstone is a document (``{"deleted": true}``, no access fields, so no scope
    ever matches it) at an external version above any row version: the build cannot
    write the record back, and the document is removed after the swap. Not a versioned
    delete: Elasticsearch creates a missing index for those, ``require_alias`` or not.
    """
    tombstone = {"_index": building, "_id": record_id, "version": DELETED_VERSION, "version_type": "external"}
    return [{"delete": {"_index": alias, "_id": record_id}}, {"index": tombstone}, {"deleted": True}]


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
