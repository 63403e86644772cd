"""edXML intake: one package from the national document interchange into the archive.

``import_package`` is the use case behind ``archive edxml import``, the drop folder
and the ``importEdxml`` mutation. Check, act, audit:

1. ``can_run_intake``: the caller may deposit for the receiving agency;
2. the package is read whole (``indexing.edxml``): a refusal names the part and
   writes nothing;
3. the same document (sender, ``DocumentId``, business type) taken in before: a
   no-op that returns the earlier intake;
4. its business type becomes the action (``archive.services.intake_actions``): a new
   or replacing document becomes a record whose files are the attachments plus the
   package itself, byte-identical, as the ``source`` file; an update or revocation
   acts on the record it names, or, when that document is not archived yet, is kept
   as a record of its own and flagged as pending its target;
5. one ``edxml.import`` audit entry (deposits, corrections and revocations audit
   themselves too), and, when an outbox is configured, the interchange's status
   package for the gateway to return.
"""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from dataclasses import dataclass

from archive.domain.access import Principal, ReadScope, can_run_intake
from archive.domain.audit import Outcome
from archive.domain.edxml import EdxmlPackage
from archive.domain.errors import ArchiveError, Forbidden, PackageRefused
from archive.domain.intake import Intake, IntakeOutcome, IntakeStatus
from archive.services.audit import append
from archive.services.container import Services
from archive.services.intake_actions import after_recorded, apply
from archive.services.pipeline import load_trust_roots
from indexing.edxml import PackageLimits, open_package
from indexing.edxml.status import Acknowledgement, write_acknowledgement

ACTION = "edxml.import"


@dataclass(frozen=True, slots=True)
class Received:
    """One package as it arrived: its bytes and a name for messages (a file name)."""

    data: bytes
    name: str = "package.edxml"


async def import_package(
    services: Services,
    principal: Principal,
    received: Received,
    *,
    agency_code: str | None = None,
    client: str = "",
) -> IntakeOutcome:
    """Take one package in for ``agency_code`` (default: the caller's only agency).

    Raises:
        Forbidden: the caller may not deposit for that agency.
        PackageRefused: the package is malformed, hostile, incomplete or its real
            signature fails; nothing was written.
        MetadataInvalid, FileRejected, DuplicateRecord: what the deposit of its
            document refuses (the header fails validation, an attachment is not what
            it claims, the agency already holds the same main file).
    """
    owner = agency_code or ""
    package: EdxmlPackage | None = None
    try:
        owner = _owner(principal, agency_code)
        if not can_run_intake(principal, owner):
            raise Forbidden(f"you may not take interchange packages in for agency {owner}")
        package = await asyncio.to_thread(_open, services, received.data)
        outcome = await _take_in(services, principal, received, package, owner, client)
    except ArchiveError as error:
        await asyncio.to_thread(_refused, services, principal, received, owner, error, client)
        if not isinstance(error, Forbidden):
            await asyncio.to_thread(_acknowledge, services, package, received, error.message)
        raise
    await asyncio.to_thread(_audit, services, principal, outcome, client)
    await asyncio.to_thread(_acknowledge, services, package, received, None)
    return outcome


def _owner(principal: Principal, agency_code: str | None) -> str:
    if agency_code:
        return agency_code
    if len(principal.agencies) == 1:
        return next(iter(principal.agencies))
    raise Forbidden("name the receiving agency (--agency): the caller belongs to none or several")


def _open(services: Services, data: bytes) -> EdxmlPackage:
    limits = PackageLimits(
        max_package_bytes=services.settings.edxml_max_package_bytes,
        max_attachment_bytes=services.settings.max_upload_bytes,
        max_attachments=services.settings.max_record_files - 1,  # the package is a file too
    )
    return open_package(data, load_trust_roots(services), limits, moment=services.clock())


async def _take_in(
    services: Services,
    principal: Principal,
    received: Received,
    package: EdxmlPackage,
    owner: str,
    client: str,
) -> IntakeOutcome:
    earlier = await asyncio.to_thread(services.intakes.by_key, package.key)
    if earlier is not None:
        return IntakeOutcome(earlier, created=False)
    action = await apply(services, principal, package, received.data, owner, client)
    intake = Intake(
        id=str(uuid.uuid4()),
        key=package.key,
        agency_code=owner,
        status=IntakeStatus.PENDING_TARGET if action.pending else IntakeStatus.APPLIED,
        record_id=action.record_id,
        target_document_id=action.target_document_id,
        received_at=services.clock(),
        received_by=principal.subject,
        package_sha256=hashlib.sha256(received.data).hexdigest(),
        signature=package.signature.state,
        trace=package.trace,
        reason=package.business.reason,
    )
    if not await asyncio.to_thread(services.intakes.add, intake):  # a concurrent import won
        winner = await asyncio.to_thread(services.intakes.by_key, package.key)
        assert winner is not None
        return IntakeOutcome(winner, created=False)
    await after_recorded(services, principal, package, intake, client)
    return IntakeOutcome(intake, created=True)


def _audit(services: Services, principal: Principal, outcome: IntakeOutcome, client: str) -> None:
    intake = outcome.intake
    details = {
        "document": intake.key.document_id[:200],
        "sender": intake.key.sender_organ_id,
        "business": intake.business_type.name.lower(),
        "status": intake.status.value if outcome.created else "unchanged",
        "signature": intake.signature.value,
    }
    append(
        services,
        actor=principal.subject,
        action=ACTION,
        target=intake.record_id,
        outcome=Outcome.OK,
        details=details,
        client=client,
    )


def _refused(
    services: Services, principal: Principal, received: Received, owner: str, error: ArchiveError, client: str
) -> None:
    details = {"code": error.code, "package": received.name[:200]}
    if isinstance(error, PackageRefused):
        details["part"] = error.part[:200]
    outcome = Outcome.DENIED if isinstance(error, Forbidden) else Outcome.ERROR
    append(
        services,
        actor=principal.subject,
        action=ACTION,
        target=f"agency:{owner}",
        outcome=outcome,
        details=details,
        client=client,
    )


def _acknowledge(
    services: Services, package: EdxmlPackage | None, received: Received, refusal: str | None
) -> None:
    """The interchange's status packages, when an outbox is configured: "received" for
    every package read, then "accepted" or "refused" with the reason."""
    outbox = services.settings.edxml_outbox_dir
    if outbox is None:
        return
    at = services.clock()
    if package is not None:
        write_acknowledgement(outbox, Acknowledgement.received(package, at))
    write_acknowledgement(outbox, Acknowledgement.decided(package, received.name, at, refusal=refusal))


async def intakes_of(services: Services, principal: Principal, record_id: str) -> list[Intake]:
    """The intakes that created or acted on a record the caller may read (else none: an
    unreadable record looks like one that does not exist)."""
    record = await asyncio.to_thread(services.records.get, record_id, ReadScope.for_principal(principal))
    if record is None:
        return []
    return await asyncio.to_thread(services.intakes.of_record, record_id)
