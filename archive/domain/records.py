"""Records and their Decree 30/2020/NĐ-CP metadata (Appendix VI)."""

from __future__ import annotations

import dataclasses
import enum
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING

from archive.domain import codes
from archive.domain.errors import MetadataInvalid

if TYPE_CHECKING:  # files.py builds on StoredFile, defined here
    from archive.domain.files import RecordFile

SUBJECT_MAX = 500
RECIPIENTS_MAX = 200  # a circular to every commune of a province stays well under this
RECIPIENT_MAX_LENGTH = 300
PAGE_COUNT_MAX = 100_000
FILENAME_MAX = 255
LANGUAGES_MAX = 20  # the list has 11 codes; more values is a mistake or an attack
ISSUED_AMOUNT_MAX = 100_000  # số bản: copies issued; a circular to every commune stays far below

# The codes of Circular 05/2025 that carry a rule, not just a label. The lists
# themselves are data (archive/domain/codelists); tests/unit/test_records_tt05.py
# pins these codes to their labels there, so a correction of a file cannot
# silently change what a code means here.
MODE_PUBLIC = "01"  # Công khai
MODE_CONDITIONAL = "02"  # Sử dụng có điều kiện
MODE_SECRET = "03"  # noqa: S105 - Mật, an access mode, not a password
TYPE_OTHER = "32"  # Khác: a document type the list does not name
LANGUAGE_VIETNAMESE = "01"  # Tiếng Việt
CONFIDENCE_TEXT_LAYER = "01"  # Gốc điện tử: every page read from a text layer
CONFIDENCE_OCR = "02"  # Số hóa: every page OCR'd
CONFIDENCE_MIXED = "03"  # Hỗn hợp


class Urgency(enum.Enum):
    """Độ khẩn: how fast the document must be handled."""

    NORMAL = "Thường"
    URGENT = "Khẩn"
    VERY_URGENT = "Thượng khẩn"
    FLASH = "Hỏa tốc"


class Classification(enum.IntEnum):
    """Độ mật. Ordered: a clearance reads its own level and every level below."""

    ORDINARY = 0
    CONFIDENTIAL = 1  # Mật
    SECRET = 2  # Tối mật
    TOP_SECRET = 3  # Tuyệt mật

    @property
    def label(self) -> str:
        return _CLASSIFICATION_LABELS[self]


_CLASSIFICATION_LABELS = {
    Classification.ORDINARY: "Thường",
    Classification.CONFIDENTIAL: "Mật",
    Classification.SECRET: "Tối mật",
    Classification.TOP_SECRET: "Tuyệt mật",
}


class Direction(enum.Enum):
    """Văn bản đến (incoming) or văn bản đi (outgoing)."""

    INCOMING = "incoming"
    OUTGOING = "outgoing"


class TextStatus(enum.Enum):
    """Where the record's searchable text stands."""

    PENDING = "pending"  # not extracted yet
    EXTRACTED = "extracted"  # text layer read
    PENDING_OCR = "pending_ocr"  # no text layer: waits for OCR
    OCR_DONE = "ocr_done"
    FAILED = "failed"  # a limit was hit or the file could not be read; bytes kept


class TextSource(enum.Enum):
    """Where a page's text came from."""

    TEXT_LAYER = "text_layer"
    OCR = "ocr"


def nfc(value: str) -> str:
    """NFC-normalise and trim: Vietnamese text arrives in both composed and decomposed form."""
    return unicodedata.normalize("NFC", value).strip()


@dataclass(frozen=True, slots=True)
class RecordMetadata:
    """The official metadata of a document, as the depositor declares it."""

    document_type: str
    number: str  # số, e.g. "123"
    notation: str  # ký hiệu, e.g. "QĐ-UBND"
    issuing_agency_code: str
    issuing_agency_name: str
    issue_date: date
    subject: str  # trích yếu
    signer_name: str
    signer_position: str
    direction: Direction
    issue_place: str = ""
    recipients: tuple[str, ...] = ()
    urgency: Urgency = Urgency.NORMAL
    classification: Classification = Classification.ORDINARY
    languages: tuple[str, ...] = (LANGUAGE_VIETNAMESE,)  # codes 01-11 (input: codes, labels, "vi")
    page_count: int | None = None
    arrival_number: str | None = None
    arrival_date: date | None = None
    due_date: date | None = None
    is_public: bool = False
    retention_code: str | None = None
    # Circular 05/2025/TT-BNV document fields (and Decree 30's số bản and ghi chú).
    # Coded fields hold the depositor's value until ``validate_metadata`` turns it into a code.
    type_name: str | None = None  # tên loại văn bản, code 01-32; derived from document_type if absent
    mode: str | None = None  # chế độ sử dụng 01-03; see ``_reconcile_mode`` for how it meets is_public
    keyword: str = ""  # từ khóa
    infor_sign: str = ""  # ký hiệu thông tin
    autograph: str = ""  # bút tích
    physical_format: str | None = None  # tình trạng vật lý 01-03
    process: bool = False  # a processing-flow file is attached
    description: str = ""  # ghi chú
    issued_amount: int | None = None  # số bản

    @property
    def is_conditional(self) -> bool:
        """Mode 02 (sử dụng có điều kiện): read across agencies only with a grant (``can_read``)."""
        return self.mode == MODE_CONDITIONAL

    @property
    def document_number(self) -> str:
        """The number as printed on the document: ``123/QĐ-UBND``."""
        return f"{self.number}/{self.notation}" if self.notation else self.number

    def normalized(self) -> RecordMetadata:
        """The same metadata with every text field NFC-normalised."""
        changes: dict[str, object] = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if isinstance(value, str):
                changes[f.name] = nfc(value)
        changes["recipients"] = tuple(nfc(r) for r in self.recipients if nfc(r))
        changes["languages"] = tuple(nfc(v) for v in self.languages)
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]


_REQUIRED_TEXT = (  # document_type too, unless type_name names it (see _coded)
    "number",
    "issuing_agency_code",
    "issuing_agency_name",
    "subject",
    "signer_name",
    "signer_position",
)
_MAX_LENGTH = {
    "document_type": 100,
    "number": 30,
    "notation": 60,
    "issuing_agency_code": 40,
    "issuing_agency_name": 300,
    "issue_place": 100,
    "signer_name": 120,
    "signer_position": 200,
    "arrival_number": 30,
    "retention_code": 40,
    # Circular 05/2025 keeps the lengths of Circular 02/2019's document fields.
    "keyword": 100,
    "infor_sign": 30,
    "autograph": 2000,
    "description": 500,
}


def validate_metadata(metadata: RecordMetadata, *, today: date) -> RecordMetadata:
    """Return the NFC-normalised metadata, or raise MetadataInvalid naming the field."""
    m = metadata.normalized()
    for name in _REQUIRED_TEXT:
        if not getattr(m, name):
            raise MetadataInvalid(name, "is required")
    for name, limit in _MAX_LENGTH.items():
        value = getattr(m, name)
        if value is not None and len(value) > limit:
            raise MetadataInvalid(name, f"is longer than {limit} characters")
    if len(m.subject) > SUBJECT_MAX:
        raise MetadataInvalid("subject", f"is longer than {SUBJECT_MAX} characters")
    if "/" in m.number:
        raise MetadataInvalid("number", "must not contain '/'; put the notation in 'notation'")
    if m.issue_date > today:
        raise MetadataInvalid("issue_date", "is in the future")
    if m.arrival_date is not None and m.arrival_date > today:
        raise MetadataInvalid("arrival_date", "is in the future")
    if m.arrival_date is not None and m.arrival_date < m.issue_date:
        raise MetadataInvalid("arrival_date", "is before the issue date")
    if m.direction is Direction.OUTGOING and (m.arrival_number or m.arrival_date):
        raise MetadataInvalid("arrival_number", "only incoming documents have an arrival entry")
    if m.page_count is not None and not 1 <= m.page_count <= PAGE_COUNT_MAX:
        raise MetadataInvalid("page_count", f"must be between 1 and {PAGE_COUNT_MAX}")
    _check_recipients(m.recipients)
    if m.is_public and m.classification is not Classification.ORDINARY:
        raise MetadataInvalid("is_public", "a classified document cannot be public")
    if m.issued_amount is not None and not 1 <= m.issued_amount <= ISSUED_AMOUNT_MAX:
        raise MetadataInvalid("issued_amount", f"must be between 1 and {ISSUED_AMOUNT_MAX}")
    return _reconcile_mode(_coded(m))


def _coded(m: RecordMetadata) -> RecordMetadata:
    """The coded fields as codes; each refusal names the field and lists the allowed values.

    ``type_name`` and ``document_type`` describe one thing twice: the code is what
    Circular 05 exchanges, the text what retention rules and search match on (and it may
    say more, e.g. "Quyết định cá biệt"). Given a code only, the text is its label;
    given the text only, the code is the one it names, or 32 (Khác) keeping the text.
    """
    lists = codes.code_lists()
    types = lists[codes.DOCUMENT_TYPE]
    if m.type_name:
        type_code = types.parse(m.type_name, field_name="type_name")
        document_type = m.document_type or types.label(type_code)
    elif m.document_type:
        type_code, document_type = type_code_of(m.document_type), m.document_type
    else:
        raise MetadataInvalid("document_type", "is required (or give type_name)")
    if not 1 <= len(m.languages) <= LANGUAGES_MAX:
        raise MetadataInvalid("language", f"takes 1 to {LANGUAGES_MAX} language codes")
    return dataclasses.replace(
        m,
        type_name=type_code,
        document_type=document_type,
        languages=lists[codes.LANGUAGE].parse_many(m.languages, field_name="language"),
        mode=lists[codes.MODE].parse(m.mode, field_name="mode") if m.mode else None,
        physical_format=(
            lists[codes.PHYSICAL_FORMAT].parse(m.physical_format, field_name="physical_format")
            if m.physical_format
            else None
        ),
    )


def type_code_of(document_type: str) -> str:
    """The document-type code a free-text type names, or 32 (Khác) when it names none."""
    try:
        return codes.code_lists()[codes.DOCUMENT_TYPE].parse(document_type, field_name="document_type")
    except MetadataInvalid:
        return TYPE_OTHER


def _reconcile_mode(m: RecordMetadata) -> RecordMetadata:
    """Mode, ``is_public`` and classification must tell one story.

    * 01 (public): the record is public (``is_public`` is set) and ORDINARY.
    * 02 (conditional use): not public and ORDINARY; ``can_read`` lets other agencies'
      archivists read it only through a grant.
    * 03 (secret): classified Mật (CONFIDENTIAL) or above, never public.

    Without a mode, it is derived where the facts decide it: public gives 01, a
    classification gives 03. An ORDINARY record that is not public keeps no mode
    ("not stated"): it is read as before Circular 05 (its agency, grantees,
    archivists, admins), because nothing says its use is conditional.
    """
    classified = m.classification is not Classification.ORDINARY
    if m.mode is None:
        derived = MODE_PUBLIC if m.is_public else MODE_SECRET if classified else None
        return dataclasses.replace(m, mode=derived)
    if m.mode == MODE_SECRET and not classified:
        raise MetadataInvalid("mode", "03 (Mật) needs a classification of Mật (CONFIDENTIAL) or above")
    if m.mode != MODE_SECRET and classified:
        raise MetadataInvalid("mode", f"a document classified {m.classification.label} has mode 03 (Mật)")
    if m.mode != MODE_PUBLIC and m.is_public:
        raise MetadataInvalid("is_public", f"a document of mode {m.mode} is not public; mode 01 is")
    return dataclasses.replace(m, is_public=m.mode == MODE_PUBLIC)


def derive_confidence_level(pages: tuple[Page, ...] | list[Page], status: TextStatus) -> str | None:
    """Mức độ tin cậy, from how the text was obtained: 01 when every page came from a
    text layer, 02 when every page was OCR'd, 03 when both; None while the text is not
    (or could not be) obtained, or when the document has no page of text."""
    if status not in (TextStatus.EXTRACTED, TextStatus.OCR_DONE) or not pages:
        return None
    sources = {p.source for p in pages}
    if sources == {TextSource.TEXT_LAYER}:
        return CONFIDENCE_TEXT_LAYER
    if sources == {TextSource.OCR}:
        return CONFIDENCE_OCR
    return CONFIDENCE_MIXED


def _check_recipients(recipients: tuple[str, ...]) -> None:
    if len(recipients) > RECIPIENTS_MAX:
        raise MetadataInvalid("recipients", f"has more than {RECIPIENTS_MAX} entries")
    for recipient in recipients:
        if len(recipient) > RECIPIENT_MAX_LENGTH:
            raise MetadataInvalid("recipients", f"has an entry longer than {RECIPIENT_MAX_LENGTH} characters")


# -- file names -------------------------------------------------------------------------------
#
# A file name is depositor-controlled text that ends up in a Content-Disposition
# header, in a browser's save dialog and in a file manager. Control characters make
# the header illegal (a newline or NUL kills the response) or rewrite a terminal
# (ESC); bidi overrides and isolates make "invoice\u202efdp.exe" display as
# "invoiceexe.pdf". Both are removed at deposit, and again when a name is served.

_BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_LINE_BREAKS = frozenset("\u2028\u2029")

EXTENSIONS = {
    "application/pdf": (".pdf",),
    "image/png": (".png",),
    "image/jpeg": (".jpg", ".jpeg"),
    "image/tiff": (".tif", ".tiff"),
}
"""The extensions a detected media type is served with; the first is the one added."""


def _is_unsafe(char: str) -> bool:
    # Cc is C0 (NUL, newline, vertical tab, ESC...), DEL and C1.
    return unicodedata.category(char) == "Cc" or char in _BIDI_CONTROLS or char in _LINE_BREAKS


def clean_filename(name: str) -> str:
    """A file name safe to keep and to serve: the last path segment, NFC, without control
    or bidi-override characters, at most FILENAME_MAX characters; "document" if nothing is left."""
    kept = "".join(c for c in unicodedata.normalize("NFC", name) if not _is_unsafe(c))
    base = kept.replace("\\", "/").rsplit("/", 1)[-1].strip()
    return base[:FILENAME_MAX].strip() or "document"


def download_filename(name: str, media_type: str) -> str:
    """The name a file is served under: cleaned, with the extension of the media type
    detected from its bytes (a PDF uploaded as ``x.html`` downloads as ``x.pdf``)."""
    clean = clean_filename(name)
    extensions = EXTENSIONS.get(media_type)
    if extensions is None:
        return clean
    stem, dot, suffix = clean.rpartition(".")
    if dot and f".{suffix.lower()}" in extensions:
        return clean
    return f"{stem if dot and stem else clean}{extensions[0]}"


@dataclass(frozen=True, slots=True)
class StoredFile:
    """The deposited bytes, as the blob store holds them."""

    storage_key: str  # generated by the server, never from the file name
    sha256: str
    size: int
    media_type: str
    original_filename: str  # metadata only
    version_id: str | None = None  # object version on a versioned bucket


@dataclass(frozen=True, slots=True)
class Page:
    """The text of one page, and where it came from."""

    number: int  # 1-based
    text: str
    source: TextSource
    confidence: float | None = None  # mean OCR confidence, 0-100
    file_id: str | None = None  # the record file it belongs to; None: the main file


@dataclass(frozen=True, slots=True)
class Grant:
    """An explicit read grant on a record, to a principal or to an agency."""

    grantee: str  # "user:<subject>" or "agency:<code>"


@dataclass(frozen=True, slots=True)
class Record:
    """An archived record: metadata, the stored file and its bookkeeping."""

    id: str
    agency_code: str  # owning agency
    metadata: RecordMetadata
    file: StoredFile
    created_at: datetime
    updated_at: datetime
    text_status: TextStatus = TextStatus.PENDING
    row_version: int = 1
    grants: tuple[str, ...] = ()  # grantee keys, see Grant
    pages: tuple[Page, ...] = field(default=(), compare=False)
    # Its place in the archive (archive.domain.archival): the fonds (None at deposit: the
    # owning agency's default fonds), and the dossier and the ordinal inside it.
    fonds_id: str | None = None
    dossier_id: str | None = None
    doc_ordinal: int | None = None
    confidence_level: str | None = None  # derived from the pages' sources when the text is set
    # Every file with its versions (archive.domain.files), the main one first; ``file`` is
    # the main file's current version. Empty on a record built before it is stored.
    files: tuple[RecordFile, ...] = field(default=(), compare=False)
    metadata_version: int = 1  # 1 as deposited; each correction adds one (archive.domain.versions)

    @property
    def is_conditional(self) -> bool:
        return self.metadata.is_conditional

    @property
    def classification(self) -> Classification:
        return self.metadata.classification

    @property
    def is_public(self) -> bool:
        return self.metadata.is_public
