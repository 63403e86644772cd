"""The archival unit's pure rules: dossier fields, derived figures, closing, transitions."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest

from archive.domain.archival import (
    Dossier,
    DossierStatus,
    Member,
    check_ordinal,
    check_transition,
    doc_code,
    figures,
    missing_for_close,
    validate_dossier,
)
from archive.domain.errors import MetadataInvalid
from archive.domain.records import Classification

DOSSIER = Dossier(
    id="d",
    fonds_id="f",
    agency_code="UBND-HG",
    file_code="H12.2026.01-VP",
    title="Hồ sơ ",
    maintenance="10 năm",
)


def member(ordinal: int, day: int, sources: set[str], *, pages: int = 2, processing: bool = False) -> Member:
    return Member(f"r{ordinal}", ordinal, date(2026, 3, day), pages, frozenset(sources), processing)


def test_validation_parses_every_code_and_derives_public_from_mode() -> None:
    d = validate_dossier(dataclasses.replace(DOSSIER, mode="Công khai", languages=("en", "vi")))
    assert (d.maintenance, d.mode, d.is_public, d.languages, d.title) == (
        "06",
        "01",
        True,
        ("01", "02"),
        "Hồ sơ",
    )


def test_an_unknown_code_names_the_field_and_lists_the_allowed_values() -> None:
    with pytest.raises(MetadataInvalid) as caught:
        validate_dossier(dataclasses.replace(DOSSIER, physical_format="rách"))
    assert caught.value.field == "format" and "03 (Hư hỏng)" in caught.value.reason


def test_mode_and_classification_agree() -> None:
    with pytest.raises(MetadataInvalid, match="mode"):
        validate_dossier(dataclasses.replace(DOSSIER, mode="03"))
    secret = validate_dossier(dataclasses.replace(DOSSIER, mode="03", classification=Classification.SECRET))
    assert not secret.is_public


def test_figures_come_from_the_members() -> None:
    f = figures(DOSSIER, [member(1, 5, {"text_layer"}), member(2, 2, {"ocr"}, pages=3)])
    assert (f.total_doc, f.number_of_page, f.start_date, f.end_date) == (
        2,
        5,
        date(2026, 3, 2),
        date(2026, 3, 5),
    )
    assert f.confidence_level == "03"
    assert figures(DOSSIER, [member(1, 5, {"ocr"})]).confidence_level == "02"
    assert figures(DOSSIER, [member(1, 5, {"text_layer"}, processing=True)]).confidence_level is None


def test_a_dossier_without_documents_cannot_close_and_a_digitised_one_needs_its_paper_code() -> None:
    assert missing_for_close(DOSSIER, figures(DOSSIER, [])) == ["documents", "start_date", "end_date"]
    scanned = figures(DOSSIER, [member(1, 5, {"ocr"})])
    assert missing_for_close(DOSSIER, scanned) == ["paper_file_code"]
    assert missing_for_close(dataclasses.replace(DOSSIER, paper_file_code="G-12"), scanned) == []


def test_the_lifecycle_moves_forward_and_reopens_only_from_closed() -> None:
    check_transition(DossierStatus.OPEN, DossierStatus.CLOSED)
    check_transition(DossierStatus.CLOSED, DossierStatus.OPEN)
    with pytest.raises(MetadataInvalid, match="allowed: transferred"):
        check_transition(DossierStatus.IN_AGENCY_ARCHIVE, DossierStatus.OPEN)


def test_doc_code_is_the_file_code_and_a_seven_digit_ordinal() -> None:
    assert doc_code("H12.2026.01-VP", 12) == "H12.2026.01-VP.0000012"
    with pytest.raises(MetadataInvalid):
        check_ordinal(10_000_000)


def test_the_compiler_and_heading_are_normalised_and_bounded() -> None:
    decomposed = "Va\u0306n pho\u0300ng "  # NFD, as some keyboards send it
    d = validate_dossier(dataclasses.replace(DOSSIER, compiler=decomposed, heading=" I. Tổng hợp"))
    assert (d.compiler, d.heading) == ("Văn phòng", "I. Tổng hợp")
    with pytest.raises(MetadataInvalid) as caught:
        validate_dossier(dataclasses.replace(DOSSIER, heading="x" * 301))
    assert caught.value.field == "heading"
