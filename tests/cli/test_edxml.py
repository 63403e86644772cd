"""`archive edxml import` and `archive edxml watch --once` on both stacks: packages built
after the published structure (tests/support/edxml.py) become records, files, versions
and relations; the same document again is a no-op; bad packages change nothing.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from archive.domain.access import UNRESTRICTED, Principal, Role
from archive.domain.edxml import NAMESPACE_LEGACY
from archive.domain.files import FileRole
from archive.domain.records import Classification, Record
from archive.domain.relations import RecordStatus
from archive.samples import SampleDocument, render_pdf
from archive.services import relations
from archive.settings import Settings
from tests.cli.support import run_json
from tests.support.edxml import AttachmentSpec, EdxmlSpec, billion_laughs, pdf_attachment
from tests.support.graphql import open_services

AGENCY = "H10"
READER = Principal(subject="test:admin", roles=frozenset({Role.ADMIN}), clearance=Classification.TOP_SECRET)


def first_package() -> EdxmlSpec:
    """A new decision with an appendix (PDF, named in Appendixes) and a zipped spreadsheet."""
    appendix = render_pdf(SampleDocument(number="123-PL", subject="Phụ lục danh mục hồ sơ"))
    return EdxmlSpec(
        attachments=(
            pdf_attachment(render_pdf(SampleDocument(number="123"))),
            AttachmentSpec("Phu luc I.pdf", appendix),
            AttachmentSpec("Bang ke.ods", b"ods bytes", "application/zip", zipped=True),
        ),
        appendixes=("Phu luc I.pdf",),
    )


def write(folder: Path, name: str, data: bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(data)
    return path


def edxml_import(path: Path, code: int = 0) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = run_json("edxml", "import", str(path), "--agency", AGENCY, code=code)[
        "packages"
    ]
    return found


def stored(settings: Settings, work: Callable[[Any], Any]) -> Any:
    """Run ``work(services)`` on fresh services of the stack (after the command closed its own)."""

    async def go() -> Any:
        async with open_services(settings) as services:
            return await work(services)

    return asyncio.run(go())


async def record_of(services: Any, record_id: str) -> Record:
    record = await asyncio.to_thread(services.records.get, record_id, UNRESTRICTED)
    assert record is not None
    return record


async def source_bytes(services: Any, record: Record, version: int = -1) -> bytes:
    [source] = [f for f in record.files if f.role is FileRole.SOURCE]
    key = source.versions[version].stored.storage_key
    return b"".join(await asyncio.to_thread(lambda: list(services.blobs.iter_bytes(key))))


def test_new_same_update_revoke_replace_and_the_older_namespace(
    cli_settings: Settings, tmp_path: Path
) -> None:
    spec = first_package()
    package = spec.build()
    [new] = edxml_import(write(tmp_path / "in", "new.edxml", package))
    assert (new["status"], new["business"], new["signature"]) == ("applied", "new", "placeholder")
    record_id = new["record"]

    async def first_check(services: Any) -> None:
        record = await record_of(services, record_id)
        roles = [f.role for f in record.files]
        assert roles == [FileRole.MAIN, FileRole.APPENDIX, FileRole.ATTACHMENT, FileRole.SOURCE]
        assert record.metadata.document_number == "123/QĐ-UBND" and record.agency_code == AGENCY
        assert record.metadata.issuing_agency_code == spec.sender
        assert await source_bytes(services, record) == package  # byte-identical

    stored(cli_settings, first_check)

    resent = spec.but(hops=(*spec.hops, ("000.00.00.G22", "2026-01-02T09:00:00+07:00"))).build()
    [same] = edxml_import(write(tmp_path / "in2", "same.edxml", resent))
    assert (same["status"], same["record"]) == ("unchanged", record_id)

    update = spec.but(
        business=2, reason="Sửa trích yếu", subject="Quyết định về việc ban hành quy chế (sửa đổi)"
    )
    update_bytes = update.build()
    [updated] = edxml_import(write(tmp_path / "in3", "update.edxml", update_bytes))
    assert (updated["status"], updated["business"], updated["record"]) == ("applied", "update", record_id)

    async def update_check(services: Any) -> None:
        record = await record_of(services, record_id)
        assert record.metadata.subject == update.subject
        assert record.metadata_version == 2
        [source] = [f for f in record.files if f.role is FileRole.SOURCE]
        assert len(source.versions) == 2
        assert await source_bytes(services, record, 0) == package
        assert await source_bytes(services, record, 1) == update_bytes

    stored(cli_settings, update_check)

    [revoked] = edxml_import(
        write(tmp_path / "in4", "revoke.edxml", spec.but(business=1, reason="Ban hành sai").build())
    )
    assert (revoked["status"], revoked["record"]) == ("applied", record_id)

    async def revoke_check(services: Any) -> None:
        status = await relations.visible_status(services, READER, await record_of(services, record_id))
        assert status.status is RecordStatus.REVOKED

    stored(cli_settings, revoke_check)

    replacing = EdxmlSpec(
        number="130",
        attachments=(pdf_attachment(render_pdf(SampleDocument(number="130")), "QD-130.pdf"),),
        business=3,
        replaces=(spec.the_document_id,),
    )
    [replace] = edxml_import(write(tmp_path / "in5", "replace.edxml", replacing.build()))
    assert replace["business"] == "replace" and replace["record"] != record_id

    async def replace_check(services: Any) -> None:
        shown = await relations.visible_relations(
            services, READER, await record_of(services, replace["record"])
        )
        assert [(r.kind.value, r.record.id if r.record else None) for r in shown] == [("replaces", record_id)]

    stored(cli_settings, replace_check)

    legacy = EdxmlSpec(
        namespace=NAMESPACE_LEGACY,
        number="7",
        notation="TB-UBND",
        attachments=(pdf_attachment(render_pdf(SampleDocument(number="7")), "TB-7.pdf"),),
    )
    [old] = edxml_import(write(tmp_path / "in6", "legacy.xml", legacy.build()))
    assert old["status"] == "applied"


def test_an_update_before_its_document_waits_then_applies(cli_settings: Settings, tmp_path: Path) -> None:
    spec = first_package().but(number="55", document_id="")
    corrected = render_pdf(SampleDocument(number="55", subject="Bản đã sửa"))
    update = spec.but(
        business=2,
        subject="Trích yếu đã sửa trước khi văn bản gốc đến",
        attachments=(pdf_attachment(corrected), *spec.attachments[1:]),
    )
    [pending] = edxml_import(write(tmp_path / "a", "update.edxml", update.build()))
    assert pending["status"] == "pending_target"

    [arrived] = edxml_import(write(tmp_path / "b", "new.edxml", spec.build()))
    assert arrived["status"] == "applied" and arrived["record"] != pending["record"]

    async def check(services: Any) -> None:
        record = await record_of(services, arrived["record"])
        assert record.metadata.subject == update.subject  # the waiting correction was made
        [intake] = services.intakes.of_record(pending["record"])
        assert intake.status.value == "applied"

    stored(cli_settings, check)


def test_bad_packages_are_refused_and_change_nothing(cli_settings: Settings, tmp_path: Path) -> None:
    spec = first_package()
    folder = tmp_path / "bad"
    write(folder, "1-malformed.edxml", b"<edXML:edXML xmlns:edXML='http://www.mic.gov.vn/TBT/QCVN_102_2016'>")
    write(folder, "2-namespace.edxml", spec.but(namespace="http://example.org/x").build())
    write(folder, "3-no-subject.edxml", spec.but(omit=("Subject",)).build())
    write(folder, "4-base64.edxml", spec.but(raw_attachment={"2": "@@@"}).build())
    write(folder, "5-missing.edxml", spec.but(drop_attachment="3").build())
    write(folder, "6-laughs.edxml", billion_laughs())

    results = edxml_import(folder, code=1)

    assert [(r["package"], r["ok"], r.get("part")) for r in results] == [
        ("1-malformed.edxml", False, "xml"),
        ("2-namespace.edxml", False, "root"),
        ("3-no-subject.edxml", False, "MessageHeader/Subject"),
        ("4-base64.edxml", False, "attachment cid:2"),
        ("5-missing.edxml", False, "attachment cid:3"),
        ("6-laughs.edxml", False, "xml"),
    ]

    async def nothing(services: Any) -> None:
        assert await asyncio.to_thread(services.records.count, UNRESTRICTED) == 0

    stored(cli_settings, nothing)


def test_the_drop_folder_moves_each_package_and_writes_acknowledgements(
    cli_settings: Settings, tmp_path: Path
) -> None:
    folder, outbox = tmp_path / "drop", tmp_path / "outbox"
    good = first_package().build()
    write(folder, "good.edxml", good)
    write(folder, "bad.edxml", first_package().but(omit=("From",)).build())
    write(folder, ".partial.edxml", b"still being written")

    out = run_json("edxml", "watch", str(folder), "--once", "--agency", AGENCY, "--outbox", str(outbox))

    bad, ok = out["packages"]
    assert (bad["name"], bad["ok"], bad["status"]) == ("bad.edxml", False, "PACKAGE_REFUSED")
    assert (ok["name"], ok["ok"], ok["status"]) == ("good.edxml", True, "applied")
    assert (folder / "done" / "good.edxml").read_bytes() == good
    assert (folder / "failed" / "bad.edxml").exists()
    reason = (folder / "failed" / "bad.edxml.reason.txt").read_text(encoding="utf-8")
    assert "PACKAGE_REFUSED" in reason and "MessageHeader/From" in reason
    assert (folder / ".partial.edxml").exists()  # never touched
    codes = sorted(path.name.rsplit("-", 1)[1] for path in outbox.iterdir())
    assert codes == ["01.edxml", "02.edxml", "03.edxml"]  # received + accepted; refused
    accepted = next(p for p in outbox.iterdir() if p.name.endswith("-03.edxml")).read_text(encoding="utf-8")
    assert "123/QĐ-UBND" in accepted and "Đã tiếp nhận" in accepted
    assert (
        hashlib.sha256((folder / "done" / "good.edxml").read_bytes()).hexdigest()
        == hashlib.sha256(good).hexdigest()
    )


@pytest.fixture(autouse=True)
def _today_is_after_the_packages(monkeypatch: pytest.MonkeyPatch) -> None:
    assert date.today() >= date(2026, 1, 3)  # the packages' dates must not lie in the future


def test_an_oversized_package_is_refused_before_it_is_read(
    cli_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ARCHIVE_EDXML_MAX_PACKAGE_BYTES", "2048")
    [result] = edxml_import(write(tmp_path / "big", "big.edxml", first_package().build()), code=1)

    assert (result["ok"], result["code"], result["part"]) == (False, "PACKAGE_REFUSED", "package")


def test_a_revocation_before_its_document_applies_when_it_arrives(
    cli_settings: Settings, tmp_path: Path
) -> None:
    spec = first_package().but(number="56")
    notice = render_pdf(SampleDocument(number="56-TH", subject="Thông báo thu hồi"))
    revoke = spec.but(business=1, reason="Ban hành sai", attachments=(pdf_attachment(notice),))
    [pending] = edxml_import(write(tmp_path / "a", "revoke.edxml", revoke.build()))
    assert pending["status"] == "pending_target"

    [arrived] = edxml_import(write(tmp_path / "b", "new.edxml", spec.build()))

    async def check(services: Any) -> None:
        status = await relations.visible_status(
            services, READER, await record_of(services, arrived["record"])
        )
        assert status.status is RecordStatus.REVOKED
        assert status.by is not None and status.by.record is not None
        assert status.by.record.id == pending["record"]  # revoked by the notice that came first
        [intake] = services.intakes.of_record(pending["record"])
        assert intake.status.value == "applied"

    stored(cli_settings, check)
