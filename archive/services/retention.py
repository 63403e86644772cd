"""The retention schedule at work: compute each record's disposal date, seal its
object to match, and recompute (and re-seal) when the schedule changes.

Every use case a caller starts takes the acting ``Principal`` and runs check ->
act -> audit here, with the rules of ``archive.domain.access``: the retention
surface is for records managers and admins (``manages_retention``); a records
manager changes only rules confined to its own agencies (``can_change_rule``)
and puts in dossiers only records it may manage (``can_manage``), the others
behaving exactly like ids that do not exist. What a reader is told about a record's
retention (``of_records``, behind ``Record.retention``) follows ``can_read`` instead.

Sealing puts Object Lock retention until the disposal date on the record's
object version (the configured mode, governance by default), and a legal hold
instead when the record has no disposal date (kept permanently, or its clock has
not started) or an active legal hold names it.
It is idempotent: sealing twice changes nothing.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import tomllib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from archive.domain.access import (
    MANAGE_ALL,
    ManageScope,
    Principal,
    Readable,
    ReadScope,
    can_change_rule,
    can_describe,
    manages_retention,
)
from archive.domain.errors import Forbidden, MetadataInvalid, NotFound, RetentionConflict
from archive.domain.ports import Retention, RetentionMode
from archive.domain.records import Classification
from archive.domain.retention import (
    Assignment,
    Dossier,
    RecordRetention,
    RetentionRule,
    RetentionState,
    Schedule,
    assign,
    describe,
    lock_until,
    parse_schedule,
    validate_dossier,
    validate_rule,
)
from archive.services import audit
from archive.services.container import Services

_PAGE = 500
log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RuleChange:
    """What a schedule change did."""

    upserted: tuple[str, ...]
    deleted: tuple[str, ...]
    recomputed: int  # records whose rule or disposal date changed (a count: a change may touch millions)


def require_manager(principal: Principal) -> None:
    """Forbidden unless the caller may use the retention surface at all."""
    if not manages_retention(principal):
        raise Forbidden("this needs the records_manager or admin role")


def rules(services: Services, principal: Principal) -> list[RetentionRule]:
    """The schedule (records managers and admins). Blocking."""
    require_manager(principal)
    return services.retention.rules()


def of_records(
    services: Services, principal: Principal, record_ids: Sequence[str]
) -> dict[str, RecordRetention]:
    """The retention of each record the caller may read (``can_read``, compiled into the
    query); the others are left out, exactly like ids that do not exist. Blocking.

    A record not sealed yet, or last computed before the tiers (migration 0013), is
    told what computing it now gives: planning a disposition computes exactly that.
    """
    readable = services.records.get_many(record_ids, ReadScope.for_principal(principal), with_pages=False)
    if not readable:
        return {}
    rules = {r.code: r for r in services.retention.rules()}
    found: dict[str, RecordRetention] = {}
    for state in services.retention.states(sorted(readable)):
        current = state.current
        if current is None or current.maintenance is None:
            current = assign(rules.values(), state.facts)
        found[state.facts.record_id] = describe(current, rules)
    return found


# -- computing and sealing --------------------------------------------------------------


def compute(services: Services, record_id: str) -> Assignment:
    """Compute and store one record's assignment. Blocking."""
    states = services.retention.states([record_id])
    if not states:
        raise NotFound(f"record {record_id} does not exist")
    assignment = assign(services.retention.rules(), states[0].facts)
    services.retention.save({record_id: assignment}, now=services.clock())
    return assignment


def seal(services: Services, record_id: str) -> Assignment:
    """Compute the record's disposal date and lock its object to match. Idempotent. Blocking."""
    assignment = compute(services, record_id)
    state = services.retention.states([record_id])[0]
    held = bool(services.holds.held_ids([record_id]))
    apply_lock(services, state, assignment, held=held)
    return assignment


def apply_lock(services: Services, state: RetentionState, assignment: Assignment, *, held: bool) -> None:
    """Bring the retention and legal hold of every object of the record (each version of
    each file) in line with ``assignment`` and the holds."""
    for key, version in state.all_objects:
        retention = _wanted_retention(services, key, version, assignment)
        if retention is not None:
            services.blobs.set_retention(key, version, retention)
        _match_hold(services, key, version, assignment, held=held)


def _wanted_retention(
    services: Services, key: str, version: str | None, assignment: Assignment
) -> Retention | None:
    """The retention the object needs for ``assignment``, or None when what it has will do
    (no date, a date already past, or a lock already as long): a lock is only ever extended."""
    if assignment.disposal_date is None:
        return None
    until = lock_until(assignment.disposal_date)
    current = services.blobs.get_retention(key, version)
    if until <= services.clock() or (current is not None and current.until >= until):
        return None
    mode = services.settings.retention_mode
    if current is not None and current.mode is RetentionMode.COMPLIANCE:
        mode = RetentionMode.COMPLIANCE  # never loosen what compliance set
    return Retention(mode=mode, until=until)


def _match_hold(
    services: Services, key: str, version: str | None, assignment: Assignment, *, held: bool
) -> None:
    want_hold = assignment.undated or held
    if services.blobs.get_legal_hold(key, version) != want_hold:
        services.blobs.set_legal_hold(key, version, want_hold)


# -- changing the schedule --------------------------------------------------------------


def change_rules(
    services: Services,
    principal: Principal,
    *,
    upserts: Sequence[RetentionRule] = (),
    deletes: Sequence[str] = (),
) -> RuleChange:
    """Upsert and delete rules, recompute every affected record, re-seal, audit. Blocking.

    Raises Forbidden for a rule outside the caller's agencies (``can_change_rule``),
    and RetentionConflict, changing nothing, when a new disposal date would fall
    before the Object Lock retention already set on a record's object.
    """
    require_manager(principal)
    upserts = [validate_rule(r) for r in upserts]
    current = {r.code: r for r in services.retention.rules()}
    missing = [c for c in deletes if c not in current]
    if missing:
        raise NotFound(f"no retention rule {', '.join(missing)}")
    _check_schedule(upserts, current)
    _check_rule_scope(principal, [current[c] for c in deletes])
    _check_rule_scope(principal, [*upserts, *(current[r.code] for r in upserts if r.code in current)])
    new = dict(current)
    for code in deletes:
        new.pop(code)
    new.update({r.code: r for r in upserts})
    count = _apply_everywhere(services, list(new.values()), upserts=upserts, deletes=deletes)
    result = RuleChange(upserted=tuple(r.code for r in upserts), deleted=tuple(deletes), recomputed=count)
    _audit_change(services, result, upserts, principal.subject)
    return result


def _check_schedule(upserts: Iterable[RetentionRule], current: dict[str, RetentionRule]) -> None:
    """Rule codes are unique across schedules: a rule never moves from one to another
    by being loaded with another schedule's file."""
    for rule in upserts:
        owner = current.get(rule.code)
        if owner is not None and owner.schedule != rule.schedule:
            raise MetadataInvalid(
                "code",
                f"rule {rule.code} belongs to schedule {owner.schedule}, not {rule.schedule}: "
                "rule codes are unique across schedules",
            )


def recompute(services: Services, principal: Principal) -> RuleChange:
    """Recompute every record under the schedule as it stands and re-seal the changed
    ones (after an upgrade that changed how periods count). Blocking.

    It changes no rule, so it needs only the retention surface; like a rule change it
    is refused (RetentionConflict, changing nothing) rather than shorten a lock.
    """
    require_manager(principal)
    count = _apply_everywhere(services, services.retention.rules(), upserts=(), deletes=())
    audit.append(
        services,
        actor=principal.subject,
        action="retention.recompute",
        target="schedule",
        details={"recomputed": count},
    )
    return RuleChange(upserted=(), deleted=(), recomputed=count)


def _apply_everywhere(
    services: Services,
    rules: list[RetentionRule],
    *,
    upserts: Sequence[RetentionRule],
    deletes: Sequence[str],
) -> int:
    """Recompute every record under ``rules`` in two streamed passes, each holding one page:
    the first refuses (RetentionConflict, changing nothing) any lock it would shorten, the
    second writes the rules and the changed assignments in one transaction, re-sealing
    page by page. Returns how many assignments changed.

    Re-sealing runs before the commit: it only ever extends a lock or moves a hold to
    match, so a transaction that then fails leaves objects at least as protected as the
    database says, and ``recompute`` brings them in line again."""
    _refuse_earlier_than_lock_everywhere(services, rules)
    changed = _Counter()
    services.retention.change_rules(
        upserts, deletes, _changed_assignments(services, rules, changed), now=services.clock()
    )
    return changed.count


@dataclass(slots=True)
class _Counter:
    count: int = 0


def _changed_pages(
    services: Services, rules: list[RetentionRule]
) -> Iterator[list[tuple[RetentionState, Assignment]]]:
    """Per page of records (keyset paging by id), those whose assignment differs under ``rules``."""
    after = ""
    while page := services.retention.states(after=after, limit=_PAGE):
        yield [(state, new) for state in page if state.current != (new := assign(rules, state.facts))]
        after = page[-1].facts.record_id


def _changed_assignments(
    services: Services, rules: list[RetentionRule], counter: _Counter
) -> Iterator[tuple[str, Assignment]]:
    for changed in _changed_pages(services, rules):
        yield from ((state.facts.record_id, new) for state, new in changed)
        counter.count += len(changed)
        _reseal(services, changed)


def _refuse_earlier_than_lock_everywhere(services: Services, rules: list[RetentionRule]) -> None:
    """RetentionConflict naming at most ``MAX_IDS`` records (and counting all) when a new
    disposal date would fall before a lock already set; nothing is kept but those ids."""
    blocked: list[str] = []
    total = 0
    for changed in _changed_pages(services, rules):
        found = _blocked(services, changed)
        total += len(found)
        blocked.extend(found[: MAX_IDS - len(blocked)])
    if total:
        raise RetentionConflict(
            f"{total} record(s) would get a disposal date before the Object Lock retention already "
            f"set on their object, which storage cannot shorten; first: {blocked[0]}",
            tuple(blocked),
        )


def _check_rule_scope(principal: Principal, touched: Iterable[RetentionRule]) -> None:
    for rule in touched:
        if not can_change_rule(principal, rule.agencies):
            raise Forbidden(
                f"rule {rule.code}: a records manager changes only rules confined to its own agencies"
            )


def _refuse_earlier_than_lock(
    services: Services, changed: Sequence[tuple[RetentionState, Assignment]]
) -> None:
    blocked = _blocked(services, changed)
    if blocked:
        raise RetentionConflict(
            f"{len(blocked)} record(s) would get a disposal date before the Object Lock retention already "
            f"set on their object, which storage cannot shorten; first: {blocked[0]}",
            tuple(blocked),
        )


def _blocked(services: Services, changed: Iterable[tuple[RetentionState, Assignment]]) -> list[str]:
    """The records whose new disposal date would fall before their object's lock."""
    blocked: list[str] = []
    for state, new in changed:
        if new.disposal_date is None:
            continue
        try:
            current = services.blobs.get_retention(state.storage_key, state.version_id)
        except NotFound:
            continue  # no object, so no lock to shorten: `archive reconcile` reports it, as _reseal does
        if current is not None and current.until > lock_until(new.disposal_date):
            blocked.append(state.facts.record_id)
    return blocked


def _reseal(services: Services, changed: Sequence[tuple[RetentionState, Assignment]]) -> None:
    """Re-seal one page: holds object by object (they rarely change), the new retentions in
    one ``set_retentions`` call, so the store makes the whole page durable at once."""
    ids = [s.facts.record_id for s, _ in changed]
    held = services.holds.held_ids(ids)
    retentions: list[tuple[str, str | None, Retention]] = []
    for state, new in changed:
        try:
            wanted = [(k, v, _wanted_retention(services, k, v, new)) for k, v in state.all_objects]
            for key, version, _ in wanted:
                _match_hold(services, key, version, new, held=state.facts.record_id in held)
        except NotFound:
            # The object is missing: `archive reconcile` reports it; the new dates stand.
            log.warning("record %s has no object to seal", state.facts.record_id)
            continue
        retentions.extend((k, v, r) for k, v, r in wanted if r is not None)
    if retentions:
        services.blobs.set_retentions(retentions)


def _audit_change(
    services: Services, change: RuleChange, upserts: Sequence[RetentionRule], actor: str
) -> None:
    for rule in upserts:
        audit.append(
            services,
            actor=actor,
            action="retention.rule_upsert",
            target=rule.code,
            details={
                "title": rule.title,
                "years": rule.period_years,
                "trigger": rule.trigger.value,
                "document_types": json.dumps(list(rule.document_types), ensure_ascii=False),
                "agencies": json.dumps(list(rule.agencies)),
                "schedule": rule.schedule,
                "legal_basis": rule.legal_basis,
                "recomputed": change.recomputed,
            },
        )
    for code in change.deleted:
        audit.append(
            services,
            actor=actor,
            action="retention.rule_delete",
            target=code,
            details={"recomputed": change.recomputed},
        )


# -- dossiers and schedule files -----------------------------------------------------------


def upsert_dossier(services: Services, principal: Principal, dossier: Dossier) -> tuple[str, ...]:
    """Create or update a dossier; closing it starts its members' retention. Blocking.

    Forbidden when the dossier holds a record the caller may not manage: closing it
    would start that record's clock.
    """
    require_manager(principal)
    members = _store_dossier(services, principal, dossier)
    audit.append(
        services,
        actor=principal.subject,
        action="retention.dossier_upsert",
        target=dossier.code,
        details={"closed_on": None if dossier.closed_on is None else dossier.closed_on.isoformat()},
    )
    return _recompute_ids(services, members)


def _store_dossier(services: Services, principal: Principal, dossier: Dossier) -> list[str]:
    dossier = validate_dossier(dossier)
    existing = next((d for d in services.retention.dossiers() if d.code == dossier.code), None)
    agency = existing.agency_code if existing is not None else dossier.agency_code or _only_agency(principal)
    if not can_describe(
        principal, Readable(agency_code=agency, classification=Classification.ORDINARY, is_public=False)
    ):
        raise Forbidden("this dossier belongs to an agency outside your retention scope")
    dossier = dataclasses.replace(dossier, agency_code=agency)
    members = services.retention.dossier_members(dossier.code)
    scope = ManageScope.for_principal(principal)
    if services.retention.manageable(members, scope) != services.retention.manageable(members, MANAGE_ALL):
        raise Forbidden("this dossier holds records outside your retention scope")
    services.retention.upsert_dossier(dossier)
    return members


def _only_agency(principal: Principal) -> str:
    if len(principal.agencies) == 1:
        return next(iter(principal.agencies))
    raise MetadataInvalid("agency", "name the agency a new dossier belongs to")


def assign_dossier(
    services: Services, principal: Principal, code: str | None, record_ids: Sequence[str]
) -> tuple[str, ...]:
    """Put records in a dossier (or out of any, with None) and recompute them. Blocking.

    Only records the caller may manage move; any other id is ignored like one that
    does not exist.
    """
    require_manager(principal)
    check_id_count(record_ids)
    allowed = services.retention.manageable(record_ids, ManageScope.for_principal(principal))
    wanted = [r for r in dict.fromkeys(record_ids) if r in allowed]
    found = services.retention.set_dossier(code, wanted, now=services.clock())
    audit.append(
        services,
        actor=principal.subject,
        action="retention.dossier_assign",
        target=code or "",
        details={"records": len(found)},
    )
    return _recompute_ids(services, found)


def recompute_records(services: Services, record_ids: Sequence[str]) -> tuple[str, ...]:
    """Recompute and re-seal records whose dossier closed, reopened or changed its retention
    code (their clock or declared tier moved): system work for the dossier use cases, which
    check the caller first. RetentionConflict, changing nothing, rather than shorten a lock.
    Returns the ids whose assignment changed. Blocking."""
    return _recompute_ids(services, record_ids)


def _recompute_ids(services: Services, record_ids: Sequence[str]) -> tuple[str, ...]:
    rules = services.retention.rules()
    changed = [(s, assign(rules, s.facts)) for s in services.retention.states(record_ids)]
    changed = [(s, a) for s, a in changed if s.current != a]
    _refuse_earlier_than_lock(services, changed)
    services.retention.save({s.facts.record_id: a for s, a in changed}, now=services.clock())
    _reseal(services, changed)
    return tuple(s.facts.record_id for s, _ in changed)


def read_schedule(path: Path) -> Schedule:
    """A schedule file: JSON (``.json``) or TOML (``.toml``)."""
    text = path.read_text(encoding="utf-8")
    try:
        data = tomllib.loads(text) if path.suffix.lower() == ".toml" else json.loads(text)
    except (ValueError, tomllib.TOMLDecodeError) as exc:
        raise MetadataInvalid(
            "file", f"{path.name} is not valid {path.suffix.lstrip('.') or 'JSON'}: {exc}"
        ) from exc
    if not isinstance(data, dict):
        raise MetadataInvalid("file", "a schedule file holds one object with a 'rules' list")
    return parse_schedule(data)


def load_schedule(services: Services, principal: Principal, path: Path) -> RuleChange:
    """Upsert every rule (and dossier) of a schedule file. Rules not in the file are kept."""
    require_manager(principal)
    schedule = read_schedule(path)
    for dossier in schedule.dossiers:
        _store_dossier(services, principal, dossier)
    return change_rules(services, principal, upserts=schedule.rules)


MAX_IDS = 10_000  # record ids one call may name (holds, dossiers)


def check_id_count(record_ids: Sequence[str]) -> None:
    """Bound a list of record ids: MetadataInvalid naming ``recordIds`` beyond ``MAX_IDS``."""
    if len(record_ids) > MAX_IDS:
        raise MetadataInvalid("recordIds", f"at most {MAX_IDS} ids in one call")
