"""Place, extend and release legal holds, and mirror them on the objects.

The database decides: a record is held while any unreleased hold names it,
and the purge checks exactly that under the record's row lock. The S3 legal
hold on the object follows (set when the first hold names the record, cleared
only when none is left and the record is not kept permanently); a crash in
between is repaired by sealing the record again.

Each use case takes the acting ``Principal``: only records it may manage
(``can_manage``, compiled into the stores' queries) are held, counted or
released. An id it may not manage is refused exactly like an id that does not
exist, so holding is no oracle for other agencies' records.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from archive.domain.access import ManageScope, Principal
from archive.domain.errors import MetadataInvalid, NotFound
from archive.domain.holds import HoldChange, LegalHold, RecordSelector, validate_selector
from archive.services import audit
from archive.services.container import Services
from archive.services.retention import apply_lock, check_id_count, require_manager, seal

# The longest text each field may hold (the columns' sizes): longer is a VALIDATION error.
TEXT_MAX = {"name": 200, "authority": 200, "reason": 2000}


def listing(services: Services, principal: Principal, *, active_only: bool = False) -> list[LegalHold]:
    """Holds, newest first, each counting only the records the caller may manage. Blocking."""
    require_manager(principal)
    return services.holds.listing(ManageScope.for_principal(principal), active_only=active_only)


def naming(services: Services, principal: Principal, record_ids: Sequence[str]) -> dict[str, list[LegalHold]]:
    """The holds naming each record the caller may manage (``can_manage``, compiled into
    the query), released ones too, newest first; records it may not manage are left out
    (the API shows null: whether a record is held is for who manages it). Blocking."""
    scope = ManageScope.for_principal(principal)
    if scope.nothing:
        return {}
    manageable = services.retention.manageable(record_ids, scope)
    found = services.holds.naming(sorted(manageable), scope)
    return {record_id: found.get(record_id, []) for record_id in manageable}


def place_hold(
    services: Services,
    principal: Principal,
    *,
    name: str,
    reason: str,
    authority: str,
    record_ids: Sequence[str] = (),
    selector: RecordSelector = RecordSelector(),
) -> HoldChange:
    """Create a hold and add the records named by id or by the selector. Blocking."""
    require_manager(principal)
    for field, value in (("name", name), ("reason", reason), ("authority", authority)):
        if not value.strip():
            raise MetadataInvalid(field, "is required")
        if len(value.strip()) > TEXT_MAX[field]:
            raise MetadataInvalid(field, f"at most {TEXT_MAX[field]} characters")
    check_id_count(record_ids)
    validate_selector(selector)  # before the hold exists: a refused request writes nothing
    hold = LegalHold(
        id=str(uuid.uuid4()),
        name=name.strip(),
        reason=reason.strip(),
        authority=authority.strip(),
        created_by=principal.subject,
        created_at=services.clock(),
    )
    services.holds.create(hold)
    audit.append(
        services,
        actor=principal.subject,
        action="legal_hold.place",
        target=hold.id,
        details={"name": hold.name, "authority": hold.authority, "reason": hold.reason},
    )
    return add_to_hold(services, principal, hold.id, record_ids=record_ids, selector=selector)


def add_to_hold(
    services: Services,
    principal: Principal,
    hold_id: str,
    *,
    record_ids: Sequence[str] = (),
    selector: RecordSelector = RecordSelector(),
) -> HoldChange:
    """Name more records in an active hold; each one under its row lock. Blocking.

    Refused (and listed as such): an id that does not exist, an id the caller may
    not manage (the same answer), and a record whose purge has already started.
    """
    require_manager(principal)
    check_id_count(record_ids)
    validate_selector(selector)
    scope = ManageScope.for_principal(principal)
    hold = services.holds.get(hold_id, scope)
    if hold is None or not hold.active:
        raise NotFound(f"no active legal hold {hold_id}")
    selected = services.holds.select_ids(selector, scope)
    allowed = services.retention.manageable(record_ids, scope) | set(selected)
    added: list[str] = []
    refused: list[str] = []
    for record_id in dict.fromkeys([*record_ids, *selected]):
        ok = record_id in allowed and services.holds.add_record(
            hold_id, record_id, actor=principal.subject, now=services.clock()
        )
        (added if ok else refused).append(record_id)
    _mirror(services, added)
    if added or refused:
        audit.append(
            services,
            actor=principal.subject,
            action="legal_hold.add",
            target=hold_id,
            details={"added": len(added), "refused": len(refused), "first": (added or refused)[0]},
        )
    updated = services.holds.get(hold_id, scope)
    assert updated is not None
    return HoldChange(hold=updated, added=tuple(added), refused=tuple(refused))


def release_hold(services: Services, principal: Principal, hold_id: str, *, reason: str) -> LegalHold:
    """Release a hold with a reason; objects no other hold protects lose their S3 hold. Blocking.

    Forbidden when the hold names a record the caller may not manage: releasing
    it would lift that record's protection.
    """
    require_manager(principal)
    if not reason.strip():
        raise MetadataInvalid("reason", "a release needs a reason")
    if len(reason.strip()) > TEXT_MAX["reason"]:
        raise MetadataInvalid("reason", f"at most {TEXT_MAX['reason']} characters")
    hold, record_ids = services.holds.release(
        hold_id,
        ManageScope.for_principal(principal),
        actor=principal.subject,
        reason=reason.strip(),
        now=services.clock(),
    )
    _mirror(services, record_ids)
    audit.append(
        services,
        actor=principal.subject,
        action="legal_hold.release",
        target=hold_id,
        details={"reason": reason.strip(), "records": len(record_ids)},
    )
    return hold


def _mirror(services: Services, record_ids: Sequence[str]) -> None:
    """Set each object's legal hold and retention from the database's view."""
    held = services.holds.held_ids(record_ids)
    for state in services.retention.states(record_ids):
        try:
            if state.current is None:
                seal(services, state.facts.record_id)  # not sealed yet: compute and seal now
            else:
                apply_lock(services, state, state.current, held=state.facts.record_id in held)
        except NotFound:
            continue  # no object: reconcile reports it
