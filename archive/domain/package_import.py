"""A received transfer package, as the archive will keep it: its dossier and its records.

The package reader (``archive.unpacking``) turns a checked package into
``PackageContents``: the TT05 fields of its description and of each document, by the
attribute names of ``archive.domain.tt05``'s tables, and the file each document's bytes
are in. This module maps them to the archive's own ``Dossier`` and ``RecordMetadata``
and validates them with the archive's rules, so an import refuses exactly what a
deposit or a dossier form would, naming the descriptive file and the field.

What TT05 does not carry takes a fixed value, written in the README: a document is
outgoing (``direction``; TT05 has no arrival entry), its urgency ordinary, and a
document or dossier in mode 03 (secret) is classified Tuyệt mật, the highest level,
because TT05 states the mode but not the level: importing must never lower a secret.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from archive.domain import archival as da
from archive.domain.archival import Dossier, DossierStatus
from archive.domain.errors import MetadataInvalid
from archive.domain.package_checks import METADATA, Failure
from archive.domain.records import (
    MODE_SECRET,
    Classification,
    Direction,
    RecordMetadata,
    validate_metadata,
)

Fields = Mapping[str, object]
"""A descriptive file's values by the ``attribute`` of its tt05 table (``file_code``, ``subject``...)."""

SECRET_LEVEL = Classification.TOP_SECRET  # mode 03 without a level: the safe side


@dataclass(frozen=True, slots=True)
class DescribedFile:
    """A document's bytes inside the package, as its METS lists them."""

    path: str  # inside the package folder
    size: int
    sha256: str  # lower-case hex
    mime_type: str


@dataclass(frozen=True, slots=True)
class DescribedDocument:
    """One document: its descriptive file (``part``), its TT05 fields and its bytes."""

    part: str
    fields: Fields
    file: DescribedFile


@dataclass(frozen=True, slots=True)
class PackageContents:
    """What a checked package says it holds."""

    objid: str
    root: str  # tt05.DOSSIER_ROOT or tt05.BATCH_ROOT
    record_status: str
    submitter: str  # the submitting body's name (its METS agent)
    fonds_code: str  # the IDENTIFICATIONCODE note of that agent
    description_part: str  # metadata/descriptive/EAD.xml
    description: Fields
    documents: tuple[DescribedDocument, ...]

    @property
    def agency_code(self) -> str:
        return str(self.description.get("agency_code") or "")


def classification_of(mode: object) -> Classification:
    """The level a record or dossier gets from its TT05 mode (see the module's docstring)."""
    return SECRET_LEVEL if mode == MODE_SECRET else Classification.ORDINARY


def metadata_of(document: DescribedDocument) -> RecordMetadata:
    """The record metadata a document's TT05 fields give (not yet validated)."""
    f = document.fields
    mode = _text(f, "mode") or None
    return RecordMetadata(
        document_type="",
        type_name=_text(f, "type_name"),
        number=_text(f, "code_number"),
        notation=_text(f, "code_notation"),
        issuing_agency_code=_text(f, "organ_code"),
        issuing_agency_name=_text(f, "organ_name"),
        issue_date=_date(f, "issued_date") or date.min,
        subject=_text(f, "subject"),
        signer_name=_text(f, "signer_name"),
        signer_position=_text(f, "signer_position"),
        direction=Direction.OUTGOING,
        classification=classification_of(mode),
        languages=tuple(str(v) for v in _seq(f, "languages")),
        page_count=_int(f, "page_amount"),
        is_public=mode == "01",
        mode=mode,
        keyword=_text(f, "keyword"),
        infor_sign=_text(f, "infor_sign"),
        autograph=_text(f, "autograph"),
        physical_format=_text(f, "physical_format") or None,
        process=bool(f.get("process")),
        description=_text(f, "description"),
        issued_amount=_int(f, "issued_amount"),
    )


def dossier_of(contents: PackageContents, *, fonds_id: str) -> Dossier:
    """The dossier a SIP_hoso describes (not yet validated), closed on its end date: a
    transferred dossier's work is complete, and its retention counts from then."""
    f = contents.description
    mode = _text(f, "mode")
    end = _date(f, "end_date")
    return Dossier(
        id="",
        fonds_id=fonds_id,
        agency_code=contents.agency_code,
        file_code=_text(f, "file_code"),
        title=_text(f, "title"),
        maintenance=_text(f, "maintenance"),
        mode=mode,
        languages=tuple(str(v) for v in _seq(f, "languages")),
        start_date=_date(f, "start_date"),
        end_date=end,
        keyword=_text(f, "keyword"),
        number_of_paper=_int(f, "number_of_paper"),
        physical_format=_text(f, "physical_format") or "01",
        infor_sign=_text(f, "infor_sign"),
        paper_file_code=_text(f, "paper_file_code"),
        risk_recovery=_text(f, "risk_recovery") or "0",
        risk_recovery_status=_text(f, "risk_recovery_status") or "0",
        description=_text(f, "description"),
        status=DossierStatus.CLOSED,
        closed_on=end,
        classification=classification_of(mode),
    )


def ordinal_of(document: DescribedDocument, position: int) -> int:
    """The document's place in its dossier: its docOrdinal, else its position (1-based)."""
    return _int(document.fields, "doc_ordinal") or position


def contents_failures(contents: PackageContents, *, today: date) -> list[Failure]:
    """Every field the archive refuses, each naming the descriptive file and the field."""
    failures = []
    if not contents.agency_code:
        failures.append(Failure(METADATA, contents.description_part, "agencyCode is missing"))
    if contents.description.get("fonds_code") != contents.fonds_code:
        problem = "its fonds code differs from the submitting agent's IDENTIFICATIONCODE note in METS.xml"
        failures.append(Failure(METADATA, contents.description_part, problem))
    try:
        da.validate_dossier(dossier_of(contents, fonds_id=""))
    except MetadataInvalid as exc:
        failures.append(Failure(METADATA, f"{contents.description_part}: {exc.field}", exc.reason))
    failures += _document_failures(contents, today)
    return failures


def _document_failures(contents: PackageContents, today: date) -> list[Failure]:
    failures = []
    ordinals: dict[int, str] = {}
    for position, document in enumerate(contents.documents, start=1):
        try:
            validate_metadata(metadata_of(document), today=today)
        except MetadataInvalid as exc:
            failures.append(Failure(METADATA, f"{document.part}: {exc.field}", exc.reason))
        ordinal = ordinal_of(document, position)
        if ordinal in ordinals:
            failures.append(
                Failure(METADATA, document.part, f"docOrdinal {ordinal} repeats {ordinals[ordinal]}")
            )
        ordinals[ordinal] = document.part
        if document.file.mime_type and document.file.mime_type not in _MEDIA_TYPES:
            problem = f"its bytes are {document.file.mime_type}; the archive keeps PDF documents"
            failures.append(Failure(METADATA, document.file.path, problem))
    return failures


_MEDIA_TYPES = frozenset({"application/pdf"})


def _text(fields: Fields, name: str) -> str:
    value = fields.get(name)
    return "" if value is None else str(value)


def _int(fields: Fields, name: str) -> int | None:
    value = fields.get(name)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _date(fields: Fields, name: str) -> date | None:
    value = fields.get(name)
    return value if isinstance(value, date) else None


def _seq(fields: Fields, name: str) -> tuple[object, ...]:
    value = fields.get(name)
    return tuple(value) if isinstance(value, tuple | list) else ()
