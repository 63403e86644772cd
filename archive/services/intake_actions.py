"""What each edXML business type does to the archive (``BussinessDocType``).

* **new (0)**: a record; its files are the attachments (main, appendices,
  attachments by ``archive.domain.edxml.attachment_roles``) plus the package itself,
  byte-identical, as the ``source`` file. Each ``ResponseFor`` becomes a
  ``responds_to`` relation (to the record when it is here, else an external
  reference, linked when that document arrives).
* **replace (3)**: a new record as above, which replaces each document of
  ``ReplacementInfoList`` (the record when here, else an external reference).
* **update (2)**: the record the package names gets a metadata correction (the
  fields the new header changes), a new version of its main file when the document
  changed, and the package as a new version of its source file.
* **revoke (1)**: the record the package names is revoked, and the package becomes
  a new version of its source file.

An update or revocation naming a document that is not archived yet is kept as a
record of its own (nothing received is lost) with an ``amends``/``revokes`` relation
to the document it names, flagged pending; when that document arrives the
revocation applies (``archive.services.relations.link_arrived``) and the correction
is made (:func:`apply_waiting`).
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import io
import logging
from collections.abc import Awaitable, Mapping
from dataclasses import dataclass
from datetime import date

from archive.domain.access import Principal, ReadScope
from archive.domain.edxml import (
    BusinessType,
    EdxmlPackage,
    ResponseFor,
    attachment_roles,
    split_document_id,
    to_metadata,
)
from archive.domain.errors import ArchiveError, NotFound
from archive.domain.files import FileRole, RecordFile
from archive.domain.intake import Intake, IntakeStatus
from archive.domain.records import Record, RecordMetadata
from archive.domain.relations import ExternalReference, RelationKind
from archive.services import corrections, relations
from archive.services.container import Services
from archive.services.deposit import Upload, deposit_files
from archive.services.files import add_file_version

log = logging.getLogger(__name__)

# Header fields an update may correct (arrival data and classification are the
# receiving archive's, not the sender's).
CORRECTABLE = (
    "document_type",
    "number",
    "notation",
    "issue_date",
    "issue_place",
    "subject",
    "signer_name",
    "signer_position",
    "recipients",
    "urgency",
    "page_count",
    "issued_amount",
    "due_date",
    "description",
)


@dataclass(frozen=True, slots=True)
class Action:
    """What applying a package did: the record it created or acted on."""

    record_id: str
    target_document_id: str = ""
    pending: bool = False  # an update or revocation waiting for its document


async def apply(
    services: Services, principal: Principal, package: EdxmlPackage, data: bytes, owner: str, client: str
) -> Action:
    """Do what the package's business type says (see the module docstring)."""
    kind = package.business.type
    if kind in (BusinessType.NEW, BusinessType.REPLACE):
        record = await _deposit(services, principal, package, data, owner, client)
        return Action(record.id)
    target_document = package.target_document_id
    target_id = services.intakes.record_of(package.sender.organ_id, target_document)
    if target_id is None:
        record = await _deposit(services, principal, package, data, owner, client)
        return Action(record.id, target_document, pending=True)
    if kind is BusinessType.UPDATE:
        await _update(services, principal, package, data, target_id, client)
    else:
        await _revoke(services, principal, package, data, target_id, client)
    return Action(target_id, target_document)


async def after_recorded(
    services: Services, principal: Principal, package: EdxmlPackage, intake: Intake, client: str
) -> None:
    """The relations a package declares, once its intake is stored: responses and
    replacements of a new record, the pending link of a waiting update or revocation,
    and the updates that were waiting for this document. A relation that cannot be
    made (a target the caller may not read) is logged, not fatal: the record stands."""
    kind = package.business.type
    record_id = intake.record_id
    for response in package.response_for:
        await _quietly(_respond(services, principal, record_id, package, response, client))
    if kind is BusinessType.REPLACE:
        for replacement in package.business.replacements:
            await _quietly(_replace(services, principal, record_id, package, replacement.document_id, client))
    if intake.status is IntakeStatus.PENDING_TARGET:
        relation = RelationKind.AMENDS if kind is BusinessType.UPDATE else RelationKind.REVOKES
        reference = _reference(package.sender.organ_id, intake.target_document_id)
        if reference is not None:
            await _quietly(
                relations.relate(services, principal, record_id, relation, reference=reference, client=client)
            )
    if kind in (BusinessType.NEW, BusinessType.REPLACE):
        await apply_waiting(services, principal, package, record_id, client)


async def apply_waiting(
    services: Services, principal: Principal, package: EdxmlPackage, record_id: str, client: str
) -> None:
    """Updates and revocations that arrived before this document: a waiting update's
    header becomes a correction of the new record; a waiting revocation was applied by
    its pending relation when the record was deposited. Each is then marked applied."""
    for waiting in services.intakes.pending_for(package.sender.organ_id, package.document_id):
        if waiting.business_type is BusinessType.UPDATE:
            updated = await asyncio.to_thread(services.records.get, waiting.record_id, _scope(principal))
            if updated is not None:
                reason = _reason("cập nhật (đến trước văn bản gốc)", waiting.reason)
                await _quietly(_correct(services, principal, record_id, updated.metadata, reason, client))
        await asyncio.to_thread(services.intakes.mark_applied, waiting.id)


# -- new and replacing documents --------------------------------------------------------------


async def _deposit(
    services: Services, principal: Principal, package: EdxmlPackage, data: bytes, owner: str, client: str
) -> Record:
    uploads = [
        Upload(io.BytesIO(attachment.data), attachment.name, role)
        for attachment, role in zip(package.attachments, attachment_roles(package), strict=True)
    ]
    uploads.append(Upload(io.BytesIO(data), _source_name(package), FileRole.SOURCE))
    metadata = to_metadata(package, received_on=services.clock().date())
    return await asyncio.to_thread(
        deposit_files, services, principal, uploads, metadata=metadata, agency_code=owner, client=client
    )


def _source_name(package: EdxmlPackage) -> str:
    notation = f"{package.number}-{package.notation}" if package.notation else package.number
    return f"{notation}.edxml"


async def _respond(
    services: Services,
    principal: Principal,
    record_id: str,
    package: EdxmlPackage,
    response: ResponseFor,
    client: str,
) -> None:
    organ = response.organ_id or package.sender.organ_id
    target = services.intakes.record_of(organ, response.document_id) if response.document_id else None
    if target is not None:
        await relations.relate(
            services, principal, record_id, RelationKind.RESPONDS_TO, target_id=target, client=client
        )
        return
    reference = _reference(organ, response.document_id, code=response.code, when=response.promulgation_date)
    if reference is not None:
        await relations.relate(
            services, principal, record_id, RelationKind.RESPONDS_TO, reference=reference, client=client
        )


async def _replace(
    services: Services,
    principal: Principal,
    record_id: str,
    package: EdxmlPackage,
    document_id: str,
    client: str,
) -> None:
    note = _reason("thay thế", package.business.reason)
    target = services.intakes.record_of(package.sender.organ_id, document_id)
    if target is not None:
        await relations.replace(services, principal, record_id, replaced_id=target, note=note, client=client)
        return
    reference = _reference(package.sender.organ_id, document_id)
    if reference is not None:
        await relations.replace(
            services, principal, record_id, replaced_reference=reference, note=note, client=client
        )


def _reference(
    organ_id: str, document_id: str, *, code: str = "", when: date | None = None
) -> ExternalReference | None:
    parts = split_document_id(document_id)
    if parts is not None:
        number = f"{parts.number}/{parts.notation}" if parts.notation else parts.number
        return ExternalReference(parts.organ_id or organ_id, number, parts.promulgation_date)
    if code and organ_id:
        return ExternalReference(organ_id, code, when)
    return None  # a DocumentId of another scheme, and no code: nothing to match a record on


# -- updates and revocations of an archived document -----------------------------------------------


async def _update(
    services: Services, principal: Principal, package: EdxmlPackage, data: bytes, target_id: str, client: str
) -> None:
    reason = _reason("cập nhật", package.business.reason)
    metadata = to_metadata(package, received_on=services.clock().date())
    await _correct(services, principal, target_id, metadata, reason, client)
    record = await _record(services, principal, target_id)
    roles = attachment_roles(package)
    main = next(a for a, role in zip(package.attachments, roles, strict=True) if role is FileRole.MAIN)
    current_main = _file(record, FileRole.MAIN)
    if current_main is not None and current_main.stored.sha256 != _sha256(main.data):
        await asyncio.to_thread(
            add_file_version,
            services,
            principal,
            target_id,
            current_main.id,
            io.BytesIO(main.data),
            filename=main.name,
            reason=reason,
            client=client,
        )
    await _source_version(services, principal, target_id, package, data, reason, client)


async def _revoke(
    services: Services, principal: Principal, package: EdxmlPackage, data: bytes, target_id: str, client: str
) -> None:
    reason = _reason("thu hồi", package.business.reason)
    await relations.revoke(services, principal, target_id, note=reason, client=client)
    await _source_version(services, principal, target_id, package, data, reason, client)


async def _correct(
    services: Services,
    principal: Principal,
    target_id: str,
    metadata: RecordMetadata,
    reason: str,
    client: str,
) -> None:
    record = await _record(services, principal, target_id)
    changes = _changes(record.metadata, metadata)
    if changes:
        await corrections.correct(services, principal, target_id, changes, reason=reason, client=client)


def _changes(current: RecordMetadata, incoming: RecordMetadata) -> Mapping[str, object]:
    normalized = dataclasses.replace(incoming).normalized()
    return {
        name: getattr(normalized, name)
        for name in CORRECTABLE
        if getattr(normalized, name) != getattr(current, name)
    }


async def _source_version(
    services: Services,
    principal: Principal,
    record_id: str,
    package: EdxmlPackage,
    data: bytes,
    reason: str,
    client: str,
) -> None:
    record = await _record(services, principal, record_id)
    source = _file(record, FileRole.SOURCE)
    if source is None:
        return  # deposited by other means: the package is kept in the intake's audit trail only
    await asyncio.to_thread(
        add_file_version,
        services,
        principal,
        record_id,
        source.id,
        io.BytesIO(data),
        filename=_source_name(package),
        reason=reason,
        client=client,
    )


async def _record(services: Services, principal: Principal, record_id: str) -> Record:
    record = await asyncio.to_thread(services.records.get, record_id, _scope(principal))
    if record is None:
        raise NotFound("the record the package names is not readable")
    return record


def _scope(principal: Principal) -> ReadScope:
    return ReadScope.for_principal(principal)


def _file(record: Record, role: FileRole) -> RecordFile | None:
    return next((f for f in record.files if f.role is role), None)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _reason(action: str, given: str) -> str:
    text = f"edXML {action}"
    return f"{text}: {given}"[:500] if given else text


async def _quietly(step: Awaitable[object]) -> None:
    try:
        await step
    except ArchiveError as error:
        log.warning("an edXML relation could not be made: %s", error.message)
