"""The document fields of Circular 05/2025 on a record: codes accepted by code or
name and refused naming the field, the type code beside the free-text type, mode
against isPublic and classification, the derived confidence level, and the read
rule for conditional use (mode 02)."""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Any

import pytest

from archive.domain import codes
from archive.domain import records as r
from archive.domain.access import (
    ANONYMOUS,
    AuditScope,
    Principal,
    Readable,
    ReadScope,
    Role,
    can_manage,
    can_read,
)
from archive.domain.errors import MetadataInvalid
from archive.domain.records import Classification, Page, TextSource, TextStatus

TODAY = date(2025, 6, 1)
BASE = r.RecordMetadata(
    document_type="Quyết định",
    number="12",
    notation="QĐ-UBND",
    issuing_agency_code="UBND-HG",
    issuing_agency_name="Ủy ban nhân dân tỉnh Hà Giang",
    issue_date=date(2025, 5, 2),
    subject="Về việc ban hành quy chế",
    signer_name="Nguyễn Văn An",
    signer_position="Chủ tịch",
    direction=r.Direction.OUTGOING,
)


def valid(**changes: Any) -> r.RecordMetadata:
    return r.validate_metadata(dataclasses.replace(BASE, **changes), today=TODAY)


def refused(**changes: Any) -> MetadataInvalid:
    with pytest.raises(MetadataInvalid) as caught:
        valid(**changes)
    return caught.value


def test_the_codes_with_a_rule_are_the_ones_the_lists_name() -> None:
    lists = codes.code_lists()
    assert lists[codes.MODE].label(r.MODE_PUBLIC) == "Công khai"
    assert lists[codes.MODE].label(r.MODE_CONDITIONAL) == "Sử dụng có điều kiện"
    assert lists[codes.MODE].label(r.MODE_SECRET) == "Mật"
    assert lists[codes.DOCUMENT_TYPE].label(r.TYPE_OTHER) == "Khác"
    assert lists[codes.LANGUAGE].label(r.LANGUAGE_VIETNAMESE) == "Tiếng Việt"
    levels = lists[codes.CONFIDENCE_LEVEL]
    assert [levels.label(c) for c in (r.CONFIDENCE_TEXT_LAYER, r.CONFIDENCE_OCR, r.CONFIDENCE_MIXED)] == [
        "Gốc điện tử",
        "Số hóa",
        "Hỗn hợp",
    ]


@pytest.mark.parametrize(
    ("document_type", "type_name", "stored"),
    [
        ("Quyết định", None, ("Quyết định", "02")),  # the text names a code
        ("cong van", None, ("cong van", "22")),  # by its name without diacritics; text kept
        ("Quyết định cá biệt", None, ("Quyết định cá biệt", "32")),  # names none: Khác, text kept
        ("", "Tờ trình", ("Tờ trình", "15")),  # the code's label becomes the text
        ("", "07", ("Thông báo", "07")),
        ("Quyết định cá biệt", "quyet dinh", ("Quyết định cá biệt", "02")),  # both: both kept
    ],
)
def test_the_type_code_and_the_free_text_type(
    document_type: str, type_name: str | None, stored: tuple[str, str]
) -> None:
    m = valid(document_type=document_type, type_name=type_name)
    assert (m.document_type, m.type_name) == stored


def test_an_unknown_type_name_is_refused_listing_the_allowed_values() -> None:
    error = refused(type_name="Sắc lệnh")
    assert error.field == "type_name"
    assert "'Sắc lệnh' is not a known value" in error.reason
    assert "01 (Nghị quyết)" in error.reason and "32 (Khác)" in error.reason


def test_a_type_is_required_one_way_or_the_other() -> None:
    assert refused(document_type="  ", type_name=None).field == "document_type"


@pytest.mark.parametrize(
    ("given", "codes_"),
    [(("vi",), ("01",)), (("en", "Tiếng Việt", "01"), ("01", "02")), (("song ngu anh - viet",), ("06",))],
)
def test_languages_are_codes(given: tuple[str, ...], codes_: tuple[str, ...]) -> None:
    assert valid(languages=given).languages == codes_


@pytest.mark.parametrize("languages", [(), ("vi", "klingon"), ("01",) * 21])
def test_bad_languages_are_refused(languages: tuple[str, ...]) -> None:
    assert refused(languages=languages).field == "language"


@pytest.mark.parametrize(
    ("mode", "classification", "is_public", "outcome"),
    [
        # mode given: it decides isPublic, and must agree with the classification
        ("01", Classification.ORDINARY, False, ("01", True)),
        ("công khai", Classification.ORDINARY, True, ("01", True)),
        ("02", Classification.ORDINARY, False, ("02", False)),
        ("03", Classification.CONFIDENTIAL, False, ("03", False)),
        ("mat", Classification.TOP_SECRET, False, ("03", False)),
        ("01", Classification.SECRET, False, "mode"),
        ("02", Classification.CONFIDENTIAL, False, "mode"),
        ("03", Classification.ORDINARY, False, "mode"),
        ("02", Classification.ORDINARY, True, "is_public"),
        ("04", Classification.ORDINARY, False, "mode"),
        # no mode: derived where the facts decide it, else not stated
        (None, Classification.ORDINARY, True, ("01", True)),
        (None, Classification.SECRET, False, ("03", False)),
        (None, Classification.ORDINARY, False, (None, False)),
    ],
)
def test_mode_against_is_public_and_classification(
    mode: str | None, classification: Classification, is_public: bool, outcome: tuple[Any, bool] | str
) -> None:
    changes = {"mode": mode, "classification": classification, "is_public": is_public}
    if isinstance(outcome, str):
        assert refused(**changes).field == outcome
        return
    m = valid(**changes)
    assert (m.mode, m.is_public) == outcome
    assert m.is_conditional == (m.mode == "02")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"physical_format": "rách"}, "physical_format"),
        ({"issued_amount": 0}, "issued_amount"),
        ({"issued_amount": 100_001}, "issued_amount"),
        ({"keyword": "k" * 101}, "keyword"),
        ({"infor_sign": "s" * 31}, "infor_sign"),
        ({"autograph": "a" * 2001}, "autograph"),
        ({"description": "d" * 501}, "description"),
    ],
)
def test_other_document_fields_are_bounded(changes: dict[str, Any], field: str) -> None:
    assert refused(**changes).field == field


def test_the_other_document_fields_are_kept_normalised() -> None:
    m = valid(
        keyword=" chữ ký số ", infor_sign="TT-01", autograph="Đồng ý. Ký", physical_format="tot",
        process=True, description="Bản gốc", issued_amount=3,
    )  # fmt: skip
    assert (m.keyword, m.infor_sign, m.physical_format, m.process, m.issued_amount) == (
        "chữ ký số", "TT-01", "01", True, 3,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("sources", "status", "level"),
    [
        ((TextSource.TEXT_LAYER, TextSource.TEXT_LAYER), TextStatus.EXTRACTED, "01"),
        ((TextSource.OCR,), TextStatus.OCR_DONE, "02"),
        ((TextSource.TEXT_LAYER, TextSource.OCR), TextStatus.OCR_DONE, "03"),
        ((), TextStatus.EXTRACTED, None),
        ((TextSource.TEXT_LAYER,), TextStatus.PENDING, None),
        ((TextSource.TEXT_LAYER,), TextStatus.PENDING_OCR, None),
        ((TextSource.TEXT_LAYER,), TextStatus.FAILED, None),
    ],
)
def test_the_confidence_level_follows_the_text_sources(
    sources: tuple[TextSource, ...], status: TextStatus, level: str | None
) -> None:
    pages = tuple(Page(n, "x", s) for n, s in enumerate(sources, start=1))
    assert r.derive_confidence_level(pages, status) == level


# --- who reads a conditional-use (mode 02) record -------------------------------------------

CONDITIONAL = Readable("SO-TC", Classification.ORDINARY, False, ("user:granted", "agency:SO-XD"), True)


def who(subject: str, *roles: Role, agencies: tuple[str, ...] = (), **kw: Any) -> Principal:
    return Principal(subject=subject, roles=frozenset(roles), agencies=frozenset(agencies), **kw)


@pytest.mark.parametrize(
    ("principal", "reads"),
    [
        (who("clerk", Role.CLERK, agencies=("SO-TC",)), True),  # its own agency
        (who("reader", agencies=("SO-TC",)), True),
        (who("archivist", Role.ARCHIVIST, clearance=Classification.TOP_SECRET), False),  # no grant
        (who("granted", Role.ARCHIVIST), True),  # a grant to the person
        (who("xd-archivist", Role.ARCHIVIST, agencies=("SO-XD",)), True),  # a grant to its agency
        (who("admin", Role.ADMIN), True),  # may grant anything, so reads it
        (who("reader-b", agencies=("UBND-HG",)), False),
        (ANONYMOUS, False),
    ],
)
def test_who_reads_a_conditional_use_record(principal: Principal, reads: bool) -> None:
    assert can_read(principal, CONDITIONAL) is reads
    assert ReadScope.for_principal(principal).allows(CONDITIONAL) is reads
    # The same record without mode 02 is read across agencies as before.
    plain = dataclasses.replace(CONDITIONAL, conditional=False, grants=())
    assert can_read(principal, plain) is (
        (principal.anonymous is False and bool(principal.roles & {Role.ARCHIVIST, Role.ADMIN}))
        or "SO-TC" in principal.agencies
    )


def test_a_top_secret_archivist_is_no_longer_an_auditor_of_everything() -> None:
    archivist = who("a", Role.ARCHIVIST, clearance=Classification.TOP_SECRET)
    admin = who("b", Role.ADMIN, clearance=Classification.TOP_SECRET)
    assert not AuditScope.for_principal(archivist).everything
    assert not AuditScope.for_principal(archivist).allows(CONDITIONAL)
    assert AuditScope.for_principal(admin).everything


def test_managing_still_implies_reading() -> None:
    manager = who("m", Role.RECORDS_MANAGER, agencies=("SO-TC",))
    admin = who("b", Role.ADMIN)
    for principal in (manager, admin):
        assert can_manage(principal, CONDITIONAL) and can_read(principal, CONDITIONAL)
