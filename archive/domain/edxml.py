"""edXML packages of the national document interchange (QCVN 102:2016/BTTTT, amended 2022).

A package is one XML file. What the archive reads of it::

    edXML                                   root, in one of NAMESPACES
    ├── edXMLEnvelope
    │   ├── edXMLHeader
    │   │   ├── MessageHeader               From, To*, DocumentId, Code, PromulgationInfo,
    │   │   │                               DocumentType, Subject, Content, SignerInfo, DueDate,
    │   │   │                               ToPlaces, OtherInfo, ResponseFor*, SteeringType
    │   │   ├── TraceHeaderList             TraceHeader* (OrganId, Timestamp), Bussiness
    │   │   └── Signature                   XMLDSig, often a placeholder
    │   └── edXMLBody/edXMLManifest         Reference* (ContentId, ContentType, AttachmentName)
    └── AttachmentEncoded                   Attachment* (ContentId, ContentTransferEncoded)

The adapter (``indexing.edxml``) turns the bytes into an :class:`EdxmlPackage`, or
refuses them with :class:`~archive.domain.errors.PackageRefused` naming the part;
the rules for what the header means for a record live here: dates in the three
spellings found in the wild, the ``DocumentId`` convention, the business type,
the re-import key, and the mapping onto :class:`~archive.domain.records.RecordMetadata`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import UTC, date, datetime

from archive.domain.errors import PackageRefused
from archive.domain.files import FileRole
from archive.domain.records import Direction, RecordMetadata, Urgency

NAMESPACE_2016 = "http://www.mic.gov.vn/TBT/QCVN_102_2016"
NAMESPACE_LEGACY = "http://www.go.vn/eDoc"  # the pre-2016 eDoc namespace, still sent by some systems
NAMESPACES = (NAMESPACE_2016, NAMESPACE_LEGACY)

# Plain base64 in the package; anything else travels zipped as application/zip.
PLAIN_MEDIA_TYPES = {
    "application/pdf": ".pdf",
    "application/msword": ".doc",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "application/vnd.ms-excel": ".xls",
}
ZIP_MEDIA_TYPE = "application/zip"

_DATE_FORMATS = ("%d/%m/%Y", "%Y/%m/%d", "%Y-%m-%d", "%d-%m-%Y")
_DATETIME_FORMATS = ("%d/%m/%Y %H:%M:%S", "%Y/%m/%d %H:%M:%S", "%d/%m/%Y %H:%M", "%Y-%m-%d %H:%M:%S")

# OtherInfo/Priority: 0 thường, 1 khẩn, 2 thượng khẩn, 3 hỏa tốc, 4 hỏa tốc hẹn giờ.
_URGENCY = {0: Urgency.NORMAL, 1: Urgency.URGENT, 2: Urgency.VERY_URGENT, 3: Urgency.FLASH, 4: Urgency.FLASH}


class BusinessType(enum.IntEnum):
    """``TraceHeaderList/Bussiness/BussinessDocType``: what the package does."""

    NEW = 0  # a new document
    REVOKE = 1  # thu hồi: the named document is revoked
    UPDATE = 2  # cập nhật: the named document is corrected
    REPLACE = 3  # thay thế: this document replaces those in ReplacementInfoList


@dataclass(frozen=True, slots=True)
class Organ:
    """An agency on the interchange: its organ id (mã định danh) and name."""

    organ_id: str
    name: str = ""


@dataclass(frozen=True, slots=True)
class SignerInfo:
    """Who signed: ``Competence`` (TM., KT., Q. ...), ``Position`` and ``FullName``."""

    competence: str
    position: str
    full_name: str


@dataclass(frozen=True, slots=True)
class OtherInfo:
    """``OtherInfo``: priority, sphere of promulgation, copies, pages and appendix names."""

    priority: int | None = None
    sphere_of_promulgation: str = ""
    promulgation_amount: int | None = None
    page_amount: int | None = None
    appendixes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ResponseFor:
    """A document this one answers (``ResponseFor``), as the sender names it."""

    organ_id: str
    code: str
    document_id: str
    promulgation_date: date | None = None


@dataclass(frozen=True, slots=True)
class TraceHop:
    """One agency the package passed through (``TraceHeader``), and when."""

    organ_id: str
    timestamp: datetime | None


@dataclass(frozen=True, slots=True)
class Replacement:
    """One document a replacement supersedes, and the agencies that hold it."""

    document_id: str
    organ_ids: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Business:
    """``Bussiness`` (sic): the business type, its reason, and the documents it names."""

    type: BusinessType = BusinessType.NEW
    reason: str = ""
    document_id: str = ""  # the document acted on, when the sender names it here
    replacements: tuple[Replacement, ...] = ()


@dataclass(frozen=True, slots=True)
class Attachment:
    """One decoded attachment: the bytes as the sender meant them (unzipped)."""

    content_id: str  # without any ``cid:`` prefix
    name: str
    media_type: str
    data: bytes
    description: str = ""
    zipped: bool = False  # arrived as application/zip and was unpacked


class EnvelopeSignatureState(enum.Enum):
    """The verdict on the envelope's XML signature. A real one that fails is refused instead."""

    ABSENT = "absent"  # no Signature element
    PLACEHOLDER = "placeholder"  # wrong namespace, no value, a fixed digest or SHA-1: proves nothing
    VALID = "valid"  # verifies, and the certificate chains to a trust root
    UNTRUSTED = "untrusted"  # verifies, but the certificate does not chain to a trust root


@dataclass(frozen=True, slots=True)
class EnvelopeSignature:
    """What the envelope's signature proves, for people and for the record."""

    state: EnvelopeSignatureState
    summary: str
    signer: str | None = None  # the certificate's subject (RFC 4514), when verified

    @property
    def verified(self) -> bool:
        """Whether the signature is real and checks out (trusted or not)."""
        return self.state in (EnvelopeSignatureState.VALID, EnvelopeSignatureState.UNTRUSTED)


@dataclass(frozen=True, slots=True)
class EdxmlPackage:
    """Everything the archive takes from one package."""

    namespace: str
    sender: Organ
    receivers: tuple[Organ, ...]
    document_id: str
    number: str
    notation: str
    promulgation_place: str
    promulgation_date: date
    document_type: str
    subject: str
    content: str
    signer: SignerInfo
    due_date: date | None
    to_places: tuple[str, ...]
    other: OtherInfo
    response_for: tuple[ResponseFor, ...]
    steering_type: int | None
    trace: tuple[TraceHop, ...]
    business: Business
    attachments: tuple[Attachment, ...]
    signature: EnvelopeSignature

    @property
    def legacy(self) -> bool:
        """Sent in the older ``http://www.go.vn/eDoc`` namespace."""
        return self.namespace == NAMESPACE_LEGACY

    @property
    def key(self) -> IntakeKey:
        """What makes two packages the same document (see :class:`IntakeKey`)."""
        return IntakeKey(self.sender.organ_id, self.document_id, self.business.type)

    @property
    def target_document_id(self) -> str:
        """The document an update or revocation acts on: ``Bussiness/DocumentId`` when
        given, else the package's own ``DocumentId`` (it re-sends the document)."""
        return self.business.document_id or self.document_id


@dataclass(frozen=True, slots=True)
class IntakeKey:
    """Re-importing the same document is a no-op: the key is the sender's organ id, the
    ``DocumentId`` and the business type, never the bytes (a package re-sent through
    the hub with one more trace hop is byte-different and still the same document)."""

    sender_organ_id: str
    document_id: str
    business_type: BusinessType


def parse_date(text: str, part: str) -> date:
    """A date as packages spell it: ``dd/MM/yyyy``, ``yyyy/MM/dd`` or ISO (a time is dropped).

    Raises:
        PackageRefused: naming ``part``, when the text is none of these.
    """
    value = text.strip()
    for pattern in _DATE_FORMATS:
        try:
            return datetime.strptime(value, pattern).date()
        except ValueError:
            continue
    moment = parse_timestamp(value, part)
    return moment.date()


def parse_timestamp(text: str, part: str) -> datetime:
    """A timestamp (ISO 8601, or a date format above with ``HH:mm[:ss]``); naive means UTC."""
    value = text.strip()
    parsed: datetime | None = None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        parsed = _first_match(value, (*_DATETIME_FORMATS, *_DATE_FORMATS))
    if parsed is None:
        raise PackageRefused(part, f"{value!r} is not a date (dd/MM/yyyy, yyyy/MM/dd or ISO 8601)")
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _first_match(value: str, patterns: tuple[str, ...]) -> datetime | None:
    for pattern in patterns:
        try:
            return datetime.strptime(value, pattern)
        except ValueError:
            continue
    return None


def business_type(text: str) -> BusinessType:
    """``BussinessDocType`` as a :class:`BusinessType`.

    Raises:
        PackageRefused: a value other than 0-3.
    """
    try:
        return BusinessType(int(text.strip() or "0"))
    except ValueError:
        part = "TraceHeaderList/Bussiness/BussinessDocType"
        raise PackageRefused(
            part, f"{text!r} is not 0 (new), 1 (revoke), 2 (update) or 3 (replace)"
        ) from None


def urgency_of(priority: int | None) -> Urgency:
    """``OtherInfo/Priority`` as the record's urgency (unknown values: ordinary)."""
    return _URGENCY.get(priority if priority is not None else 0, Urgency.NORMAL)


def signer_position(signer: SignerInfo) -> str:
    """The position as printed above the signature: competence first (``KT. CHỦ TỊCH``),
    then the position itself (``PHÓ CHỦ TỊCH``)."""
    return " ".join(part for part in (signer.competence, signer.position) if part)


def to_metadata(package: EdxmlPackage, *, received_on: date) -> RecordMetadata:
    """The record's metadata as the package states it: an incoming document, arrived on
    ``received_on``. Validation (lengths, required fields, codes) is the deposit's, as
    for every other intake; this only maps."""
    return RecordMetadata(
        document_type=package.document_type,
        number=package.number,
        notation=package.notation,
        issuing_agency_code=package.sender.organ_id,
        issuing_agency_name=package.sender.name,
        issue_date=package.promulgation_date,
        issue_place=package.promulgation_place,
        subject=package.subject,
        signer_name=package.signer.full_name,
        signer_position=signer_position(package.signer),
        direction=Direction.INCOMING,
        recipients=_recipients(package),
        urgency=urgency_of(package.other.priority),
        page_count=package.other.page_amount or None,
        issued_amount=package.other.promulgation_amount or None,
        arrival_date=max(received_on, package.promulgation_date),
        due_date=package.due_date,
        description=package.content[:500],
    )


def _recipients(package: EdxmlPackage) -> tuple[str, ...]:
    named = [organ.name or organ.organ_id for organ in package.receivers]
    seen: list[str] = []
    for name in (*named, *package.to_places):
        if name and name not in seen:
            seen.append(name)
    return tuple(seen)


# What a record's main file and appendices may be (``archive.domain.files.DOCUMENT_ROLES``).
_DOCUMENT_TYPES = frozenset({"application/pdf", "image/png", "image/jpeg", "image/tiff"})


def is_document(attachment: Attachment) -> bool:
    """Whether the attachment can be a main file or an appendix: a PDF or an image."""
    return attachment.data.startswith(b"%PDF-") or attachment.media_type in _DOCUMENT_TYPES


def attachment_roles(package: EdxmlPackage) -> tuple[FileRole, ...]:
    """One role per attachment, in order: the first PDF (or image) that
    ``OtherInfo/Appendixes`` does not name is the main file; the PDFs it names are
    appendices; everything else (DOCX, XLS, zipped files) is an attachment.

    Raises:
        PackageRefused: no attachment can be the main file.
    """
    appendix_names = {name.strip().casefold() for name in package.other.appendixes if name.strip()}
    roles: list[FileRole] = []
    for attachment in package.attachments:
        if not is_document(attachment):
            roles.append(FileRole.ATTACHMENT)
        elif attachment.name.casefold() in appendix_names:
            roles.append(FileRole.APPENDIX)
        elif FileRole.MAIN not in roles:
            roles.append(FileRole.MAIN)
        else:
            roles.append(FileRole.ATTACHMENT)
    if FileRole.MAIN not in roles:
        raise PackageRefused(
            "AttachmentEncoded", "no attachment is a PDF (or image) to archive as the document"
        )
    return tuple(roles)


@dataclass(frozen=True, slots=True)
class DocumentIdParts:
    """``DocumentId`` by convention: ``OrganId,yyyy/MM/dd,number/notation``."""

    organ_id: str
    promulgation_date: date | None
    number: str
    notation: str


def split_document_id(document_id: str) -> DocumentIdParts | None:
    """The parts of a conventional ``DocumentId``, or None when it follows another scheme
    (some systems send a UUID: it is still the key, just not readable)."""
    pieces = [piece.strip() for piece in document_id.split(",")]
    if len(pieces) != 3 or not pieces[0] or not pieces[2]:
        return None
    try:
        when: date | None = parse_date(pieces[1], "DocumentId")
    except PackageRefused:
        when = None
    number, _, notation = pieces[2].partition("/")
    return DocumentIdParts(pieces[0], when, number.strip(), notation.strip())
