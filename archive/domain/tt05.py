"""Every Circular 05/2025/TT-BNV element name, in one place.

The package writers, the package reader and the XSD we ship all read the tables
below, so no other module spells a TT05 name. Each row maps one field of the
domain description (``archive.domain.packages``) to its element, its XSD type and
whether it may be absent.

TT05 publishes its field set as tables, a skeleton and a sample XSD that do not
agree with each other (counts differ; the sample XSD names ``docCode`` where its
data says ``arcDocCode``). Where they disagree we follow E-ARK CSIP and the names
the archival model already uses (README "Transfer"):

* ``fileCode``/``arcFileCode`` and ``docCode``/``arcDocCode`` are two fields each,
  not two spellings of one: ``docCode`` = ``fileCode`` + "." + the ordinal on seven
  digits, ``arcDocCode`` = the keeping archive's code + "." + ``docCode``, written
  only when that code is configured (like ``arcFileCode``).
* Dates are ``xs:date`` (ISO 8601, ``2025-07-01``): XML Schema can check them, the
  printed form dd/mm/yyyy is for people.
* A repeated value (``language``) is a repeated element, one code each.
* Codes are the codes of ``archive/domain/codelists``, never their labels.
* The fonds is ``organId`` (TT02/2019 printed it "organld", a typo we do not copy)
  and the submitting agency ``agencyCode``.
* The descriptive files are in our own namespace ``NAMESPACE`` and validated with
  our own XSD (``SCHEMA_FILE``, built from these tables): TT05 names the files
  "EAD" but its field set is not EAD3, so the METS ``mdRef`` says
  ``MDTYPE="OTHER" OTHERMDTYPE="TT05"`` rather than claim a schema it does not follow.

Standard library only.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

NAMESPACE = "urn:records-archive:tt05:2025"
SCHEMA_FILE = "tt05-ead.xsd"  # in the package's schemas/ folder
OTHER_MDTYPE = "TT05"
VERSION = "1.0"  # our schema's version, the @version of every descriptive root

DOSSIER_ROOT = "dossier"  # metadata/descriptive/EAD.xml of a hồ sơ package
BATCH_ROOT = "batch"  # metadata/descriptive/EAD.xml of a tài liệu package
DOCUMENT_ROOT = "document"  # EAD_doc_{n}.xml


class Kind(enum.Enum):
    """How a field's value is written, and its XSD type."""

    TEXT = "xs:string"
    CODE = "xs:token"  # a code of a code list, e.g. "01"
    DATE = "xs:date"
    COUNT = "xs:nonNegativeInteger"
    FLAG = "xs:boolean"
    CODES = "xs:token*"  # repeated element, one code each


@dataclass(frozen=True, slots=True)
class Field:
    """One TT05 element: its name, the description attribute it comes from, its kind."""

    element: str
    attribute: str
    kind: Kind
    required: bool = False
    label: str = ""  # the Vietnamese name, for the XSD's documentation


# metadata/descriptive/EAD.xml of SIP_hoso / AIP_hoso: the dossier (TT05's 18 fields,
# then the fonds and agency that place it).
DOSSIER_FIELDS: tuple[Field, ...] = (
    Field("arcFileCode", "arc_file_code", Kind.TEXT, label="Mã hồ sơ lưu trữ"),
    Field("fileCode", "file_code", Kind.TEXT, required=True, label="Mã hồ sơ"),
    Field("title", "title", Kind.TEXT, required=True, label="Tiêu đề hồ sơ"),
    Field("maintenance", "maintenance", Kind.CODE, required=True, label="Thời hạn bảo quản"),
    Field("mode", "mode", Kind.CODE, required=True, label="Chế độ sử dụng"),
    Field("language", "languages", Kind.CODES, required=True, label="Ngôn ngữ"),
    Field("startDate", "start_date", Kind.DATE, label="Thời gian bắt đầu"),
    Field("endDate", "end_date", Kind.DATE, label="Thời gian kết thúc"),
    Field("keyword", "keyword", Kind.TEXT, label="Từ khóa"),
    Field("totalDoc", "total_doc", Kind.COUNT, required=True, label="Tổng số văn bản trong hồ sơ"),
    Field("numberOfPaper", "number_of_paper", Kind.COUNT, label="Số lượng tờ"),
    Field("numberOfPage", "number_of_page", Kind.COUNT, required=True, label="Số lượng trang"),
    Field("format", "physical_format", Kind.CODE, required=True, label="Tình trạng vật lý"),
    Field("inforSign", "infor_sign", Kind.TEXT, label="Ký hiệu thông tin"),
    Field("confidenceLevel", "confidence_level", Kind.CODE, label="Mức độ tin cậy"),
    Field("paperFileCode", "paper_file_code", Kind.TEXT, label="Mã hồ sơ giấy"),
    Field("riskRecovery", "risk_recovery", Kind.CODE, required=True, label="Chế độ dự phòng"),
    Field(
        "riskRecoveryStatus", "risk_recovery_status", Kind.CODE, required=True, label="Tình trạng dự phòng"
    ),
    Field("description", "description", Kind.TEXT, label="Ghi chú"),
    Field("organId", "fonds_code", Kind.TEXT, required=True, label="Mã phông"),
    Field("agencyCode", "agency_code", Kind.TEXT, required=True, label="Mã cơ quan"),
)

# metadata/descriptive/EAD.xml of SIP_tailieu / AIP_tailieu: a short batch description.
BATCH_FIELDS: tuple[Field, ...] = (
    Field("title", "title", Kind.TEXT, required=True, label="Tiêu đề"),
    Field("organId", "fonds_code", Kind.TEXT, required=True, label="Mã phông"),
    Field("agencyCode", "agency_code", Kind.TEXT, required=True, label="Mã cơ quan"),
    Field("totalDoc", "total_doc", Kind.COUNT, required=True, label="Tổng số văn bản"),
    Field("startDate", "start_date", Kind.DATE, label="Thời gian bắt đầu"),
    Field("endDate", "end_date", Kind.DATE, label="Thời gian kết thúc"),
    Field("description", "description", Kind.TEXT, label="Ghi chú"),
)

# representations/rep1/metadata/descriptive/EAD_doc_{n}.xml: one document. TT05's
# document fields, then Decree 30's signer and copies that TT05 does not list.
DOCUMENT_FIELDS: tuple[Field, ...] = (
    Field("arcDocCode", "arc_doc_code", Kind.TEXT, label="Mã định danh văn bản lưu trữ"),
    Field("docCode", "doc_code", Kind.TEXT, label="Mã định danh văn bản"),
    Field("fileCode", "file_code", Kind.TEXT, label="Mã hồ sơ"),
    Field("docOrdinal", "doc_ordinal", Kind.COUNT, label="Số thứ tự văn bản trong hồ sơ"),
    Field("typeName", "type_name", Kind.CODE, required=True, label="Tên loại văn bản"),
    Field("codeNumber", "code_number", Kind.TEXT, required=True, label="Số của văn bản"),
    Field("codeNotation", "code_notation", Kind.TEXT, label="Ký hiệu của văn bản"),
    Field("issuedDate", "issued_date", Kind.DATE, required=True, label="Ngày, tháng, năm văn bản"),
    Field("organName", "organ_name", Kind.TEXT, required=True, label="Tên cơ quan ban hành"),
    Field("organCode", "organ_code", Kind.TEXT, required=True, label="Mã cơ quan ban hành"),
    Field("subject", "subject", Kind.TEXT, required=True, label="Trích yếu nội dung"),
    Field("language", "languages", Kind.CODES, required=True, label="Ngôn ngữ"),
    Field("pageAmount", "page_amount", Kind.COUNT, label="Số lượng trang"),
    Field("signerName", "signer_name", Kind.TEXT, required=True, label="Họ tên người ký"),
    Field("signerPosition", "signer_position", Kind.TEXT, required=True, label="Chức vụ người ký"),
    Field("keyword", "keyword", Kind.TEXT, label="Từ khóa"),
    Field("mode", "mode", Kind.CODE, label="Chế độ sử dụng"),
    Field("confidenceLevel", "confidence_level", Kind.CODE, label="Mức độ tin cậy"),
    Field("inforSign", "infor_sign", Kind.TEXT, label="Ký hiệu thông tin"),
    Field("autograph", "autograph", Kind.TEXT, label="Bút tích"),
    Field("format", "physical_format", Kind.CODE, label="Tình trạng vật lý"),
    Field("process", "process", Kind.FLAG, required=True, label="Quy trình xử lý"),
    Field("issuedAmount", "issued_amount", Kind.COUNT, label="Số bản"),
    Field("description", "description", Kind.TEXT, label="Ghi chú"),
)

# The values of metsHdr/agent/note/@csip:NOTETYPE TT05 relies on.
NOTE_IDENTIFICATION_CODE = "IDENTIFICATIONCODE"  # the submitting body's fonds code
NOTE_SOFTWARE_VERSION = "SOFTWARE VERSION"  # CSIP16, on the software agent only

ROOTS: dict[str, tuple[Field, ...]] = {
    DOSSIER_ROOT: DOSSIER_FIELDS,
    BATCH_ROOT: BATCH_FIELDS,
    DOCUMENT_ROOT: DOCUMENT_FIELDS,
}
"""Each descriptive root element and its fields, in document order."""
