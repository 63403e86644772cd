"""The code lists of Circular 05/2025/TT-BNV: shipped as data files, parsed by code, label or alias."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from archive.domain import codes
from archive.domain.errors import MetadataInvalid


def test_every_shipped_list_loads_with_the_codes_the_circular_gives() -> None:
    lists = codes.code_lists()
    expected = {
        codes.MAINTENANCE: [f"{i:02d}" for i in range(1, 8)],
        codes.MODE: ["01", "02", "03"],
        codes.LANGUAGE: [f"{i:02d}" for i in range(1, 12)],
        codes.PHYSICAL_FORMAT: ["01", "02", "03"],
        codes.CONFIDENCE_LEVEL: ["01", "02", "03"],
        codes.DOCUMENT_TYPE: [f"{i:02d}" for i in range(1, 33)],
        codes.RISK_RECOVERY: ["0", "1"],
        codes.RISK_RECOVERY_STATUS: ["0", "1"],
        codes.ACCESS_PURPOSE: ["01", "02", "03", "04"],  # the archive's own list (README, DIP)
    }
    assert lists.names() == sorted(expected)
    for name, wanted in expected.items():
        assert [c.code for c in lists[name]] == wanted, name
        assert lists[name].source, f"{name} names its legal source"


def test_maintenance_codes_carry_their_periods() -> None:
    years = {c.code: c.attributes["years"] for c in codes.code_lists()[codes.MAINTENANCE]}
    assert years == {"01": None, "02": 70, "03": 50, "04": 30, "05": 20, "06": 10, "07": None}


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("02", "02"),
        ("Quyết định", "02"),
        ("quyet dinh", "02"),
        ("QUYẾT  ĐỊNH", "02"),
        ("Công văn", "22"),
        ("Giấy uỷ quyền", "16"),
        ("Khác", "32"),
        (" 14 ", "14"),
    ],
)
def test_a_document_type_is_accepted_as_code_label_or_alias(value: str, code: str) -> None:
    assert codes.code_lists()[codes.DOCUMENT_TYPE].parse(value, field_name="typeName") == code


def test_an_unknown_value_is_refused_naming_the_field_and_the_allowed_values() -> None:
    with pytest.raises(MetadataInvalid) as caught:
        codes.code_lists()[codes.MAINTENANCE].parse("15 năm", field_name="maintenance")
    assert caught.value.field == "maintenance"
    assert "01 (Vĩnh viễn)" in caught.value.reason and "07 (Khác)" in caught.value.reason


def test_parse_many_deduplicates_in_code_order() -> None:
    lists = codes.code_lists()[codes.LANGUAGE]
    assert lists.parse_many(["en", "Tiếng Việt", "01"], field_name="language") == ("01", "02")


def test_an_ambiguous_list_file_is_refused(tmp_path: Path) -> None:
    data = {"codes": [{"code": "01", "label": "Tốt"}, {"code": "02", "label": "tot"}]}
    (tmp_path / "bad.json").write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ValueError, match="names both 01 and 02"):
        codes.load_code_lists(tmp_path)
