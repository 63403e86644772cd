"""Events as each principal may see them: the facts that decide it, looked up at the
moment of reading or delivery (``can_see_event``), and a scan of the audit chain that
yields only visible events.

Both the webhook outbox and the changes feed use ``visible_events``, so the two can
never disagree about what a principal hears of.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from archive.domain.access import UNRESTRICTED, Principal, Readable, can_see_event
from archive.domain.events import ACTION_EVENTS, Event, SubjectKind, event_of
from archive.domain.records import Classification
from archive.services.container import Services

SCAN_BATCH = 500


@dataclass(frozen=True, slots=True)
class SubjectFacts:
    """What decides who may hear of an event: the subject's read facts now, and whether
    only its tombstone is left. ``facts`` is None when nothing of it exists."""

    facts: Readable | None
    destroyed: bool = False
    transfer: bool = False


def subject_facts(services: Services, event: Event) -> SubjectFacts:
    """The facts about an event's subject as they are now. Blocking."""
    kind = event.type.kind
    if kind is SubjectKind.TRANSFER:
        return SubjectFacts(None, transfer=True)
    if kind is SubjectKind.DOSSIER:
        dossier = services.archival.dossier(event.subject_id, UNRESTRICTED)
        return SubjectFacts(None if dossier is None else Readable.of_dossier(dossier))
    record = services.records.get(event.subject_id, UNRESTRICTED)
    if record is not None:
        return SubjectFacts(Readable.of(record))
    tombstone = services.disposition.tombstone_of(event.subject_id)
    if tombstone is None:
        return SubjectFacts(None)
    return SubjectFacts(
        Readable(tombstone.agency_code, Classification(tombstone.classification), is_public=False),
        destroyed=True,
    )


def may_see(principal: Principal, subject: SubjectFacts) -> bool:
    """``can_see_event`` on looked-up facts."""
    return can_see_event(principal, subject.facts, destroyed=subject.destroyed, transfer=subject.transfer)


@dataclass
class FactsCache:
    """Facts looked up once per subject within one scan (a page, a fan-out batch)."""

    services: Services
    found: dict[tuple[SubjectKind, str], SubjectFacts] = field(default_factory=dict)

    def of(self, event: Event) -> SubjectFacts:
        key = (event.type.kind, event.subject_id)
        if key not in self.found:
            self.found[key] = subject_facts(self.services, event)
        return self.found[key]


def events_after(
    services: Services, seq: int, *, kinds: frozenset[SubjectKind] | None = None
) -> Iterator[Event]:
    """Every event after audit ``seq``, oldest first, read in batches. Blocking."""
    actions = [a for a, t in ACTION_EVENTS.items() if kinds is None or t.kind in kinds]
    while True:
        batch = services.audit.after(seq, actions=actions, limit=SCAN_BATCH)
        for entry in batch:
            event = event_of(entry)
            if event is not None:
                yield event
        if len(batch) < SCAN_BATCH:
            return
        seq = batch[-1].seq


def visible_events(
    services: Services,
    seq: int,
    visible: Callable[[Event], bool],
    *,
    kinds: frozenset[SubjectKind] | None = None,
) -> Iterator[Event]:
    """The events after ``seq`` that ``visible`` lets through, oldest first. Blocking."""
    return (event for event in events_after(services, seq, kinds=kinds) if visible(event))
