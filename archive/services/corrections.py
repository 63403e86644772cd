"""Metadata corrections: each one a new version with who, when and why; nothing overwritten.

Check -> act -> audit, here: the record must be readable (else NOT_FOUND, exactly as for
an id that names nothing), the change must pass ``can_correct`` (``archive.domain.access``)
and ``validate_metadata`` (the deposit's own validation), and every attempt that reaches
a readable record leaves one ``record.correct`` entry. The search index follows at once
(and through the index job committed with the change, if it is down right now).
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Mapping

from archive.domain.access import Principal, Readable, can_correct
from archive.domain.audit import Outcome
from archive.domain.errors import Forbidden, MetadataInvalid, NotFound, VersionConflict
from archive.domain.records import Record, RecordMetadata, nfc, validate_metadata
from archive.domain.versions import REASON_MAX, FieldChange, MetadataVersion, diff, history_with_diffs
from archive.services.audit import append
from archive.services.container import Services
from archive.services.reindex import reindex_now
from archive.services.search import get_record

# Fields a correction may not set: they are derived from others, or not metadata at all.
_DERIVED_WHEN = {
    # a new document type text re-derives its code unless the code is given too
    "type_name": frozenset({"document_type"}),
    # mode and publication tell one story with the classification (validate_metadata)
    "mode": frozenset({"classification", "is_public"}),
}
# The retention code decides a disposal date: it changes through the retention schedule
# (records managers), never as a side effect of a metadata correction.
NOT_CORRECTED = frozenset({"retention_code"})
FIELDS = frozenset(f.name for f in dataclasses.fields(RecordMetadata)) - NOT_CORRECTED


def corrected(current: RecordMetadata, changes: Mapping[str, object]) -> RecordMetadata:
    """``current`` with ``changes`` applied; a derived field the change invalidates is
    re-derived (``_DERIVED_WHEN``) unless the change sets it too. Not validated yet."""
    unknown = sorted(set(changes) - FIELDS)
    if unknown:
        reason = (
            "changes through the retention schedule"
            if unknown[0] in NOT_CORRECTED
            else "is not a metadata field"
        )
        raise MetadataInvalid(unknown[0], reason)
    values = dict(changes)
    for derived, sources in _DERIVED_WHEN.items():
        if derived not in values and sources & set(values):
            values[derived] = None
    return dataclasses.replace(current, **values)  # type: ignore[arg-type]


def _after(record: Record, metadata: RecordMetadata) -> Readable:
    return Readable(
        record.agency_code,
        metadata.classification,
        metadata.is_public,
        record.grants,
        metadata.is_conditional,
    )


async def correct(
    services: Services,
    principal: Principal,
    record_id: str,
    changes: Mapping[str, object],
    *,
    reason: str,
    expected_version: int | None = None,
    client: str = "",
) -> Record:
    """Correct the record's metadata: the changed fields on top of the current version
    become the next version. Returns the record as it now is.

    Raises:
        NotFound: no such record, or one the caller may not read.
        MetadataInvalid: an unknown field, a value ``validate_metadata`` refuses, no reason,
            or a correction that changes nothing.
        Forbidden: ``can_correct`` refuses (not a writer of its agency, above the caller's
            clearance, or a widening that only an admin may make).
        VersionConflict: ``expected_version`` is not the current metadata version.
    """
    record = await get_record(services, principal, record_id)
    if record is None:  # audited like any refusal; the entry names the id the caller gave
        await _audit(services, principal, record_id[:100], Outcome.ERROR, {"code": NotFound.code}, client)
        raise NotFound("no such record")
    try:
        updated = await _correct(services, principal, record, changes, reason, expected_version)
    except (Forbidden, MetadataInvalid, VersionConflict) as exc:
        details = {"code": exc.code}
        if isinstance(exc, MetadataInvalid):
            details["field"] = exc.field
        await _audit(
            services,
            principal,
            record.id,
            Outcome.DENIED if isinstance(exc, Forbidden) else Outcome.ERROR,
            details,
            client,
        )
        raise
    fields = ",".join(c.field for c in diff(record.metadata, updated.metadata))
    details = {"version": str(updated.metadata_version), "fields": fields[:500]}
    await _audit(services, principal, record.id, Outcome.OK, details, client)
    await reindex_now(services, updated)
    return updated


async def _correct(
    services: Services,
    principal: Principal,
    record: Record,
    changes: Mapping[str, object],
    reason: str,
    expected_version: int | None,
) -> Record:
    why = nfc(reason)
    if not why or len(why) > REASON_MAX:
        raise MetadataInvalid("reason", f"is required, at most {REASON_MAX} characters")
    now = services.clock()
    metadata = validate_metadata(corrected(record.metadata, changes), today=now.date())
    if not can_correct(principal, Readable.of(record), _after(record, metadata)):
        raise Forbidden("you may not make this correction to this record")
    if not diff(record.metadata, metadata):
        raise MetadataInvalid("changes", "the correction changes nothing")
    updated = await asyncio.to_thread(
        services.lifecycle.correct,
        record.id,
        metadata,
        actor=principal.subject,
        at=now,
        reason=why,
        expected_version=expected_version,
    )
    if updated is None:
        raise NotFound("no such record")
    return updated


async def history(
    services: Services, principal: Principal, record_id: str
) -> list[tuple[MetadataVersion, tuple[FieldChange, ...]]]:
    """The record's metadata versions, oldest first, each with what it changed; empty when
    the record does not exist or the caller may not read it. Blocking parts run in a thread."""
    if await get_record(services, principal, record_id) is None:
        return []
    versions = await asyncio.to_thread(services.lifecycle.versions, record_id)
    return history_with_diffs(versions)


async def _audit(
    services: Services,
    principal: Principal,
    target: str,
    outcome: Outcome,
    details: dict[str, str],
    client: str,
) -> None:
    await asyncio.to_thread(
        append,
        services,
        actor=principal.subject,
        action="record.correct",
        target=target,
        outcome=outcome,
        details=details,
        client=client,
    )
