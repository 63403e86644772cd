"""The package writer without services: bytes that do not match their recorded SHA-256 stop
the package; the TT05 XSD accepts what the writer writes and refuses what it does not know;
our own checks name a missing file and an escaping path."""

from __future__ import annotations

import dataclasses
import io
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from lxml import etree

from archive.domain import tt05
from archive.domain.errors import IntegrityError
from archive.domain.packages import DocumentDescription
from archive.packaging import PackageFiles, descriptive
from archive.packaging.validation import check_folder, safe_parser
from tests.packages.test_golden_package import PDF, document, golden_package


def contents(doc: DocumentDescription) -> Iterator[bytes]:
    return iter([PDF, bytes([int(doc.record_id[-1])])])


def test_altered_bytes_stop_the_package() -> None:
    with pytest.raises(IntegrityError, match="record-1"):
        PackageFiles().write(golden_package(), lambda d: iter([PDF, b"X"]), io.BytesIO())


def test_the_tt05_schema_accepts_the_writer_and_refuses_strangers() -> None:
    schema = etree.XMLSchema(etree.fromstring(descriptive.schema(), safe_parser()))
    written = etree.fromstring(descriptive.render(tt05.DOCUMENT_ROOT, document(1)), safe_parser())
    assert schema.validate(written), schema.error_log
    etree.SubElement(written, f"{{{tt05.NAMESPACE}}}unknownField").text = "x"
    assert not schema.validate(written)
    missing = dataclasses.replace(document(1), subject='Về việc <a> & "b"')
    again = etree.fromstring(descriptive.render(tt05.DOCUMENT_ROOT, missing), safe_parser())
    assert again.findtext(f"{{{tt05.NAMESPACE}}}subject") == 'Về việc <a> & "b"'


def test_our_checks_name_a_missing_file_and_an_escaping_path(tmp_path: Path) -> None:
    sink = io.BytesIO()
    package = golden_package()
    PackageFiles().write(package, contents, sink)
    with zipfile.ZipFile(sink) as archive:
        archive.extractall(tmp_path)
    root = tmp_path / package.objid
    assert check_folder(root) == []
    (root / "documentation/package.txt").unlink()
    mets = (
        (root / "METS.xml").read_text(encoding="utf-8").replace('schemas/xlink.xsd"/>', '../../etc/passwd"/>')
    )
    (root / "METS.xml").write_text(mets, encoding="utf-8")
    problems = check_folder(root)
    assert "METS.xml: documentation/package.txt is missing" in problems
    assert "METS.xml: '../../etc/passwd' is not a path inside the package" in problems
