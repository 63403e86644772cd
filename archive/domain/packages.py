"""Information packages of Circular 05/2025/TT-BNV, an extension of E-ARK CSIP 2.0.4.

A package is what an archive hands to another (a SIP), keeps for itself (an AIP) or
gives a reader (a DIP). TT05 Art. 17 names five kinds::

    SIP_hoso      a dossier, to a different system            (Appendix III)
    SIP_tailieu   loose documents, to a different system      (Appendix IV)
    AIP_hoso      a dossier, kept inside the same system      (Appendix I)
    AIP_tailieu   loose documents, kept inside the same system (Appendix II)
    DIP           a use copy for a reader                     (Appendix V)

This module holds what a package *is*, independent of how it is written: the
identifiers, the submitting body, the description of the dossier (or batch), each
document with its TT05 fields, and each file with its path, size and SHA-256. The
XML element names live in ``archive.domain.tt05`` (one mapping module), the XML
itself in ``archive.packages`` (the writers). Standard library only.

Layout of a package (the folder is named after ``objid``)::

    uuid-XXXXXXXX-.../
      METS.xml                                        root METS (CSIP)
      metadata/descriptive/EAD.xml                    the dossier (or batch) description
      representations/rep1/METS.xml                   the representation METS
      representations/rep1/metadata/descriptive/EAD_doc_{n}.xml
      representations/rep1/data/{docId}.pdf           the original bytes
      schemas/                                        every XSD the XML uses
"""

from __future__ import annotations

import enum
import re
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

from archive.domain.errors import MetadataInvalid

# metsHdr/@CREATEDATE and every @CREATED carry Vietnam's offset (TT05: "+07:00").
VIETNAM = timezone(timedelta(hours=7), "ICT")
REPRESENTATION = "rep1"  # TT05 packages carry one representation (the documents as deposited)
SHA256_HEX = re.compile(r"^[0-9A-F]{64}$")
_OBJID = re.compile(r"^uuid-[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$")


class PackageKind(enum.Enum):
    """The five package kinds of TT05 Art. 17; the value is the name TT05 uses."""

    SIP_HOSO = "SIP_hoso"
    SIP_TAILIEU = "SIP_tailieu"
    AIP_HOSO = "AIP_hoso"
    AIP_TAILIEU = "AIP_tailieu"
    DIP = "DIP"

    @property
    def oais_type(self) -> str:
        """``@csip:OAISPACKAGETYPE``: SIP, AIP or DIP."""
        return self.value.split("_", 1)[0]

    @property
    def is_dossier(self) -> bool:
        """A hồ sơ package (its EAD.xml describes one dossier); otherwise a batch of documents."""
        return self.value.endswith("_hoso")


class RecordStatus(enum.Enum):
    """``metsHdr/@RECORDSTATUS``: what the package is to the receiver (CSIP, TT05)."""

    NEW = "NEW"
    SUPPLEMENT = "SUPPLEMENT"  # adds documents to a dossier sent earlier
    REPLACEMENT = "REPLACEMENT"  # replaces a package sent earlier
    TEST = "TEST"
    OTHER = "OTHER"


class FileUse(enum.Enum):
    """What a file is for: ``fileGrp/@USE`` in CSIP's vocabulary for files in the fileSec,
    and the section an ``mdRef`` goes to for metadata. The fileSec groups by it."""

    REPRESENTATIONS = "Representations"  # root METS: the representation METS files
    SCHEMAS = "Schemas"
    DOCUMENTATION = "Documentation"
    DATA = "Data"  # representation METS: the documents' bytes
    DESCRIPTIVE = "Metadata/Descriptive"  # dmdSec/mdRef, not a fileGrp
    PRESERVATION = "Metadata/Preservation"  # amdSec/digiprovMD/mdRef (PREMIS, AIP)

    @property
    def is_metadata(self) -> bool:
        """Listed as an mdRef in dmdSec/amdSec rather than as a file in the fileSec."""
        return self.value.startswith("Metadata/")


def new_objid() -> str:
    """A package identifier: ``uuid-`` + an upper-case random UUID (TT05, CSIP1)."""
    return f"uuid-{str(uuid.uuid4()).upper()}"


def check_objid(objid: str) -> str:
    """``objid`` if it has the TT05 shape, else MetadataInvalid."""
    if not _OBJID.match(objid):
        raise MetadataInvalid("objid", "a package id is 'uuid-' and an upper-case UUID")
    return objid


def vietnam_time(moment: datetime) -> str:
    """ISO 8601 with the +07:00 offset, whole seconds (``2025-07-01T09:30:00+07:00``)."""
    return moment.astimezone(VIETNAM).replace(microsecond=0).isoformat()


@dataclass(frozen=True, slots=True)
class Submitter:
    """The submitting body: the agency whose archive hands the package over.

    ``fonds_code`` goes to the agent's note of type IDENTIFICATIONCODE (TT05); it is on
    the organisation agent, never on the software agent (that would break CSIP16).
    """

    name: str
    agency_code: str
    fonds_code: str
    fonds_name: str = ""


@dataclass(frozen=True, slots=True)
class Software:
    """The packaging software: the METS agent whose note is its version (CSIP16)."""

    name: str
    version: str


@dataclass(frozen=True, slots=True)
class PackageFile:
    """A file inside a package: where, how big, its SHA-256 and what it is for.

    ``sha256`` is kept in upper-case hex, the way METS/@CHECKSUM carries it.
    """

    path: str  # relative to the package folder, with '/'
    size: int
    sha256: str
    created: datetime
    mime_type: str
    use: FileUse

    def __post_init__(self) -> None:
        if not SHA256_HEX.match(self.sha256):
            raise ValueError(f"{self.path}: SHA-256 must be 64 upper-case hex digits")
        if self.path.startswith("/") or ".." in self.path.split("/"):
            raise ValueError(f"{self.path}: a package path stays inside its folder")


@dataclass(frozen=True, slots=True)
class DossierDescription:
    """The dossier's TT05 fields, as metadata/descriptive/EAD.xml carries them.

    Derived fields (document and page counts, dates, confidence level) are computed
    over the documents that go into the package.
    """

    file_code: str
    arc_file_code: str | None
    title: str
    maintenance: str  # code list "maintenance"
    mode: str  # code list "mode"
    languages: tuple[str, ...]
    start_date: date | None
    end_date: date | None
    keyword: str
    total_doc: int
    number_of_paper: int | None
    number_of_page: int
    physical_format: str
    infor_sign: str
    confidence_level: str | None
    paper_file_code: str
    risk_recovery: str
    risk_recovery_status: str
    description: str
    fonds_code: str
    agency_code: str


@dataclass(frozen=True, slots=True)
class BatchDescription:
    """What EAD.xml says about a SIP_tailieu: a short description of loose documents."""

    title: str
    fonds_code: str
    agency_code: str
    total_doc: int
    start_date: date | None
    end_date: date | None
    description: str = ""


@dataclass(frozen=True, slots=True)
class DocumentDescription:
    """One document's TT05 fields, as EAD_doc_{n}.xml carries them."""

    record_id: str
    doc_id: str  # the data file's stem: docCode, or the record id outside a dossier
    doc_code: str | None  # fileCode + "." + ordinal on 7 digits; None outside a dossier
    arc_doc_code: str | None  # the archive code prefixed (TT05's arcDocCode); None if unset
    file_code: str | None
    doc_ordinal: int | None
    type_name: str  # code list "document_type"
    code_number: str  # số
    code_notation: str  # ký hiệu
    issued_date: date
    organ_name: str
    organ_code: str
    subject: str
    languages: tuple[str, ...]
    page_amount: int | None
    signer_name: str
    signer_position: str
    keyword: str
    mode: str | None
    confidence_level: str | None
    infor_sign: str
    autograph: str
    physical_format: str | None
    process: bool
    description: str
    issued_amount: int | None
    media_type: str
    sha256: str  # lower-case hex, as stored (the METS writer upper-cases it)
    size: int
    deposited_at: datetime | None = None  # the data file's CREATED; the package's time when None


@dataclass(frozen=True, slots=True)
class Package:
    """Everything a package writer needs; nothing about how it is laid out on disk."""

    kind: PackageKind
    objid: str
    created: datetime
    record_status: RecordStatus
    submitter: Submitter
    software: Software
    submission_agreement: str
    label: str
    dossier: DossierDescription | None
    batch: BatchDescription | None
    documents: tuple[DocumentDescription, ...] = ()
    notes: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        check_objid(self.objid)
        if self.kind.is_dossier and self.dossier is None:
            raise ValueError(f"a {self.kind.value} package describes a dossier")
        if not self.kind.is_dossier and self.kind is not PackageKind.DIP and self.batch is None:
            raise ValueError(f"a {self.kind.value} package describes its batch")
        ids = [d.doc_id for d in self.documents]
        if len(ids) != len(set(ids)):
            raise ValueError("two documents of a package share a data file name")

    @property
    def folder(self) -> str:
        """The package's top folder: its OBJID (TT05)."""
        return self.objid


@dataclass(frozen=True, slots=True)
class WrittenPackage:
    """A package once written: every file in it, and the zip's own size and SHA-256
    (what a handover's minutes list)."""

    objid: str
    kind: PackageKind
    files: tuple[PackageFile, ...]
    zip_size: int
    zip_sha256: str  # lower-case hex of the zip file as written
    record_ids: tuple[str, ...]


def data_path(doc_id: str, media_type: str) -> str:
    """Where a document's bytes go inside the package (TT05: ``data/{docId}.pdf``)."""
    suffix = {"application/pdf": ".pdf", "image/png": ".png", "image/jpeg": ".jpg", "image/tiff": ".tif"}
    return f"representations/{REPRESENTATION}/data/{safe_name(doc_id)}{suffix.get(media_type, '.bin')}"


def descriptive_path(ordinal: int) -> str:
    """Where the n-th document's description goes (TT05: ``EAD_doc_*.xml``), 1-based."""
    return f"representations/{REPRESENTATION}/metadata/descriptive/EAD_doc_{ordinal}.xml"


_UNSAFE = re.compile(r"[^\w.\-]")


def safe_name(value: str) -> str:
    """A file-name stem from a code: a docCode like ``A.2025.01/HS.0000001`` keeps letters,
    digits, '.', '-', '_'; everything else (a '/' above all) becomes '_'."""
    cleaned = _UNSAFE.sub("_", value).strip(".")
    return cleaned or "document"
