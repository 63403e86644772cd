"""Preservation metadata for an AIP: format identification of the documents' bytes and
their history read from the audit chain, as two PREMIS documents (the package's and the
representation's).

The history is read through ``archive.services.audit.query``, the audit log's own read
path: the caller must be an auditor, and sees only entries it may see, with the ids of
records it may not read taken out. So an AIP never tells its maker more than the audit
log would.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from archive.domain.access import Principal
from archive.domain.audit import AuditEntry, record_subjects
from archive.domain.formats import FormatIdentification
from archive.domain.ports import AuditFilter
from archive.domain.preservation import (
    LOCAL,
    Agent,
    AgentKind,
    Event,
    FileObject,
    Premis,
    Preservation,
    Role,
    agent_of,
    audit_event,
    fixity_event,
    signature_outcome,
)
from archive.domain.records import Record
from archive.domain.signatures import SignatureReport
from archive.services import audit
from archive.services.audit import ClientInfo
from archive.services.container import Services

SOFTWARE = "records-archive"
FIXITY = "fixity.run"
PROCESSED = "record.processed"
PACKAGE_ACTIONS = (
    "package.export",
    "transfer.prepare",
    "transfer.send",
    "transfer.accept",
    "transfer.refuse",
    "transfer.import",
)
"""Actions about several records at once (named in their ``ids`` detail): found by action."""


@dataclass(frozen=True, slots=True)
class PackageContext:
    """What the PREMIS documents say about the package being made."""

    objid: str
    created: datetime
    software_version: str
    representation: str = "rep1"


async def entries(
    services: Services, principal: Principal, client: ClientInfo, filter: AuditFilter
) -> list[AuditEntry]:
    """Every entry matching ``filter`` that the caller may see, oldest first."""
    found: list[AuditEntry] = []
    after: int | None = None
    size = services.settings.max_page_size
    while True:
        page = await audit.query(services, principal, client, filter, first=size, after_seq=after)
        found.extend(page.entries)
        if not page.has_next or not page.entries:
            return found[::-1]  # the log pages newest first
        after = page.entries[-1].seq


def identify(services: Services, records: Sequence[Record]) -> dict[str, FormatIdentification]:
    """Each record's format, by fido over a temporary copy of its stored bytes (streamed,
    so memory stays flat whatever the size), all in one run. Blocking."""
    with tempfile.TemporaryDirectory(prefix="archive-formats-") as folder:
        paths: dict[str, Path] = {}
        for record in records:
            path = Path(folder) / record.id
            with path.open("wb") as out:
                for chunk in services.blobs.iter_bytes(
                    record.file.storage_key, version_id=record.file.version_id
                ):
                    out.write(chunk)
            paths[record.id] = path
        found = services.formats.identify(list(paths.values()))
        return {record_id: found[path] for record_id, path in paths.items()}


async def preservation(
    services: Services,
    principal: Principal,
    client: ClientInfo,
    records: Sequence[Record],
    paths: Mapping[str, str],
    package: PackageContext,
) -> Preservation:
    """The PREMIS documents of an AIP holding ``records``, whose data files are at ``paths``
    (record id -> path relative to the representation folder)."""
    formats = await asyncio.to_thread(identify, services, records)
    signatures = await asyncio.to_thread(services.results.signatures_of, [r.id for r in records])
    history: list[Event] = []
    for record in records:
        history.extend(
            await _record_events(services, principal, client, record, paths[record.id], signatures)
        )
    history.extend(await _fixity_events(services, principal, client, records, paths))
    history.extend(await _package_events(services, principal, client, records, paths))
    history.sort(key=lambda e: e.at)
    history.append(_identification_event(package, formats, paths))
    linked: dict[str, list[tuple[str, str]]] = {path: [] for path in paths.values()}
    for event in history:  # one pass: a fixity run names every file of a large dossier
        for path in event.objects:
            linked[path].append((event.identifier_type, event.identifier))
    objects = tuple(
        FileObject(
            path=paths[r.id],
            record_id=r.id,
            size=r.file.size,
            sha256=r.file.sha256,
            format=formats[r.id],
            original_name=r.file.original_filename or None,
            signatures=tuple(signatures.get(r.id, ())),
            events=tuple(linked[paths[r.id]]),
        )
        for r in records
    )
    tool = next(iter(formats.values())).tool if formats else services.formats.tool
    agents = _agents(
        history, package, Agent(tool.name, tool.name, AgentKind.SOFTWARE, tool.version, tool.signatures)
    )
    representation = Premis(objects=objects, events=tuple(history), agents=agents, representation=None)
    return Preservation(package=_package_premis(package, objects, agents), representation=representation)


async def _record_events(
    services: Services,
    principal: Principal,
    client: ClientInfo,
    record: Record,
    path: str,
    signatures: Mapping[str, Sequence[SignatureReport]],
) -> list[Event]:
    """What happened to one record, from the entries about it."""
    events: list[Event] = []
    for entry in await entries(services, principal, client, AuditFilter(target=record.id)):
        event = audit_event(entry, (path,))
        if event is None:
            continue
        if entry.action == PROCESSED:  # the worker's run: the outcome is what it found
            event = replace(event, outcome=signature_outcome(signatures.get(record.id, ())))
        events.append(event)
    return events


async def _fixity_events(
    services: Services,
    principal: Principal,
    client: ClientInfo,
    records: Sequence[Record],
    paths: Mapping[str, str],
) -> list[Event]:
    """One event per fixity run since the first of these records was stored, about the
    records stored before it."""
    if not records:
        return []
    stored = {r.id: _utc(r.created_at) for r in records}
    runs = await entries(services, principal, client, AuditFilter(action=FIXITY, since=min(stored.values())))
    events = []
    for entry in runs:
        checked = {r.id: paths[r.id] for r in records if stored[r.id] <= _utc(entry.at)}
        if checked:
            events.append(fixity_event(entry, checked))
    return events


async def _package_events(
    services: Services,
    principal: Principal,
    client: ClientInfo,
    records: Sequence[Record],
    paths: Mapping[str, str],
) -> list[Event]:
    """Earlier packages and transfers that carried some of these records."""
    wanted = {r.id for r in records}
    events: list[Event] = []
    for action in PACKAGE_ACTIONS:
        for entry in await entries(services, principal, client, AuditFilter(action=action)):
            carried = sorted(wanted.intersection(record_subjects(entry.action, entry.target, entry.details)))
            event = audit_event(entry, tuple(paths[i] for i in carried)) if carried else None
            if event is not None:
                events.append(event)
    return events


def _utc(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes for timezone-aware columns; every one holds UTC.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _identification_event(
    package: PackageContext, formats: Mapping[str, FormatIdentification], paths: Mapping[str, str]
) -> Event:
    identified = sum(1 for f in formats.values() if f.identified)
    tool = next(iter(formats.values())).tool.describe() if formats else "no file"
    return Event(
        identifier_type=LOCAL,
        identifier=f"{package.objid}/format-identification",
        type="format identification",
        at=package.created,
        detail=f"PRONOM identification from the bytes by {tool}",
        outcome="success" if identified == len(formats) else "warning",
        outcome_note=f"{identified} of {len(formats)} files identified",
        agents=((SOFTWARE, Role.IMPLEMENTER), (_tool_id(formats), Role.EXECUTING_PROGRAM)),
        objects=tuple(paths[i] for i in formats),
    )


def _tool_id(formats: Mapping[str, FormatIdentification]) -> str:
    return next(iter(formats.values())).tool.name if formats else "fido"


def _agents(history: Sequence[Event], package: PackageContext, tool: Agent) -> tuple[Agent, ...]:
    software = Agent(SOFTWARE, SOFTWARE, AgentKind.SOFTWARE, package.software_version)
    named = {agent_id for event in history for agent_id, _ in event.agents}
    others = [agent_of(a) for a in sorted(named - {SOFTWARE, tool.identifier})]
    return (software, tool, *others)


def _package_premis(
    package: PackageContext, objects: tuple[FileObject, ...], agents: tuple[Agent, ...]
) -> Premis:
    """The package's own PREMIS: the representation, and the creation of this package."""
    creation = Event(
        identifier_type=LOCAL,
        identifier=f"{package.objid}/creation",
        type="information package creation",
        at=package.created,
        detail=f"AIP {package.objid} made from the archive's stored copies",
        outcome="success",
        agents=((SOFTWARE, Role.IMPLEMENTER),),
        objects=(),
    )
    return Premis(objects=(), events=(creation,), agents=agents[:1], representation=package.representation)
