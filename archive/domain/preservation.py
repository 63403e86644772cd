"""Preservation metadata (PREMIS 3.0): what an AIP says about its files, what happened to
them, and who did it.

PREMIS describes four kinds of entity; an AIP uses three::

    object   a file of the package: identifier, SHA-256, size, format (PRONOM),
             original name, and what the archive found about its PDF signatures
    event    something that happened to objects: ingestion (the deposit), fixity
             checks, digital signature validation, format identification,
             information package creation, transfer; each with its date, outcome
             and the agents that took part
    agent    a person, an organisation or a piece of software

Events come from the audit chain (``archive.domain.audit``): each audit entry that is
about a record of the package becomes one PREMIS event whose identifier is the entry's
seq and hash, so anyone holding the chain can check the AIP's history against it. The
audit actions that have a PREMIS meaning are in ``EVENT_TYPES`` (the values are terms of
the Library of Congress's eventType vocabulary). The XML is written by
``archive.preservation``. Standard library only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from archive.domain.audit import AuditEntry, Outcome
from archive.domain.formats import FormatIdentification
from archive.domain.signatures import SignatureReport

EVENT_TYPE_AUTHORITY = "http://id.loc.gov/vocabulary/preservation/eventType"
AUDIT_EVENT = "audit-chain"  # eventIdentifierType of events taken from the audit chain
LOCAL = "local"  # identifier type of ids the archive itself gives (record ids, subjects)
PACKAGE_PATH = "filepath"  # objectIdentifierType: the file's path inside the package

# Audit action -> PREMIS eventType (id.loc.gov/vocabulary/preservation/eventType).
EVENT_TYPES: Mapping[str, str] = {
    "record.deposit": "ingestion",
    "record.processed": "digital signature validation",  # the worker verified signatures
    "fixity.run": "fixity check",
    "record.correct": "metadata modification",
    "record.file_version": "modification",
    "package.export": "information package creation",
    "transfer.prepare": "information package creation",
    "transfer.send": "transfer",
    "transfer.accept": "accession",
    "transfer.refuse": "transfer",
    "transfer.import": "ingestion",
}


class AgentKind:
    """``agentType`` values (PREMIS's agentType vocabulary)."""

    PERSON = "person"
    ORGANIZATION = "organization"
    SOFTWARE = "software"


class Role:
    """``linkingAgentRole`` values (PREMIS's eventRelatedAgentRole vocabulary)."""

    IMPLEMENTER = "implementer"
    EXECUTING_PROGRAM = "executing program"
    AUTHORIZER = "authorizer"


@dataclass(frozen=True, slots=True)
class Agent:
    """Someone or something that took part in an event."""

    identifier: str  # an actor's subject ("local:alice", "system:worker"), or a software name
    name: str
    kind: str  # AgentKind
    version: str | None = None
    note: str | None = None


@dataclass(frozen=True, slots=True)
class Event:
    """One thing that happened to some objects of the package."""

    identifier_type: str
    identifier: str
    type: str  # EVENT_TYPES value
    at: datetime
    detail: str
    outcome: str  # "success", "failure", or a finding such as "valid"/"untrusted"
    outcome_note: str = ""
    agents: tuple[tuple[str, str], ...] = ()  # (agent identifier, role)
    objects: tuple[str, ...] = ()  # object identifiers (package paths)


@dataclass(frozen=True, slots=True)
class FileObject:
    """A file of the package, as PREMIS describes it."""

    path: str  # inside the package (the objectIdentifier)
    record_id: str | None  # the record whose bytes it is, if any
    size: int
    sha256: str  # lower-case hex
    format: FormatIdentification
    original_name: str | None = None
    signatures: tuple[SignatureReport, ...] = ()
    events: tuple[tuple[str, str], ...] = field(default=())  # linked events: (type, identifier)


@dataclass(frozen=True, slots=True)
class Premis:
    """One PREMIS document: a representation's files (or the package's own), their events
    and the agents of those events."""

    objects: tuple[FileObject, ...]
    events: tuple[Event, ...]
    agents: tuple[Agent, ...]
    representation: str | None = None  # "rep1": a representation object names its files


@dataclass(frozen=True, slots=True)
class Preservation:
    """The two PREMIS documents of an AIP: the package's own (the representation object
    and the package's creation) and the representation's (its files and their history).
    Paths in both are relative to the representation folder (``data/...``)."""

    package: Premis
    representation: Premis


@dataclass(frozen=True, slots=True)
class ExtraFile:
    """A file a package carries beyond the TT05 layout, under ``documentation/`` (a DIP's
    request and its authentication PDF)."""

    path: str  # "documentation/..."
    data: bytes
    mime_type: str


def event_identifier(entry: AuditEntry) -> str:
    """An audit entry as an event id: its seq and hash, checkable against the chain."""
    return f"{entry.seq}:{entry.hash}"


def _outcome(entry: AuditEntry) -> str:
    return "success" if entry.outcome is Outcome.OK else "failure"


def audit_event(entry: AuditEntry, objects: tuple[str, ...]) -> Event | None:
    """The PREMIS event an audit entry stands for, about ``objects``; None if the action
    has no preservation meaning (a read, a search, a download)."""
    kind = EVENT_TYPES.get(entry.action)
    if kind is None:
        return None
    return Event(
        identifier_type=AUDIT_EVENT,
        identifier=event_identifier(entry),
        type=kind,
        at=entry.at,
        detail=f"{entry.action} ({entry.target})",
        outcome=_outcome(entry),
        outcome_note=_details_note(entry),
        agents=((entry.actor, Role.IMPLEMENTER),),
        objects=objects,
    )


def fixity_event(entry: AuditEntry, checked: Mapping[str, str]) -> Event:
    """A fixity run as it concerns the package's files (``checked``: record id -> path, the
    records stored before the run): failed when the run names one of them as changed or
    missing, passed when the run found nothing wrong at all, and otherwise undetermined
    (the audit entry names only the first changed and the first missing record; each
    file's SHA-256 is checked again as the package is written anyway)."""
    details = entry.details
    named = {details.get("first_changed"), details.get("first_missing")}
    if named.intersection(checked):
        outcome = "failure"
    elif entry.outcome is Outcome.OK and details.get("changed") == 0 and details.get("missing") == 0:
        outcome = "success"
    else:
        outcome = "undetermined"
    return Event(
        identifier_type=AUDIT_EVENT,
        identifier=event_identifier(entry),
        type=EVENT_TYPES["fixity.run"],
        at=entry.at,
        detail=f"fixity run {entry.target}: every stored object re-hashed (SHA-256)",
        outcome=outcome,
        outcome_note=_details_note(entry),
        agents=((entry.actor, Role.EXECUTING_PROGRAM),),
        objects=tuple(checked.values()),
    )


def signature_outcome(reports: Iterable[SignatureReport]) -> str:
    """The bottom line over a file's signatures: the worst verdict, or "no signature"."""
    verdicts = [r.verdict.value for r in reports]
    for worst in ("invalid", "untrusted", "valid"):
        if worst in verdicts:
            return worst
    return "no signature"


def _details_note(entry: AuditEntry) -> str:
    shown = (f"{k}={v}" for k, v in sorted(entry.details.items()) if v is not None)
    return ", ".join(shown)[:1000]


def agent_of(subject: str) -> Agent:
    """The agent an audit actor is: the service's own jobs are software, the rest people
    (a local operator, an API key's portal, a token's subject)."""
    if subject.startswith("system:") or subject in ("system", "importer"):
        return Agent(identifier=subject, name=subject, kind=AgentKind.SOFTWARE)
    return Agent(identifier=subject, name=subject, kind=AgentKind.PERSON)
