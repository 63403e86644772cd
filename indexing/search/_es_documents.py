"""IndexDocument → Elasticsearch source, and bulk actions for it."""

from __future__ import annotations

from typing import Any

from archive.domain.search import IndexDocument, number_sort_key, signer_key
from archive.domain.text import fold, normalize_document_number
from indexing.search._fields import fields
from indexing.search._terms import tokenized

DELETED_VERSION = 2**62
"""External version of a delete in a generation being built: above any row version."""


def source(doc: IndexDocument) -> dict[str, Any]:
    """The stored document: keyword fields for filters and facets, each field's text
    (``_fields``: ``meta_*`` is the title, ``low_*`` the low-weight texts) twice, as
    words (``_terms.tokenized``); each page's text as written, for highlights, too."""
    split = fields(doc)
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
        "conditional": doc.conditional,
        "grants": list(doc.grants),
        "signed": doc.signed,
        "signature_valid": doc.signature_valid,
        "fonds_id": doc.fonds_id,
        "dossier_id": doc.dossier_id,
        "arrival_date": None if doc.arrival_date is None else doc.arrival_date.isoformat(),
        "deposited_at": None if doc.deposited_at is None else doc.deposited_at.isoformat(),
        "updated_at": None if doc.updated_at is None else doc.updated_at.isoformat(),
        "urgency": doc.urgency.value,
        "signer_key": signer_key(doc.signer_name),
        "number_sort": number_sort_key(doc.document_number),
        "revoked": doc.revoked,
        "meta_exact": [tokenized(t) for t in split.title],
        "meta_folded": [tokenized(fold(t)) for t in split.title],
        "low_exact": [tokenized(t) for t in split.low],
        "low_folded": [tokenized(fold(t)) for t in split.low],
        "pages": [
            {"number": n, "file": f, "text": t, "exact": tokenized(t), "folded": tokenized(fold(t))}
            for n, t, f in split.body
        ],
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
