"""The package model and the TT05 mapping: identifiers, kinds, paths and one name per field."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest

from archive.domain import packages, tt05
from archive.domain.errors import MetadataInvalid


def test_objid_is_uuid_prefix_and_upper_case() -> None:
    objid = packages.new_objid()
    assert packages.check_objid(objid) == objid
    assert objid.startswith("uuid-") and objid[5:] == objid[5:].upper()
    with pytest.raises(MetadataInvalid):
        packages.check_objid(objid.lower())


def test_kinds_give_the_oais_type() -> None:
    assert [k.oais_type for k in packages.PackageKind] == ["SIP", "SIP", "AIP", "AIP", "DIP"]
    assert packages.PackageKind.SIP_HOSO.is_dossier and not packages.PackageKind.SIP_TAILIEU.is_dossier


def test_times_carry_vietnam_offset() -> None:
    assert (
        packages.vietnam_time(datetime(2025, 7, 1, 2, 30, 0, 123, tzinfo=UTC)) == "2025-07-01T09:30:00+07:00"
    )


def test_data_paths_never_escape_and_keep_the_code() -> None:
    assert packages.data_path("A.2025.01-HS.0000001", "application/pdf") == (
        "representations/rep1/data/A.2025.01-HS.0000001.pdf"
    )
    assert packages.data_path("../x/../y", "application/pdf") == "representations/rep1/data/_x_.._y.pdf"
    with pytest.raises(ValueError, match="inside"):
        packages.PackageFile("a/../b", 1, "A" * 64, datetime.now(UTC), "x", packages.FileUse.DATA)
    with pytest.raises(ValueError, match="upper-case"):
        packages.PackageFile("a", 1, "a" * 64, datetime.now(UTC), "x", packages.FileUse.DATA)


@pytest.mark.parametrize(
    ("root", "description"),
    [
        (tt05.DOSSIER_ROOT, packages.DossierDescription),
        (tt05.BATCH_ROOT, packages.BatchDescription),
        (tt05.DOCUMENT_ROOT, packages.DocumentDescription),
    ],
)
def test_every_mapped_field_exists_once(root: str, description: type) -> None:
    fields = tt05.ROOTS[root]
    names = {f.name for f in dataclasses.fields(description)}
    assert {f.attribute for f in fields} <= names
    assert len({f.element for f in fields}) == len(fields)
