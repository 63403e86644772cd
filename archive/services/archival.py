"""Fonds and dossiers at work: describe them, take a dossier through its life, and place
its documents in order.

Every use case takes the acting ``Principal`` and runs check -> act -> audit here,
with the rules of ``archive.domain.access``: a fonds or dossier the caller may not
read is NotFound (exactly like one that does not exist); describing, closing or
placing records is ``can_describe`` (a records manager of the unit's agency within
clearance, or an admin), else Forbidden. Only records the caller may manage are
placed; the others, and records of another agency than the dossier's, are refused
and listed like ids that do not exist.

Closing a dossier starts its members' retention clock: their disposal dates are
recomputed and their objects re-sealed through ``archive.services.retention``.
Every action is audited with the dossier (or fonds) id as target; the member records
it touched are listed in the ``ids`` detail, so an auditor who may not read one of
them never sees it there.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from archive.domain import archival as da
from archive.domain.access import (
    UNRESTRICTED,
    ManageScope,
    Principal,
    Readable,
    ReadScope,
    can_describe,
    can_read_fonds,
)
from archive.domain.archival import Dossier, DossierFigures, DossierStatus, Fonds
from archive.domain.audit import COUNT_DETAIL, IDS_DETAIL, DetailValue
from archive.domain.errors import Forbidden, MetadataInvalid, NotFound, RetentionConflict
from archive.domain.records import Classification
from archive.services import audit, retention
from archive.services.container import Services
from archive.services.retention import check_id_count

# Fields a dossier update may change; status, closed_on and the fonds move only through
# the lifecycle use cases.
DOSSIER_FIELDS = frozenset(
    {
        "file_code",
        "title",
        "maintenance",
        "mode",
        "languages",
        "start_date",
        "end_date",
        "keyword",
        "number_of_paper",
        "physical_format",
        "infor_sign",
        "paper_file_code",
        "risk_recovery",
        "risk_recovery_status",
        "description",
        "classification",
        "year",
        "file_number",
    }
)
FONDS_FIELDS = frozenset(
    {
        "code",
        "name",
        "status",
        "history",
        "time_span",
        "total_documents",
        "classification_scheme",
        "languages",
        "backup_mode",
        "notes",
    }
)


@dataclass(frozen=True, slots=True)
class Placement:
    """What a placement did: the dossier after it, the records placed, the ids refused."""

    dossier: Dossier
    placed: tuple[str, ...]
    refused: tuple[str, ...]


def unit(agency_code: str, classification: Classification = Classification.ORDINARY) -> Readable:
    """The facts ``can_describe`` needs about a fonds or dossier."""
    return Readable(agency_code=agency_code, classification=classification, is_public=False)


# -- fonds ------------------------------------------------------------------------------------


def list_fonds(services: Services, principal: Principal) -> list[Fonds]:
    """The fonds whose description the caller may read, by code. Blocking."""
    agencies = None if principal.reads_across_agencies else principal.agencies
    return [f for f in services.archival.fonds_listing(agencies) if can_read_fonds(principal, f.agency_code)]


def get_fonds(services: Services, principal: Principal, fonds_id: str) -> Fonds | None:
    """A fonds the caller may read, else None (exactly like one that does not exist). Blocking."""
    found = services.archival.fonds(fonds_id)
    return found if found is not None and can_read_fonds(principal, found.agency_code) else None


def create_fonds(services: Services, principal: Principal, fonds: Fonds) -> Fonds:
    """Describe a new fonds of ``fonds.agency_code`` (its id is made here). Blocking."""
    if not fonds.agency_code:
        fonds = dataclasses.replace(fonds, agency_code=_only_agency(principal))
    if not can_describe(principal, unit(fonds.agency_code)):
        raise Forbidden("describing a fonds needs the records_manager role for its agency, or admin")
    fonds = da.validate_fonds(dataclasses.replace(fonds, id=str(uuid.uuid4()), created_at=services.clock()))
    services.archival.save_fonds(fonds)
    _audit(services, principal, "fonds.create", fonds.id, {"code": fonds.code, "agency": fonds.agency_code})
    return fonds


def update_fonds(services: Services, principal: Principal, fonds_id: str, changes: dict[str, Any]) -> Fonds:
    """Change a fonds's description (``changes`` by field name). Blocking."""
    _check_fields(changes, FONDS_FIELDS)
    current = _readable_fonds(services, principal, fonds_id)
    if not can_describe(principal, unit(current.agency_code)):
        raise Forbidden("describing a fonds needs the records_manager role for its agency, or admin")
    fonds = da.validate_fonds(dataclasses.replace(current, **changes))
    services.archival.save_fonds(fonds)
    _audit(services, principal, "fonds.update", fonds.id, {"fields": ",".join(sorted(changes))})
    return fonds


def _readable_fonds(services: Services, principal: Principal, fonds_id: str) -> Fonds:
    found = get_fonds(services, principal, fonds_id)
    if found is None:
        raise NotFound(f"no fonds {fonds_id}")
    return found


# -- dossiers: reading ------------------------------------------------------------------------


def get_dossier(services: Services, principal: Principal, dossier_id: str) -> Dossier | None:
    """A dossier the caller may read (``can_read_dossier``), else None. Blocking."""
    return services.archival.dossier(dossier_id, ReadScope.for_principal(principal))


def list_dossiers(
    services: Services,
    principal: Principal,
    *,
    fonds_id: str | None = None,
    status: DossierStatus | None = None,
    year: int | None = None,
    after: str | None = None,
    limit: int = 100,
) -> list[Dossier]:
    """Dossiers the caller may read, by (fonds, file code, id). Blocking."""
    return services.archival.dossiers(
        ReadScope.for_principal(principal),
        fonds_id=fonds_id,
        status=status,
        year=year,
        after=after,
        limit=limit,
    )


def dossier_figures(services: Services, principal: Principal, dossier: Dossier) -> DossierFigures:
    """The derived fields over the members the caller may read: never a count of the others."""
    return da.figures(dossier, services.archival.members(dossier.id, ReadScope.for_principal(principal)))


def member_ids(services: Services, principal: Principal, dossier_id: str) -> list[str]:
    """The ids of the members the caller may read, in ordinal order. Blocking."""
    return [m.record_id for m in services.archival.members(dossier_id, ReadScope.for_principal(principal))]


# -- dossiers: describing ---------------------------------------------------------------------


def create_dossier(
    services: Services, principal: Principal, draft: Dossier, *, agency_identifier: str = ""
) -> Dossier:
    """Describe a new open dossier in ``draft.fonds_id``. Blocking.

    Its ``file_code`` is given whole, or composed from the agency identifier (default:
    the fonds's agency code), ``year`` and ``file_number`` (``compose_file_code``).
    """
    fonds = _readable_fonds(services, principal, draft.fonds_id)
    if not can_describe(principal, unit(fonds.agency_code, draft.classification)):
        raise Forbidden("describing a dossier needs the records_manager role for its agency, or admin")
    now = services.clock()
    dossier = dataclasses.replace(
        draft,
        id=str(uuid.uuid4()),
        agency_code=fonds.agency_code,
        file_code=draft.file_code or _composed(draft, agency_identifier or fonds.agency_code),
        status=DossierStatus.OPEN,
        closed_on=None,
        created_at=now,
        updated_at=now,
    )
    stored = services.archival.save_dossier(da.validate_dossier(dossier), expected_version=None)
    _audit(services, principal, "dossier.create", stored.id, {"file_code": stored.file_code})
    return stored


def _composed(draft: Dossier, agency_identifier: str) -> str:
    if draft.year is None:
        raise MetadataInvalid("year", "give the year the dossier was formed, or the whole fileCode")
    if not draft.file_number.strip():
        raise MetadataInvalid("file_number", "give the dossier's number and notation, or the whole fileCode")
    return da.compose_file_code(agency_identifier, draft.year, draft.file_number.strip())


def _recomposed(current: Dossier, wanted: Dossier) -> str:
    """The file code after its year or number changed, keeping its agency identifier; refused
    when the code was given whole (nothing says which part is the year)."""
    suffix = f".{current.year}.{current.file_number}"
    if current.year is None or not current.file_code.endswith(suffix):
        raise MetadataInvalid("file_code", "this file code was given whole: give the new fileCode too")
    return _composed(wanted, current.file_code.removesuffix(suffix))


def update_dossier(
    services: Services,
    principal: Principal,
    dossier_id: str,
    changes: dict[str, Any],
    *,
    expected_version: int,
) -> Dossier:
    """Change a dossier's description; StaleWrite when it changed since ``expected_version``.
    A transferred dossier belongs to the historical archive and is not changed. Blocking."""
    _check_fields(changes, DOSSIER_FIELDS)
    current = _describable(services, principal, dossier_id)
    if current.status is DossierStatus.TRANSFERRED:
        raise MetadataInvalid("status", "a transferred dossier is no longer described here")
    wanted = dataclasses.replace(current, **changes, updated_at=services.clock())
    if {"year", "file_number"} & set(changes) and "file_code" not in changes:
        wanted = dataclasses.replace(wanted, file_code=_recomposed(current, wanted))
    if not can_describe(principal, Readable.of_dossier(wanted)):
        raise Forbidden("your clearance does not cover that classification")
    stored = services.archival.save_dossier(da.validate_dossier(wanted), expected_version=expected_version)
    _audit(services, principal, "dossier.update", stored.id, {"fields": ",".join(sorted(changes))})
    return stored


# -- dossiers: lifecycle ----------------------------------------------------------------------


def close_dossier(
    services: Services,
    principal: Principal,
    dossier_id: str,
    *,
    expected_version: int | None = None,
    closed_on: date | None = None,
) -> Dossier:
    """Close an open dossier (today, or on the day its work was completed when that was
    earlier, e.g. a paper dossier described years later): its members' retention starts
    counting from that year. Blocking.

    Refused (MetadataInvalid, nothing changed) with the list of required fields it still
    lacks (``missing_for_close``), with the ids of members still being processed, or when
    ``closed_on`` is in the future or before its last document.
    """
    current = _describable(services, principal, dossier_id)
    da.check_transition(current.status, DossierStatus.CLOSED)
    members = _all_managed_members(services, principal, current)
    waiting = [m.record_id for m in members if m.processing]
    if waiting:
        raise MetadataInvalid("documents", f"still being processed: {', '.join(waiting)}")
    figures = da.figures(current, members)
    missing = da.missing_for_close(current, figures)
    if missing:
        raise MetadataInvalid("dossier", f"required before closing: {', '.join(missing)}")
    today = services.clock().date()
    closed_on = closed_on or today
    if closed_on > today:
        raise MetadataInvalid("closed_on", "is in the future")
    if figures.end_date is not None and closed_on < figures.end_date:
        raise MetadataInvalid("closed_on", f"is before its last document ({figures.end_date.isoformat()})")
    closed = _move(
        services,
        current,
        DossierStatus.CLOSED,
        closed_on=closed_on,
        expected_version=expected_version,
        member_ids=[m.record_id for m in members],
    )
    _audit(services, principal, "dossier.close", closed.id, _ids([m.record_id for m in members]))
    return closed


def reopen_dossier(
    services: Services, principal: Principal, dossier_id: str, *, expected_version: int | None = None
) -> Dossier:
    """Reopen a closed dossier still with the agency: its members' clock stops. Blocking."""
    current = _describable(services, principal, dossier_id)
    da.check_transition(current.status, DossierStatus.OPEN)
    ids = [m.record_id for m in _all_managed_members(services, principal, current)]
    reopened = _move(
        services,
        current,
        DossierStatus.OPEN,
        closed_on=None,
        expected_version=expected_version,
        member_ids=ids,
    )
    _audit(services, principal, "dossier.reopen", reopened.id, _ids(ids))
    return reopened


def hand_over_dossier(
    services: Services, principal: Principal, dossier_id: str, *, expected_version: int | None = None
) -> Dossier:
    """Record that a closed dossier was handed to the agency archive. Blocking."""
    return _advance(services, principal, dossier_id, DossierStatus.IN_AGENCY_ARCHIVE, expected_version)


def transfer_dossier(
    services: Services, principal: Principal, dossier_id: str, *, expected_version: int | None = None
) -> Dossier:
    """Record that a dossier was transferred to the historical archive (its status only). Blocking."""
    return _advance(services, principal, dossier_id, DossierStatus.TRANSFERRED, expected_version)


def _advance(
    services: Services,
    principal: Principal,
    dossier_id: str,
    wanted: DossierStatus,
    expected_version: int | None,
) -> Dossier:
    current = _describable(services, principal, dossier_id)
    da.check_transition(current.status, wanted)
    moved = services.archival.save_dossier(
        dataclasses.replace(current, status=wanted, updated_at=services.clock()),
        expected_version=current.row_version if expected_version is None else expected_version,
    )
    _audit(services, principal, f"dossier.{wanted.value}", moved.id, {"from": current.status.value})
    return moved


def _move(
    services: Services,
    current: Dossier,
    status: DossierStatus,
    *,
    closed_on: Any,
    expected_version: int | None,
    member_ids: Sequence[str],
) -> Dossier:
    """Save the new status, then recompute the members' retention; when storage refuses a
    new date (RetentionConflict) the dossier goes back as it was, so nothing is half-done."""
    moved = services.archival.save_dossier(
        dataclasses.replace(current, status=status, closed_on=closed_on, updated_at=services.clock()),
        expected_version=current.row_version if expected_version is None else expected_version,
    )
    try:
        retention.recompute_records(services, member_ids)
    except RetentionConflict:
        services.archival.save_dossier(current, expected_version=moved.row_version)
        raise
    return moved


# -- placing documents ------------------------------------------------------------------------


def place_records(
    services: Services, principal: Principal, dossier_id: str, record_ids: Sequence[str]
) -> Placement:
    """Append records to an open dossier, in the given order, taking each out of any other
    open dossier. Refused and listed (like ids that do not exist): records the caller may
    not manage, records of another agency, records in a dossier that is no longer open.
    Blocking."""
    check_id_count(record_ids)
    dossier = _open_dossier(services, principal, dossier_id)
    allowed = _placeable(services, principal, dossier, record_ids)
    placed = services.archival.place(dossier.id, allowed, now=services.clock()) if allowed else []
    refused = [r for r in dict.fromkeys(record_ids) if r not in placed]
    retention.recompute_records(services, placed)
    _audit(services, principal, "dossier.place", dossier.id, {**_ids(placed), "refused": len(refused)})
    return Placement(dossier=dossier, placed=tuple(placed), refused=tuple(refused))


def move_record(
    services: Services, principal: Principal, record_id: str, dossier_id: str, *, position: int | None = None
) -> Placement:
    """Place one record in a dossier (out of its current one) and, with ``position``, put it
    at that place in the order (1 = first), the others keeping their order. Blocking."""
    if position is not None:
        da.check_ordinal(position)
    placement = place_records(services, principal, dossier_id, [record_id])
    if not placement.placed:
        raise NotFound(f"no record {record_id} you may place in this dossier")
    if position is not None:
        order = [r for r in services.archival.member_ids(dossier_id) if r != record_id]
        order.insert(min(position, len(order) + 1) - 1, record_id)
        services.archival.reorder(dossier_id, order, now=services.clock())
    return placement


def remove_records(
    services: Services, principal: Principal, dossier_id: str, record_ids: Sequence[str]
) -> Placement:
    """Take records out of an open dossier; ids not in it, or that the caller may not
    manage, are refused and listed. The others keep their ordinals. Blocking."""
    check_id_count(record_ids)
    dossier = _open_dossier(services, principal, dossier_id)
    members = set(services.archival.member_ids(dossier.id))
    managed = services.retention.manageable(
        [r for r in record_ids if r in members], ManageScope.for_principal(principal)
    )
    removed = services.archival.unplace(sorted(managed), now=services.clock()) if managed else []
    refused = [r for r in dict.fromkeys(record_ids) if r not in removed]
    retention.recompute_records(services, removed)
    _audit(services, principal, "dossier.remove", dossier.id, {**_ids(removed), "refused": len(refused)})
    return Placement(dossier=dossier, placed=tuple(removed), refused=tuple(refused))


def reorder_dossier(
    services: Services, principal: Principal, dossier_id: str, record_ids: Sequence[str]
) -> Dossier:
    """Renumber a dossier's documents 1..n in the given order, which must name every member
    once; the caller must manage every member. A transferred dossier is not renumbered.
    Blocking."""
    check_id_count(record_ids)
    dossier = _describable(services, principal, dossier_id)
    if dossier.status is DossierStatus.TRANSFERRED:
        raise MetadataInvalid("status", "a transferred dossier is no longer renumbered here")
    _all_managed_members(services, principal, dossier)
    services.archival.reorder(dossier.id, list(record_ids), now=services.clock())
    _audit(services, principal, "dossier.reorder", dossier.id, _ids(list(record_ids)))
    return dossier


def _placeable(
    services: Services, principal: Principal, dossier: Dossier, record_ids: Sequence[str]
) -> list[str]:
    """The ids, in order, the caller may place in ``dossier``."""
    managed = services.retention.manageable(record_ids, ManageScope.for_principal(principal))
    records = services.records.get_many(sorted(managed), UNRESTRICTED, with_pages=False)
    sources = {r.dossier_id for r in records.values() if r.dossier_id and r.dossier_id != dossier.id}
    open_sources = {
        d
        for d in sources
        if (found := services.archival.dossier(d, UNRESTRICTED)) is not None and found.is_open
    }
    return [
        r
        for r in dict.fromkeys(record_ids)
        if r in records
        and records[r].agency_code == dossier.agency_code
        and (records[r].dossier_id in {None, dossier.id} or records[r].dossier_id in open_sources)
    ]


# -- shared checks ----------------------------------------------------------------------------


def _describable(services: Services, principal: Principal, dossier_id: str) -> Dossier:
    """The dossier, NotFound when the caller may not read it, Forbidden when it may not describe it."""
    found = get_dossier(services, principal, dossier_id)
    if found is None:
        raise NotFound(f"no dossier {dossier_id}")
    if not can_describe(principal, Readable.of_dossier(found)):
        raise Forbidden("this needs the records_manager role for the dossier's agency, or admin")
    return found


def _open_dossier(services: Services, principal: Principal, dossier_id: str) -> Dossier:
    dossier = _describable(services, principal, dossier_id)
    if not dossier.is_open:
        raise MetadataInvalid(
            "status", f"the dossier is {dossier.status.value}: reopen it to change its documents"
        )
    return dossier


def _all_managed_members(services: Services, principal: Principal, dossier: Dossier) -> list[da.Member]:
    """Every member; Forbidden when one is outside what the caller may manage, since the
    change would act on it (start its clock, renumber it)."""
    members = services.archival.members(dossier.id, UNRESTRICTED)
    ids = [m.record_id for m in members]
    if len(services.retention.manageable(ids, ManageScope.for_principal(principal))) != len(ids):
        raise Forbidden("this dossier holds records outside what you may manage")
    return members


def _check_fields(changes: dict[str, Any], allowed: frozenset[str]) -> None:
    unknown = sorted(set(changes) - allowed)
    if unknown:
        raise MetadataInvalid(unknown[0], "cannot be changed here")


def _only_agency(principal: Principal) -> str:
    if len(principal.agencies) == 1:
        return next(iter(principal.agencies))
    raise MetadataInvalid("agency", "name the agency the fonds belongs to")


def _ids(record_ids: Sequence[str]) -> dict[str, DetailValue]:
    return {IDS_DETAIL: ",".join(record_ids), COUNT_DETAIL: len(record_ids)}


def _audit(
    services: Services, principal: Principal, action: str, target: str, details: dict[str, DetailValue]
) -> None:
    audit.append(services, actor=principal.subject, action=action, target=target, details=details)
