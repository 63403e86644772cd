"""Place, extend and release legal holds, and mirror them on the objects.

The database decides: a record is held while any unreleased hold names it,
and the purge checks exactly that under the record's row lock. The S3 legal
hold on the object follows (set when the first hold names the record, cleared
only when none is left and the record is not kept permanently); a crash in
between is repaired by sealing the record again.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from archive.db.holds import SqlHoldStore
from archive.db.retention import SqlRetentionStore
from archive.domain.errors import MetadataInvalid, NotFound
from archive.domain.holds import HoldChange, LegalHold, RecordSelector
from archive.services import audit
from archive.services.container import Services
from archive.services.retention import apply_lock, seal


def holds(services: Services) -> SqlHoldStore:
    return SqlHoldStore(services.engine)


def place_hold(
    services: Services,
    *,
    name: str,
    reason: str,
    authority: str,
    actor: str,
    record_ids: Sequence[str] = (),
    selector: RecordSelector = RecordSelector(),
) -> HoldChange:
    """Create a hold and add the records named by id or by the selector. Blocking."""
    for field, value in (("name", name), ("reason", reason), ("authority", authority)):
        if not value.strip():
            raise MetadataInvalid(field, "is required")
    hold = LegalHold(
        id=str(uuid.uuid4()),
        name=name.strip(),
        reason=reason.strip(),
        authority=authority.strip(),
        created_by=actor,
        created_at=services.clock(),
    )
    holds(services).create(hold)
    audit.append(
        services,
        actor=actor,
        action="legal_hold.place",
        target=hold.id,
        details={"name": hold.name, "authority": hold.authority, "reason": hold.reason},
    )
    return add_to_hold(services, hold.id, actor=actor, record_ids=record_ids, selector=selector)


def add_to_hold(
    services: Services,
    hold_id: str,
    *,
    actor: str,
    record_ids: Sequence[str] = (),
    selector: RecordSelector = RecordSelector(),
) -> HoldChange:
    """Name more records in an active hold; each one under its row lock. Blocking.

    A record whose purge has already started is refused (and listed as such).
    """
    hold = holds(services).get(hold_id)
    if hold is None or not hold.active:
        raise NotFound(f"no active legal hold {hold_id}")
    wanted = list(dict.fromkeys([*record_ids, *holds(services).select_ids(selector)]))
    added: list[str] = []
    refused: list[str] = []
    for record_id in wanted:
        ok = holds(services).add_record(hold_id, record_id, actor=actor, now=services.clock())
        (added if ok else refused).append(record_id)
    _mirror(services, added)
    if added or refused:
        audit.append(
            services,
            actor=actor,
            action="legal_hold.add",
            target=hold_id,
            details={"added": len(added), "refused": len(refused), "first": (added or refused)[0]},
        )
    updated = holds(services).get(hold_id)
    assert updated is not None
    return HoldChange(hold=updated, added=tuple(added), refused=tuple(refused))


def release_hold(services: Services, hold_id: str, *, reason: str, actor: str) -> LegalHold:
    """Release a hold with a reason; objects no other hold protects lose their S3 hold. Blocking."""
    if not reason.strip():
        raise MetadataInvalid("reason", "a release needs a reason")
    hold, record_ids = holds(services).release(
        hold_id, actor=actor, reason=reason.strip(), now=services.clock()
    )
    _mirror(services, record_ids)
    audit.append(
        services,
        actor=actor,
        action="legal_hold.release",
        target=hold_id,
        details={"reason": reason.strip(), "records": len(record_ids)},
    )
    return hold


def _mirror(services: Services, record_ids: Sequence[str]) -> None:
    """Set each object's legal hold and retention from the database's view."""
    retention = SqlRetentionStore(services.engine)
    held = holds(services).held_ids(record_ids)
    for state in retention.states(record_ids):
        try:
            if state.current is None:
                seal(services, state.facts.record_id)  # not sealed yet: compute and seal now
            else:
                apply_lock(services, state, state.current, held=state.facts.record_id in held)
        except NotFound:
            continue  # no object: reconcile reports it
