"""Relations between records, revocation and replacement, and references that link later.

Check -> act -> audit, here. The subject must be readable (else NOT_FOUND, exactly as for
an id that names nothing), and so must a target named by id; ``can_relate`` decides the
rest. A relation that revokes is audited ``record.revoke``, every other ``record.relate``.

A target named by reference is linked at once when the archive holds the document it
names and the caller may relate to it; otherwise the relation waits (pending) and is
linked when that document is deposited (``link_arrived``). The answer is the same
either way for a document the caller may not read: it sees the reference it declared.

What a caller sees of a record's relations (``visible_relations``): the other record
when it may read it, else the declared reference if there is one, else nothing; so a
relation never reveals a record the caller may not read, not even by a count.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from archive.domain.access import UNRESTRICTED, Principal, Readable, ReadScope, can_relate
from archive.domain.audit import Outcome
from archive.domain.errors import Forbidden, MetadataInvalid, NotFound
from archive.domain.records import Record, nfc
from archive.domain.relations import (
    NOTE_MAX,
    ExternalReference,
    RecordStatus,
    Relation,
    RelationKind,
    StatusMark,
    status_of,
    validate_reference,
)
from archive.services.audit import append
from archive.services.container import Services
from archive.services.reindex import reindex_now
from archive.services.search import get_record

SYSTEM_ACTOR = "system:relations"  # links a pending reference when its document arrives


@dataclass(frozen=True, slots=True)
class ShownRelation:
    """One relation as a caller may see it, read from the record it was asked about."""

    relation_id: str
    kind: RelationKind
    record: Record | None  # the other record, when in the archive and readable
    reference: ExternalReference | None  # the declared reference, when there is one
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ShownStatus:
    """A record's status as a caller may see it: ``by`` only as far as it may read."""

    status: RecordStatus
    at: datetime | None
    by: ShownRelation | None


async def relate(
    services: Services,
    principal: Principal,
    record_id: str,
    kind: RelationKind,
    *,
    target_id: str | None = None,
    reference: ExternalReference | None = None,
    note: str = "",
    client: str = "",
) -> Relation:
    """Declare that ``record_id`` ``kind`` the target: a record (by id) or a document by
    reference (linked now if the archive holds it, else when it arrives). Re-declaring
    the same relation returns the existing one.

    Raises:
        NotFound: the record, or the target named by id, does not exist or is unreadable.
        MetadataInvalid: no target, a bad reference or note, or a record related to itself.
        Forbidden: ``can_relate`` refuses.
    """
    subject = await get_record(services, principal, record_id)
    if subject is None:  # audited like any refusal; the entry names the id the caller gave
        details = {"code": NotFound.code}
        await _audit(
            services, principal.subject, _action(kind), record_id[:100], Outcome.ERROR, details, client
        )
        raise NotFound("no such record")
    try:
        relation, changed = await _relate(services, principal, subject, kind, target_id, reference, note)
    except (Forbidden, MetadataInvalid, NotFound) as exc:
        outcome = Outcome.DENIED if isinstance(exc, Forbidden) else Outcome.ERROR
        await _audit(
            services, principal.subject, _action(kind), subject.id, outcome, {"code": exc.code}, client
        )
        raise
    await _audit(
        services, principal.subject, _action(kind), subject.id, Outcome.OK, _details(relation), client
    )
    if changed is not None:
        await reindex_now(services, changed)
    return relation


async def revoke(
    services: Services,
    principal: Principal,
    record_id: str,
    *,
    by_record_id: str | None = None,
    by_reference: ExternalReference | None = None,
    note: str = "",
    client: str = "",
) -> Relation:
    """Mark ``record_id`` revoked by a record, by a reference, or (with a note saying why)
    by neither. It leaves default search results and stays retrievable by id."""
    return await relate(
        services,
        principal,
        record_id,
        RelationKind.REVOKED_BY,
        target_id=by_record_id,
        reference=by_reference,
        note=note,
        client=client,
    )


async def replace(
    services: Services,
    principal: Principal,
    record_id: str,
    *,
    replaced_id: str | None = None,
    replaced_reference: ExternalReference | None = None,
    note: str = "",
    client: str = "",
) -> Relation:
    """``record_id`` replaces the record ``replaced_id`` (or the document a reference
    names): the replaced one is marked REPLACED and stays findable, linked to this one."""
    return await relate(
        services,
        principal,
        record_id,
        RelationKind.REPLACES,
        target_id=replaced_id,
        reference=replaced_reference,
        note=note,
        client=client,
    )


async def _relate(
    services: Services,
    principal: Principal,
    subject: Record,
    kind: RelationKind,
    target_id: str | None,
    reference: ExternalReference | None,
    note: str,
) -> tuple[Relation, Record | None]:
    note = nfc(note)
    if len(note) > NOTE_MAX:
        raise MetadataInvalid("note", f"is longer than {NOTE_MAX} characters")
    if reference is not None:
        reference = validate_reference(reference)
    if target_id is None and reference is None:
        # Only a revocation may name no document (a recall by the sender), and then says why.
        if kind is not RelationKind.REVOKED_BY:
            raise MetadataInvalid("target", "name the related record or give its reference")
        if not note:
            raise MetadataInvalid("note", "say why, or name the revoking document (record or reference)")
    changes_target = kind.changes_status and not kind.affects_subject
    target = await _target(services, principal, subject, kind, target_id, reference, changes_target)
    if target is not None and target.id == subject.id:
        raise MetadataInvalid("target", "a record cannot relate to itself")
    facts = None if target is None else Readable.of(target)
    if not can_relate(principal, Readable.of(subject), facts, changes_target=changes_target):
        raise Forbidden("you may not relate these records")
    existing = await _existing(services, subject.id, kind, target, reference)
    if existing is not None:
        return existing, None
    relation = Relation(
        id=str(uuid.uuid4()),
        record_id=subject.id,
        kind=kind,
        target_id=None if target is None else target.id,
        reference=reference,
        created_at=services.clock(),
        created_by=principal.subject,
        note=note,
    )
    await asyncio.to_thread(services.lifecycle.add_relation, relation)
    return relation, await _changed(services, relation)


async def _target(
    services: Services,
    principal: Principal,
    subject: Record,
    kind: RelationKind,
    target_id: str | None,
    reference: ExternalReference | None,
    changes_target: bool,
) -> Record | None:
    """The target record: by id (NotFound unless readable), or the oldest record the
    reference names that the caller may relate to (preferring the subject's agency);
    None when the reference names none of those (the relation then waits)."""
    if target_id is not None:
        found = await get_record(services, principal, target_id)
        if found is None:
            raise NotFound("no such related record")
        if reference is not None and not reference.matches(found):
            raise MetadataInvalid("reference", "does not name the related record")
        return found
    if reference is None:
        return None
    named = await asyncio.to_thread(services.lifecycle.find_by_reference, reference)
    ordered = [i for i, a in named if a == subject.agency_code] + [
        i for i, a in named if a != subject.agency_code
    ]
    records = await asyncio.to_thread(services.records.get_many, ordered, ReadScope.for_principal(principal))
    for candidate in (records[i] for i in ordered if i in records):
        if candidate.id != subject.id and can_relate(
            principal, Readable.of(subject), Readable.of(candidate), changes_target=changes_target
        ):
            return candidate
    return None


async def _existing(
    services: Services,
    subject_id: str,
    kind: RelationKind,
    target: Record | None,
    reference: ExternalReference | None,
) -> Relation | None:
    """The same relation declared before (a re-sent package, a repeated command)."""
    relations = (await asyncio.to_thread(services.lifecycle.relations_of, [subject_id]))[subject_id]
    for r in relations:
        if r.record_id != subject_id or r.kind is not kind:
            continue
        same_target = target is not None and r.target_id == target.id
        same_reference = reference is not None and r.reference == reference
        unnamed = target is None and reference is None and r.target_id is None and r.reference is None
        if same_target or same_reference or unnamed:
            return r
    return None


async def _changed(services: Services, relation: Relation) -> Record | None:
    changed = relation.changed_record()
    if changed is None:
        return None
    return await asyncio.to_thread(services.records.get, changed, UNRESTRICTED)


def link_arrived(services: Services, record: Record) -> list[Relation]:
    """Link the pending references that name the just-deposited ``record`` to it.
    Blocking. A relation that would revoke or replace the new record links only when it
    was declared by a record of the same owning agency: a clerk's declaration never
    changes another agency's record. Each link is audited as the system's."""
    linked = []
    pending = services.lifecycle.pending_naming(record)
    subjects = services.records.get_many([r.record_id for r in pending], UNRESTRICTED, with_pages=False)
    for relation in pending:
        subject = subjects.get(relation.record_id)
        changes_new = relation.kind.changes_status and not relation.kind.affects_subject
        if subject is None or (changes_new and subject.agency_code != record.agency_code):
            continue
        done = services.lifecycle.link(relation.id, record.id, at=services.clock())
        if done is not None:
            linked.append(done)
            append(
                services,
                actor=SYSTEM_ACTOR,
                action=_action(done.kind),
                target=done.record_id,
                details=_details(done),
            )
    return linked


@dataclass(frozen=True, slots=True)
class RelationReads:
    """Where ``visible_relations`` and ``visible_status`` read: a record's relations (both
    directions) and the caller's readable records among some ids. Straight from the stores
    by default; the API passes batched readers, so a page of records costs one query per
    kind instead of one per record."""

    relations_of: Callable[[str], Awaitable[list[Relation]]]
    readable: Callable[[list[str]], Awaitable[Mapping[str, Record]]]

    @classmethod
    def direct(cls, services: Services, principal: Principal) -> RelationReads:
        """One record at a time, from the stores, through the caller's read scope."""

        async def relations_of(record_id: str) -> list[Relation]:
            return (await asyncio.to_thread(services.lifecycle.relations_of, [record_id]))[record_id]

        async def readable(ids: list[str]) -> Mapping[str, Record]:
            scope = ReadScope.for_principal(principal)
            return await asyncio.to_thread(services.records.get_many, ids, scope, with_pages=False)

        return cls(relations_of=relations_of, readable=readable)


async def visible_relations(
    services: Services, principal: Principal, record: Record, reads: RelationReads | None = None
) -> list[ShownRelation]:
    """The relations of ``record`` (which the caller may read) as the caller may see them."""
    reads = reads or RelationReads.direct(services, principal)
    return await _shown(reads, record.id, await reads.relations_of(record.id))


async def visible_status(
    services: Services, principal: Principal, record: Record, reads: RelationReads | None = None
) -> ShownStatus:
    """The record's status, and what set it as far as the caller may see it."""
    reads = reads or RelationReads.direct(services, principal)
    mark: StatusMark = status_of(record.id, await reads.relations_of(record.id))
    if mark.relation is None:
        return ShownStatus(mark.status, None, None)
    shown = await _shown(reads, record.id, [mark.relation])
    return ShownStatus(mark.status, mark.at, shown[0] if shown else None)


async def _shown(reads: RelationReads, record_id: str, relations: list[Relation]) -> list[ShownRelation]:
    seen = [(r, *r.seen_from(record_id)) for r in relations]
    others = [other for _, _, other, _ in seen if other is not None]
    readable = await reads.readable(others)
    shown = []
    for relation, kind, other, reference in seen:
        record = None if other is None else readable.get(other)
        if record is not None or reference is not None:
            shown.append(ShownRelation(relation.id, kind, record, reference, relation.created_at))
    return shown


def _action(kind: RelationKind) -> str:
    return "record.revoke" if kind in (RelationKind.REVOKES, RelationKind.REVOKED_BY) else "record.relate"


def _details(relation: Relation) -> dict[str, str]:
    details = {"kind": relation.kind.value, "relation": relation.id}
    if relation.target_id is not None:
        details["related"] = relation.target_id
    if relation.reference is not None:
        details["reference"] = f"{relation.reference.issuer_code} {relation.reference.document_number}"[:200]
    return details


async def _audit(
    services: Services,
    actor: str,
    action: str,
    target: str,
    outcome: Outcome,
    details: dict[str, str],
    client: str,
) -> None:
    await asyncio.to_thread(
        append,
        services,
        actor=actor,
        action=action,
        target=target,
        outcome=outcome,
        details=details,
        client=client,
    )
