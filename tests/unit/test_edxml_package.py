"""edXML packages read into the domain: the mapping, the variants found in the wild, each
bad input refused naming its part, and the envelope's XML signature.

Packages are built by tests/support/edxml.py after the structure public integrations
of the interchange write; signatures are real (signxml, the throwaway PKI).
"""

from __future__ import annotations

import base64
import io
import zipfile
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from archive.domain.edxml import (
    NAMESPACE_LEGACY,
    BusinessType,
    EdxmlPackage,
    EnvelopeSignatureState,
    IntakeKey,
    attachment_roles,
    parse_date,
    split_document_id,
    to_metadata,
)
from archive.domain.errors import PackageRefused
from archive.domain.files import FileRole
from archive.domain.records import Direction, Urgency, validate_metadata
from archive.samples import render_pdf
from indexing.edxml import PackageLimits, open_package
from indexing.signatures import TrustRoots
from tests.support.edxml import (
    RECEIVER,
    SENDER,
    AttachmentSpec,
    EdxmlSpec,
    billion_laughs,
    external_entity,
    pdf_attachment,
    zipped_attachment,
)
from tests.support.signing import Pki, make_pki, write_trust_roots

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
APPENDIX = b"PK\x03\x04 a docx is a zip; the archive keeps it as sent"


@pytest.fixture(scope="module")
def pki() -> Pki:
    return make_pki()


@pytest.fixture(scope="module")
def roots(pki: Pki, tmp_path_factory: pytest.TempPathFactory) -> TrustRoots:
    return TrustRoots.from_directory(
        write_trust_roots(tmp_path_factory.mktemp("roots"), pki.root.certificate)
    )


@pytest.fixture(scope="module")
def pdf() -> bytes:
    return render_pdf()


@pytest.fixture
def spec(pdf: bytes) -> EdxmlSpec:
    return EdxmlSpec(
        attachments=(pdf_attachment(pdf), AttachmentSpec("Phu luc 1.docx", APPENDIX, DOCX)),
        appendixes=("Phu luc 1.docx",),
        due=date(2026, 2, 1),
        response_for=(("000.00.01.H10", "45/BC-SNV", "000.00.01.H10,2025/12/20,45/BC-SNV"),),
    )


def read(data: bytes, roots: TrustRoots, limits: PackageLimits | None = None) -> EdxmlPackage:
    return open_package(data, roots, limits or PackageLimits())


def refused(data: bytes, roots: TrustRoots, limits: PackageLimits | None = None) -> PackageRefused:
    with pytest.raises(PackageRefused) as caught:
        read(data, roots, limits)
    assert caught.value.code == "PACKAGE_REFUSED"
    return caught.value


def test_a_new_document_with_two_attachments_maps_every_header_field(
    spec: EdxmlSpec, roots: TrustRoots, pdf: bytes
) -> None:
    package = read(spec.build(), roots)

    assert (package.sender.organ_id, package.sender.name) == (SENDER, "UBND tỉnh Hà Giang")
    assert [r.organ_id for r in package.receivers] == [RECEIVER]
    assert package.document_id == f"{SENDER},2026/01/02,123/QĐ-UBND"
    assert (package.number, package.notation) == ("123", "QĐ-UBND")
    assert (package.promulgation_place, package.promulgation_date) == ("Hà Giang", date(2026, 1, 2))
    assert package.document_type == "Quyết định"
    assert package.signer.competence == "TM. ỦY BAN NHÂN DÂN" and package.signer.full_name == "Nguyễn Văn An"
    assert package.due_date == date(2026, 2, 1)
    assert package.to_places == ("Như Điều 3",)
    assert (package.other.priority, package.other.promulgation_amount, package.other.page_amount) == (
        1,
        10,
        2,
    )
    assert package.other.sphere_of_promulgation == "Văn bản cấp tỉnh"
    assert package.other.appendixes == ("Phu luc 1.docx",)
    [response] = package.response_for
    assert (response.code, response.document_id) == ("45/BC-SNV", "000.00.01.H10,2025/12/20,45/BC-SNV")
    assert package.steering_type == 1
    assert [(h.organ_id, h.timestamp) for h in package.trace] == [
        (SENDER, datetime(2026, 1, 2, 1, 30, tzinfo=UTC))
    ]
    assert package.business.type is BusinessType.NEW and not package.legacy
    main, appendix = package.attachments
    assert (main.name, main.media_type, main.data) == ("QD-123.pdf", "application/pdf", pdf)
    assert (appendix.name, appendix.media_type, appendix.data) == ("Phu luc 1.docx", DOCX, APPENDIX)
    # The DOCX is named as an appendix but is no PDF: it travels as an attachment.
    assert attachment_roles(package) == (FileRole.MAIN, FileRole.ATTACHMENT)


def test_the_header_becomes_valid_record_metadata(spec: EdxmlSpec, roots: TrustRoots) -> None:
    package = read(spec.build(), roots)

    metadata = validate_metadata(to_metadata(package, received_on=date(2026, 1, 3)), today=date(2026, 1, 3))

    assert metadata.document_number == "123/QĐ-UBND"
    assert (metadata.issuing_agency_code, metadata.issuing_agency_name) == (SENDER, "UBND tỉnh Hà Giang")
    assert metadata.issue_date == date(2026, 1, 2) and metadata.issue_place == "Hà Giang"
    assert metadata.subject == spec.subject
    assert metadata.signer_name == "Nguyễn Văn An"
    assert metadata.signer_position == "TM. ỦY BAN NHÂN DÂN CHỦ TỊCH"
    assert metadata.direction is Direction.INCOMING and metadata.arrival_date == date(2026, 1, 3)
    assert metadata.recipients == ("Sở Nội vụ tỉnh Hà Giang", "Như Điều 3")
    assert metadata.urgency is Urgency.URGENT
    assert (metadata.page_count, metadata.issued_amount, metadata.due_date) == (2, 10, date(2026, 2, 1))
    assert metadata.description == spec.content
    assert metadata.document_type == "Quyết định" and metadata.type_name is not None


def test_the_older_namespace_reads_the_same(spec: EdxmlSpec, roots: TrustRoots) -> None:
    current = read(spec.build(), roots)
    legacy = read(spec.but(namespace=NAMESPACE_LEGACY).build(), roots)

    assert legacy.legacy and not current.legacy
    assert legacy.key == current.key
    assert [a.data for a in legacy.attachments] == [a.data for a in current.attachments]


@pytest.mark.parametrize(
    ("in_manifest", "in_attachment"), [(True, False), (False, True), (True, True), (False, False)]
)
def test_cid_prefix_on_either_side(
    spec: EdxmlSpec, roots: TrustRoots, in_manifest: bool, in_attachment: bool
) -> None:
    package = read(spec.but(cid_in_manifest=in_manifest, cid_in_attachment=in_attachment).build(), roots)

    assert [a.content_id for a in package.attachments] == ["1", "2"]


@pytest.mark.parametrize("style", ["dd/MM/yyyy", "yyyy/MM/dd", "iso"])
def test_the_three_date_spellings(spec: EdxmlSpec, roots: TrustRoots, style: str) -> None:
    assert read(spec.but(date_style=style).build(), roots).promulgation_date == date(2026, 1, 2)


def test_other_files_travel_zipped_and_are_unpacked(pdf: bytes, roots: TrustRoots) -> None:
    spec = EdxmlSpec(attachments=(pdf_attachment(pdf), zipped_attachment("Bang tong hop.odt", b"odt bytes")))

    _, zipped = read(spec.build(), roots).attachments

    assert (zipped.name, zipped.data, zipped.zipped) == ("Bang tong hop.odt", b"odt bytes", True)
    assert zipped.media_type == "application/vnd.oasis.opendocument.text"


@pytest.mark.parametrize(
    ("business", "kind"),
    [(1, BusinessType.REVOKE), (2, BusinessType.UPDATE), (3, BusinessType.REPLACE)],
)
def test_business_types(spec: EdxmlSpec, roots: TrustRoots, business: int, kind: BusinessType) -> None:
    old = f"{SENDER},2025/06/01,77/QĐ-UBND"
    package = read(
        spec.but(business=business, reason="Sai sót", replaces=(old,) * (business == 3)).build(), roots
    )

    assert package.business.type is kind and package.business.reason == "Sai sót"
    assert package.key == IntakeKey(SENDER, spec.the_document_id, kind)
    if kind is BusinessType.REPLACE:
        [replacement] = package.business.replacements
        assert (replacement.document_id, replacement.organ_ids) == (old, (RECEIVER,))
    else:
        assert package.target_document_id == spec.the_document_id


def test_an_extra_trace_hop_is_the_same_document(spec: EdxmlSpec, roots: TrustRoots) -> None:
    first = spec.build()
    resent = spec.but(hops=(*spec.hops, ("000.00.00.G22", "2026-01-02T09:00:00+07:00"))).build()

    assert first != resent
    assert read(first, roots).key == read(resent, roots).key
    assert len(read(resent, roots).trace) == 2


def test_document_id_convention() -> None:
    parts = split_document_id("000.00.00.H10,2026/01/02,123/QĐ-UBND")

    assert parts is not None
    assert (parts.organ_id, parts.promulgation_date, parts.number, parts.notation) == (
        "000.00.00.H10",
        date(2026, 1, 2),
        "123",
        "QĐ-UBND",
    )
    assert split_document_id("5f0c1f7e-7b53-4c35-9f25-1d2cc8d9c0aa") is None


def test_a_missing_code_falls_back_on_the_document_id(spec: EdxmlSpec, roots: TrustRoots) -> None:
    package = read(
        spec.but(number="", notation="", document_id=f"{SENDER},2026/01/02,9/TB-UBND").build(), roots
    )

    assert (package.number, package.notation) == ("9", "TB-UBND")


@pytest.mark.parametrize("text", ["02/01/2026", "2026/01/02", "2026-01-02", "2026-01-02T10:00:00+07:00"])
def test_parse_date(text: str) -> None:
    assert parse_date(text, "x") == date(2026, 1, 2)


# -- bad input: each refused, naming the part ---------------------------------------------


def test_malformed_xml(roots: TrustRoots) -> None:
    assert refused(b"<edXML:edXML xmlns:edXML='x'><unclosed>", roots).part == "xml"


def test_an_empty_package(roots: TrustRoots) -> None:
    assert refused(b"  \n", roots).part == "xml"


def test_unknown_namespace(spec: EdxmlSpec, roots: TrustRoots) -> None:
    error = refused(spec.but(namespace="http://example.org/not-edxml").build(), roots)

    assert error.part == "root" and "not an edXML namespace" in error.message


def test_unknown_root(roots: TrustRoots) -> None:
    data = b'<edXML:Other xmlns:edXML="http://www.mic.gov.vn/TBT/QCVN_102_2016"/>'

    assert refused(data, roots).part == "root"


@pytest.mark.parametrize(
    ("omit", "part"),
    [
        ("From", "MessageHeader/From"),
        ("Subject", "MessageHeader/Subject"),
        ("DocumentId", "MessageHeader/DocumentId"),
    ],
)
def test_a_missing_required_header_field(spec: EdxmlSpec, roots: TrustRoots, omit: str, part: str) -> None:
    assert refused(spec.but(omit=(omit,)).build(), roots).part == part


def test_corrupt_base64(spec: EdxmlSpec, roots: TrustRoots) -> None:
    error = refused(spec.but(raw_attachment={"2": "not*base64!"}).build(), roots)

    assert error.part == "attachment cid:2" and "base64" in error.message


def test_corrupt_zip(pdf: bytes, roots: TrustRoots) -> None:
    broken = base64.b64encode(b"PK\x03\x04 truncated zip").decode()
    spec = EdxmlSpec(attachments=(pdf_attachment(pdf), zipped_attachment("a.odt", b"x")))

    error = refused(spec.but(raw_attachment={"2": broken}).build(), roots)

    assert error.part == "attachment cid:2" and "zip" in error.message


def test_a_zip_bomb_is_refused_by_size(pdf: bytes, roots: TrustRoots) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("bomb.txt", b"\0" * 2_000_000)
    spec = EdxmlSpec(attachments=(pdf_attachment(pdf), zipped_attachment("a.txt", b"x")))
    data = spec.but(raw_attachment={"2": base64.b64encode(buffer.getvalue()).decode()}).build()

    error = refused(data, roots, PackageLimits(max_attachment_bytes=1_000_000))

    assert error.part == "attachment cid:2" and "unzips to over" in error.message


def test_a_manifest_naming_a_missing_attachment(spec: EdxmlSpec, roots: TrustRoots) -> None:
    error = refused(spec.but(drop_attachment="2").build(), roots)

    assert error.part == "attachment cid:2" and "manifest names it" in error.message


@pytest.mark.parametrize("hostile", [billion_laughs, external_entity], ids=["billion-laughs", "xxe"])
def test_dtds_and_entities_are_refused(roots: TrustRoots, hostile: object) -> None:
    assert callable(hostile)
    error = refused(hostile(), roots)

    assert error.part == "xml" and "document type declaration" in error.message


def test_an_oversized_package(spec: EdxmlSpec, roots: TrustRoots) -> None:
    error = refused(spec.build(), roots, PackageLimits(max_package_bytes=10_000))

    assert error.part == "package" and "over the limit" in error.message


def test_a_bad_business_type_and_a_bad_date(spec: EdxmlSpec, roots: TrustRoots) -> None:
    assert refused(spec.but(business=7).build(), roots).part == "TraceHeaderList/Bussiness/BussinessDocType"
    bad_date = spec.build().replace(b"02/01/2026", b"2 Jan 2026")
    assert refused(bad_date, roots).part == "MessageHeader/PromulgationInfo/PromulgationDate"


# -- the envelope's XML signature -----------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "reason"),
    [
        ("placeholder", "not in the XMLDSig namespace"),
        ("sha1", "SHA-1"),
        ("fixed", "fixed value"),
    ],
)
def test_placeholder_signatures_are_accepted_as_unverified(
    spec: EdxmlSpec, roots: TrustRoots, kind: str, reason: str
) -> None:
    signature = read(spec.but(signature=kind).build(), roots).signature

    assert signature.state is EnvelopeSignatureState.PLACEHOLDER and not signature.verified
    assert reason in signature.summary


def test_no_signature_is_accepted_as_absent(spec: EdxmlSpec, roots: TrustRoots) -> None:
    assert read(spec.but(signature="none").build(), roots).signature.state is EnvelopeSignatureState.ABSENT


def test_a_real_signature_verifies_against_the_trust_roots(
    spec: EdxmlSpec, roots: TrustRoots, pki: Pki
) -> None:
    signature = read(spec.but(signature="real").build(pki.signer, pki), roots).signature

    assert signature.state is EnvelopeSignatureState.VALID and signature.verified
    assert signature.signer is not None and "Nguyễn Văn An" in signature.signer


def test_a_real_signature_from_another_root_is_untrusted(spec: EdxmlSpec, tmp_path: Path, pki: Pki) -> None:
    stranger = make_pki(root_name="Root CA Lạ")
    other_roots = TrustRoots.from_directory(write_trust_roots(tmp_path, stranger.root.certificate))

    signature = read(spec.but(signature="real").build(pki.signer, pki), other_roots).signature

    assert signature.state is EnvelopeSignatureState.UNTRUSTED


def test_a_real_signature_over_altered_content_is_refused(
    spec: EdxmlSpec, roots: TrustRoots, pki: Pki
) -> None:
    signed = spec.but(signature="real").build(pki.signer, pki)
    altered = signed.replace("quy chế lưu trữ điện tử".encode(), "quy chế khác hẳn".encode())
    assert altered != signed

    error = refused(altered, roots)

    assert error.part == "Signature" and "does not verify" in error.message


def test_a_dtd_hidden_from_the_byte_scan_by_another_encoding_is_still_refused(roots: TrustRoots) -> None:
    # UTF-16 hides "<!DOCTYPE" from the byte scan; the parsed tree's doctype still shows it,
    # and entities were never expanded (resolve_entities off).
    hidden = (
        billion_laughs().decode().replace('<?xml version="1.0"?>', '<?xml version="1.0" encoding="UTF-16"?>')
    )

    error = refused(hidden.encode("utf-16"), roots)

    assert error.part == "xml"


def test_an_attachment_larger_than_libxml2s_text_node_cap_is_read(pdf: bytes, roots: TrustRoots) -> None:
    # Its base64 is one text node of ~16 MB: over libxml2's 10 MB default (huge_tree is needed).
    scan = b"%PDF-1.4\n" + bytes(range(256)) * (12 * 1024 * 1024 // 256)
    spec = EdxmlSpec(attachments=(pdf_attachment(pdf), AttachmentSpec("scan.pdf", scan)))

    _, read_back = read(spec.build(), roots).attachments

    assert read_back.data == scan


def test_an_intake_audit_entry_is_about_its_record() -> None:
    # So an auditor sees it only when it may read the record (the audit read rule).
    from archive.domain.audit import record_subjects

    record_id = "3295f9a3-46ed-4fa3-b1c0-27ffc3d1b1c7"
    details = {"document": "000.00.00.H10,2026/01/02,123/QĐ-UBND", "sender": "000.00.00.H10"}

    assert record_subjects("edxml.import", record_id, details) == (record_id,)
    assert record_subjects("edxml.import", "agency:H10", {"code": "PACKAGE_REFUSED"}) == ()
