"""The package reader refuses hostile packages by name: zip limits, paths, XML, METS references, schemas.

Every bad package is a mutation of a good one (tests/support/bad_packages.py), and every
refusal must name the part it is about.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from archive.domain.package_checks import PackageInvalid, PackageLimits
from archive.unpacking import ZipPackageReader, check_package
from archive.unpacking.zipped import path_problem
from tests.support.bad_packages import (
    BILLION_LAUGHS,
    LAX_METS_XSD,
    METS,
    PDF,
    minimal_entries,
    mutated,
    objid,
    package_folder,
    write_zip,
)
from tests.support.transfer import documents, make_package

STRICT_XSD = b"""<?xml version="1.0" encoding="UTF-8"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:test:ead"
    xmlns="urn:test:ead" elementFormDefault="qualified">
  <xs:element name="ead"><xs:complexType><xs:sequence>
    <xs:element name="title" type="xs:string"/>
  </xs:sequence></xs:complexType></xs:element>
</xs:schema>
"""


@pytest.fixture
def good(tmp_path: Path) -> Path:
    return write_zip(tmp_path / "good.zip", minimal_entries())


def report(path: Path, limits: PackageLimits | None = None, workdir: Path | None = None):  # type: ignore[no-untyped-def]
    reader = ZipPackageReader(workdir or path.parent / "work", limits)
    with reader.open(path) as opened:
        return opened.report


def refusal(path: Path, limits: PackageLimits | None = None) -> PackageInvalid:
    with pytest.raises(PackageInvalid) as caught:
        report(path, limits)
    return caught.value


def test_a_good_package_passes_every_check(good: Path) -> None:
    found = report(good)
    assert found.failures == ()
    assert found.objid == package_folder(good)
    assert (found.package_type, found.record_status, found.files) == ("SIP", "NEW", 1)


def test_the_unpacked_folder_is_removed_when_the_package_is_closed(good: Path, tmp_path: Path) -> None:
    work = tmp_path / "work"
    with ZipPackageReader(work).open(good) as opened:
        with opened.open_file("representations/rep1/data/doc1.pdf") as handle:
            assert handle.read() == PDF
        assert any(work.iterdir())
    assert not any(work.iterdir())


def test_a_wrong_checksum_names_the_file_and_the_mets(good: Path, tmp_path: Path) -> None:
    bad = mutated(good, tmp_path / "bad.zip", replace={"representations/rep1/data/doc1.pdf": PDF.upper()})
    [failure] = report(bad).failures
    assert failure.check == "checksum"
    assert failure.part.endswith("/representations/rep1/data/doc1.pdf (METS.xml file[@ID='file-0'])")
    assert "SHA-256" in failure.problem


def test_a_wrong_size_is_reported_besides_the_checksum(good: Path, tmp_path: Path) -> None:
    bad = mutated(good, tmp_path / "bad.zip", replace={"representations/rep1/data/doc1.pdf": PDF + b"x"})
    assert {f.check for f in report(bad).failures} == {"size", "checksum"}


def test_a_missing_file_is_named(good: Path, tmp_path: Path) -> None:
    bad = mutated(good, tmp_path / "bad.zip", drop=("representations/rep1/data/doc1.pdf",))
    [failure] = report(bad).failures
    assert failure.check == "reference"
    assert "representations/rep1/data/doc1.pdf" in failure.problem


def test_a_lower_case_checksum_is_refused(good: Path, tmp_path: Path) -> None:
    lower = mutated(good, tmp_path / "bad.zip", edit={"METS.xml": lambda b: _lower_checksums(b)})
    assert [f.check for f in report(lower).failures] == ["checksum"]


def _lower_checksums(mets: bytes) -> bytes:
    from lxml import etree

    root = etree.fromstring(mets)
    for f in root.iter(f"{{{METS}}}file"):
        f.set("CHECKSUM", f.get("CHECKSUM").lower())
    return etree.tostring(root)


@pytest.mark.parametrize(
    "name",
    ["../evil.txt", "/etc/evil", "C:/evil.txt", "pkg\\..\\evil.txt", "a/../../evil.txt", "a//b", "a/./b"],
)
def test_entries_that_escape_the_folder_are_refused_before_anything_is_written(
    good: Path, tmp_path: Path, name: str
) -> None:
    bad = mutated(good, tmp_path / "bad.zip", add={name: b"x"})
    failures = refusal(bad).failures
    assert [f.check for f in failures] == ["path"]
    assert failures[0].part == name
    assert not (tmp_path / "evil.txt").exists() and not (tmp_path / "work" / "evil.txt").exists()


def test_path_problem_accepts_plain_paths() -> None:
    assert path_problem("uuid-X/representations/rep1/data/a b.pdf") == ""
    assert path_problem("uuid-X/") == ""


def test_a_symbolic_link_is_refused(good: Path, tmp_path: Path) -> None:
    entries = minimal_entries()
    path = tmp_path / "link.zip"
    write_zip(path, entries)
    top = next(iter(entries)).split("/")[0]
    with zipfile.ZipFile(path, "a") as z:
        info = zipfile.ZipInfo(f"{top}/representations/rep1/data/link.pdf")
        info.external_attr = 0o120777 << 16
        z.writestr(info, "/etc/passwd")
    [failure] = refusal(path).failures
    assert failure.check == "path" and "symbolic link" in failure.problem


def test_a_zip_bomb_is_refused_by_its_ratio(good: Path, tmp_path: Path) -> None:
    bomb = mutated(
        good, tmp_path / "bomb.zip", add={f"{package_folder(good)}/documentation/zeros": bytes(8 << 20)}
    )
    [failure] = refusal(bomb, PackageLimits(max_ratio=100, ratio_floor_bytes=1 << 20)).failures
    assert failure.check == "zip_limit" and "ratio" in failure.problem
    assert failure.part.endswith("documentation/zeros")


def test_a_package_larger_than_the_total_limit_is_refused(good: Path) -> None:
    total = sum(len(b) for b in minimal_entries().values())
    [failure] = refusal(good, PackageLimits(max_total_bytes=total // 2)).failures
    assert failure.check == "zip_limit" and "unpacks to" in failure.problem


def test_too_many_entries_are_refused(good: Path) -> None:
    [failure] = refusal(good, PackageLimits(max_entries=2)).failures
    assert failure.check == "zip_limit" and "entries" in failure.problem


def test_a_header_that_understates_the_size_does_not_unpack(good: Path, tmp_path: Path) -> None:
    lying = tmp_path / "lying.zip"
    data = bytearray(good.read_bytes())
    name = f"{package_folder(good)}/representations/rep1/data/doc1.pdf".encode()
    _patch_sizes(data, name, len(PDF), 10)
    lying.write_bytes(bytes(data))
    failures = refusal(lying).failures
    assert failures[0].part.endswith("doc1.pdf")


def _patch_sizes(data: bytearray, name: bytes, real: int, claimed: int) -> None:
    """Set the uncompressed size of ``name`` to ``claimed`` in its local and central headers."""
    import struct

    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        start = 0
        while (at := data.find(signature, start)) >= 0:
            name_at = at + (30 if signature == b"PK\x03\x04" else 46)
            if data[name_at : name_at + len(name)] == name:
                assert struct.unpack_from("<I", data, at + offset)[0] == real
                struct.pack_into("<I", data, at + offset, claimed)
            start = at + 4


def test_not_a_zip_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "x.zip"
    path.write_bytes(b"hello")
    assert refusal(path).failures[0].check == "zip"


def test_xml_with_entities_is_refused_and_named(good: Path, tmp_path: Path) -> None:
    bad = mutated(
        good, tmp_path / "bad.zip", add={f"{package_folder(good)}/metadata/other.xml": BILLION_LAUGHS}
    )
    failures = report(bad).failures
    assert [f.check for f in failures] == ["xml"]
    assert failures[0].part.endswith("metadata/other.xml")
    assert "DTD" in failures[0].problem


def test_a_root_mets_with_a_dtd_is_refused(good: Path, tmp_path: Path) -> None:
    dtd = b'<?xml version="1.0"?>\n<!DOCTYPE mets SYSTEM "http://example.invalid/mets.dtd">\n'
    bad = mutated(good, tmp_path / "bad.zip", edit={"METS.xml": lambda b: dtd + b.split(b"?>", 1)[1]})
    [failure] = report(bad).failures
    assert failure.check == "xml" and failure.part.endswith("/METS.xml")


def test_an_unknown_profile_is_refused(good: Path, tmp_path: Path) -> None:
    new = b"https://example.invalid/profile/CSIP-9.xml"
    bad = mutated(
        good,
        tmp_path / "bad.zip",
        edit={"METS.xml": lambda b: b.replace(b"https://earkcsip.dilcis.eu/profile/E-ARK-CSIP.xml", new)},
    )
    [failure] = report(bad).failures
    assert failure.check == "profile" and failure.part.endswith("@PROFILE")


def test_the_folder_must_be_named_after_the_objid(tmp_path: Path) -> None:
    entries = {k.replace(k.split("/")[0], objid(), 1): v for k, v in minimal_entries().items()}
    found = report(write_zip(tmp_path / "renamed.zip", entries))
    assert [f.check for f in found.failures] == ["layout"]


def test_a_reference_out_of_the_package_is_refused(tmp_path: Path) -> None:
    entries = minimal_entries()
    top = next(iter(entries)).split("/")[0]
    entries[f"{top}/METS.xml"] = entries[f"{top}/METS.xml"].replace(
        b"representations/rep1/data/doc1.pdf", b"../../../etc/passwd"
    )
    [failure] = report(write_zip(tmp_path / "bad.zip", entries)).failures
    assert failure.check == "path" and "file[@ID='file-0']" in failure.part


def test_xml_validates_against_the_shipped_schemas_only(good: Path, tmp_path: Path) -> None:
    top = package_folder(good)
    valid = (
        b'<ead xmlns="urn:test:ead" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
        b' xsi:schemaLocation="urn:test:ead https://example.invalid/ead.xsd"><title>t</title></ead>'
    )
    invalid = valid.replace(b"<title>t</title>", b"<nope/>")
    elsewhere = valid.replace(b"https://example.invalid/ead.xsd", b"https://example.invalid/other.xsd")
    schemas = {f"{top}/schemas/ead.xsd": STRICT_XSD}
    ok = mutated(good, tmp_path / "ok.zip", add={**schemas, f"{top}/metadata/descriptive/EAD.xml": valid})
    assert report(ok).failures == ()
    bad = mutated(good, tmp_path / "bad.zip", add={**schemas, f"{top}/metadata/descriptive/EAD.xml": invalid})
    failures = report(bad).failures
    assert {f.check for f in failures} == {"schema"} and "EAD.xml" in failures[0].part
    away = mutated(
        good, tmp_path / "away.zip", add={**schemas, f"{top}/metadata/descriptive/EAD.xml": elsewhere}
    )
    [failure] = report(away).failures
    assert "other.xsd" in failure.problem and "does not ship" in failure.problem


def test_a_schema_importing_from_the_network_is_resolved_inside_the_package_or_refused(
    good: Path, tmp_path: Path
) -> None:
    importing = LAX_METS_XSD.replace(
        b'elementFormDefault="qualified">',
        b'elementFormDefault="qualified"><xs:import namespace="urn:x" schemaLocation="http://example.invalid/x.xsd"/>',
    )
    bad = mutated(good, tmp_path / "bad.zip", replace={"schemas/mets.xsd": importing})
    [failure] = report(bad).failures
    assert failure.check == "schema" and "do not compile" in failure.problem


def test_an_entry_that_is_both_a_file_and_a_folder_is_refused(good: Path, tmp_path: Path) -> None:
    top = package_folder(good)
    bad = mutated(
        good, tmp_path / "bad.zip", add={f"{top}/documentation/x": b"a", f"{top}/documentation/x/y": b"b"}
    )
    [failure] = refusal(bad).failures
    assert failure.check == "path" and failure.part.endswith("documentation/x")


def test_a_schema_too_costly_to_compile_is_refused_unread(good: Path, tmp_path: Path) -> None:
    costly = LAX_METS_XSD.replace(b'minOccurs="0" maxOccurs="unbounded"', b'minOccurs="0" maxOccurs="100000"')
    bad = mutated(good, tmp_path / "bad.zip", replace={"schemas/mets.xsd": costly})
    [failure] = report(bad).failures
    assert failure.check == "schema" and "maxOccurs=100000" in failure.problem


def test_check_package_reports_every_failure_without_raising(tmp_path: Path) -> None:
    good = make_package(tmp_path / "sip.zip", documents(1))
    assert check_package(good, tmp_path / "work").valid
    bomb = check_package(good, tmp_path / "work", PackageLimits(max_entries=2))
    assert [f.check for f in bomb.failures] == ["zip_limit"] and bomb.objid == ""
    dropped = mutated(
        good, tmp_path / "bad.zip", drop=("representations/rep1/data/A.2025.01-HS.0000001.pdf",)
    )
    assert [f.check for f in check_package(dropped, tmp_path / "work").failures] == ["reference"]
