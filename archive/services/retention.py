"""The retention schedule at work: compute each record's disposal date, seal its
object to match, and recompute (and re-seal) when the schedule changes.

Sealing puts Object Lock retention until the disposal date on the record's
object version (the configured mode, governance by default), and a legal hold
instead when the record is kept permanently or an active legal hold names it.
It is idempotent: sealing twice changes nothing.
"""

from __future__ import annotations

import json
import logging
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from archive.db.holds import SqlHoldStore
from archive.db.retention import RetentionState, SqlRetentionStore
from archive.domain.errors import MetadataInvalid, NotFound, RetentionConflict
from archive.domain.ports import Retention, RetentionMode
from archive.domain.retention import (
    Assignment,
    Dossier,
    RetentionRule,
    Schedule,
    assign,
    lock_until,
    parse_schedule,
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
    recomputed: tuple[str, ...]  # record ids whose rule or disposal date changed


def store(services: Services) -> SqlRetentionStore:
    return SqlRetentionStore(services.engine)


# -- computing and sealing --------------------------------------------------------------


def compute(services: Services, record_id: str) -> Assignment:
    """Compute and store one record's assignment. Blocking."""
    states = store(services).states([record_id])
    if not states:
        raise NotFound(f"record {record_id} does not exist")
    assignment = assign(store(services).rules(), states[0].facts)
    store(services).save({record_id: assignment}, now=services.clock())
    return assignment


def seal(services: Services, record_id: str) -> Assignment:
    """Compute the record's disposal date and lock its object to match. Idempotent. Blocking."""
    assignment = compute(services, record_id)
    state = store(services).states([record_id])[0]
    held = bool(SqlHoldStore(services.engine).held_ids([record_id]))
    apply_lock(services, state, assignment, held=held)
    return assignment


def apply_lock(services: Services, state: RetentionState, assignment: Assignment, *, held: bool) -> None:
    """Bring the object's retention and legal hold in line with ``assignment`` and the holds."""
    key, version = state.storage_key, state.version_id
    if assignment.disposal_date is not None:
        until = lock_until(assignment.disposal_date)
        current = services.blobs.get_retention(key, version)
        if until > services.clock() and (current is None or current.until < until):
            mode = services.settings.retention_mode
            if current is not None and current.mode is RetentionMode.COMPLIANCE:
                mode = RetentionMode.COMPLIANCE  # never loosen what compliance set
            services.blobs.set_retention(key, version, Retention(mode=mode, until=until))
    want_hold = assignment.permanent or held
    if services.blobs.get_legal_hold(key, version) != want_hold:
        services.blobs.set_legal_hold(key, version, want_hold)


# -- changing the schedule --------------------------------------------------------------


def change_rules(
    services: Services,
    *,
    upserts: Sequence[RetentionRule] = (),
    deletes: Sequence[str] = (),
    actor: str,
) -> RuleChange:
    """Upsert and delete rules, recompute every affected record, re-seal, audit. Blocking.

    Raises RetentionConflict, changing nothing, when a new disposal date would
    fall before the Object Lock retention already set on a record's object.
    """
    upserts = [validate_rule(r) for r in upserts]
    rules = {r.code: r for r in store(services).rules()}
    missing = [c for c in deletes if c not in rules]
    if missing:
        raise NotFound(f"no retention rule {', '.join(missing)}")
    for code in deletes:
        rules.pop(code)
    rules.update({r.code: r for r in upserts})
    changed = _recomputed(services, list(rules.values()))
    _refuse_earlier_than_lock(services, changed)
    store(services).change_rules(
        upserts, deletes, {s.facts.record_id: a for s, a in changed}, now=services.clock()
    )
    result = RuleChange(
        upserted=tuple(r.code for r in upserts),
        deleted=tuple(deletes),
        recomputed=tuple(s.facts.record_id for s, _ in changed),
    )
    _audit_change(services, result, upserts, actor)
    _reseal(services, changed)
    return result


def _recomputed(services: Services, rules: list[RetentionRule]) -> list[tuple[RetentionState, Assignment]]:
    """Every record whose assignment differs under ``rules``, with the new one."""
    changed: list[tuple[RetentionState, Assignment]] = []
    after = ""
    while page := store(services).states(after=after, limit=_PAGE):
        for state in page:
            new = assign(rules, state.facts)
            if state.current != new:
                changed.append((state, new))
        after = page[-1].facts.record_id
    return changed


def _refuse_earlier_than_lock(
    services: Services, changed: Iterable[tuple[RetentionState, Assignment]]
) -> None:
    blocked: list[str] = []
    for state, new in changed:
        if new.disposal_date is None:
            continue
        current = services.blobs.get_retention(state.storage_key, state.version_id)
        if current is not None and current.until > lock_until(new.disposal_date):
            blocked.append(state.facts.record_id)
    if blocked:
        raise RetentionConflict(
            f"{len(blocked)} record(s) would get a disposal date before the Object Lock retention already "
            f"set on their object, which storage cannot shorten; first: {blocked[0]}",
            tuple(blocked),
        )


def _reseal(services: Services, changed: Sequence[tuple[RetentionState, Assignment]]) -> None:
    ids = [s.facts.record_id for s, _ in changed]
    held = SqlHoldStore(services.engine).held_ids(ids)
    for state, new in changed:
        try:
            apply_lock(services, state, new, held=state.facts.record_id in held)
        except NotFound:
            # The object is missing: `archive reconcile` reports it; the new dates stand.
            log.warning("record %s has no object to seal", state.facts.record_id)


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
                "recomputed": len(change.recomputed),
            },
        )
    for code in change.deleted:
        audit.append(
            services,
            actor=actor,
            action="retention.rule_delete",
            target=code,
            details={"recomputed": len(change.recomputed)},
        )


# -- dossiers and schedule files -----------------------------------------------------------


def upsert_dossier(services: Services, dossier: Dossier, *, actor: str) -> tuple[str, ...]:
    """Create or update a dossier; closing it starts its members' retention. Blocking."""
    if not dossier.code.strip() or not dossier.title.strip():
        raise MetadataInvalid("code", "a dossier needs a code and a title")
    store(services).upsert_dossier(dossier)
    members = store(services).dossier_members(dossier.code)
    audit.append(
        services,
        actor=actor,
        action="retention.dossier_upsert",
        target=dossier.code,
        details={"closed_on": None if dossier.closed_on is None else dossier.closed_on.isoformat()},
    )
    return _recompute_ids(services, members)


def assign_dossier(
    services: Services, code: str | None, record_ids: Sequence[str], *, actor: str
) -> tuple[str, ...]:
    """Put records in a dossier (or out of any, with None) and recompute them. Blocking."""
    found = store(services).set_dossier(code, record_ids, now=services.clock())
    audit.append(
        services,
        actor=actor,
        action="retention.dossier_assign",
        target=code or "",
        details={"records": len(found)},
    )
    return _recompute_ids(services, found)


def _recompute_ids(services: Services, record_ids: Sequence[str]) -> tuple[str, ...]:
    rules = store(services).rules()
    changed = [(s, assign(rules, s.facts)) for s in store(services).states(record_ids)]
    changed = [(s, a) for s, a in changed if s.current != a]
    _refuse_earlier_than_lock(services, changed)
    store(services).save({s.facts.record_id: a for s, a in changed}, now=services.clock())
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


def load_schedule(services: Services, path: Path, *, actor: str) -> RuleChange:
    """Upsert every rule (and dossier) of a schedule file. Rules not in the file are kept."""
    schedule = read_schedule(path)
    for dossier in schedule.dossiers:
        store(services).upsert_dossier(dossier)
    return change_rules(services, upserts=schedule.rules, actor=actor)
