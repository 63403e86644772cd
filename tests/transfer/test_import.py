"""Importing a TT05 SIP_hoso received from another system, on both stacks (issue 13).

A good package (written by the sip writer) becomes a fonds, a closed dossier and its
records with byte-identical files, processed by the normal pipeline; importing it again
(even re-zipped under a new OBJID) changes nothing. Every bad package is a mutation of a
good one and is refused whole, naming the part, with nothing stored: no record, no
dossier, no fonds, no object. A failure half way through (a document that is not a PDF)
leaves nothing behind either.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from archive.domain.access import UNRESTRICTED, Principal, Role
from archive.domain.archival import DossierStatus
from archive.domain.audit import Outcome
from archive.domain.errors import FileRejected, Forbidden
from archive.domain.package_checks import PackageInvalid, PackageLimits
from archive.domain.packages import RecordStatus
from archive.domain.ports import AuditFilter
from archive.domain.records import Classification, TextStatus
from archive.services.container import Services
from archive.services.package_import import ImportResult, check_package, import_package
from archive.services.worker import drain
from archive.unpacking import ZipPackageReader
from tests.retention.scenario import ADMIN, RM_A, RM_B
from tests.support.bad_packages import BILLION_LAUGHS, mutated, package_folder
from tests.support.transfer import Doc, documents, make_package, sample_pdf

RM_A_ORDINARY = Principal(
    subject="rm-a-ordinary",
    roles=frozenset({Role.RECORDS_MANAGER}),
    agencies=frozenset({"A"}),
    clearance=Classification.ORDINARY,
)
CLERK_A = Principal(
    subject="clerk-a",
    roles=frozenset({Role.CLERK}),
    agencies=frozenset({"A"}),
    clearance=Classification.TOP_SECRET,
)
DATA_1 = "representations/rep1/data/A.2025.01-HS.0000001.pdf"
EAD = "metadata/descriptive/EAD.xml"
EAD_DOC_1 = "representations/rep1/metadata/descriptive/EAD_doc_1.xml"


async def imported(services: Services, principal: Principal, path: Path) -> ImportResult:
    return await asyncio.to_thread(import_package, services, principal, path)


async def refused(services: Services, principal: Principal, path: Path) -> PackageInvalid:
    with pytest.raises(PackageInvalid) as caught:
        await imported(services, principal, path)
    return caught.value


def assert_nothing_stored(services: Services) -> None:
    assert services.records.count(UNRESTRICTED) == 0
    assert services.archival.fonds_listing(None) == []
    assert services.archival.dossiers(UNRESTRICTED, limit=10) == []
    assert list(services.blobs.list_keys("records/")) == []


def import_entries(services: Services) -> list[tuple[str, Outcome]]:
    found = reversed(services.audit.find(AuditFilter(action="transfer.import"), first=100))
    return [(e.target, e.outcome) for e in found]


@pytest.fixture
def good(tmp_path: Path) -> Path:
    return make_package(tmp_path / "good.zip", documents(2))


async def test_a_package_becomes_a_fonds_a_closed_dossier_and_its_records(
    services: Services, tmp_path: Path
) -> None:
    docs = documents(2)
    ticks: list[tuple[int, int]] = []
    path = make_package(tmp_path / "p.zip", docs)
    result = await asyncio.to_thread(
        import_package, services, RM_A, path, progress=lambda done, total: ticks.append((done, total))
    )
    assert result.created and len(result.record_ids) == 2 and ticks == [(1, 2), (2, 2)]
    fonds = services.archival.fonds_by_code("F-A")
    assert fonds is not None and (fonds.id, fonds.agency_code, fonds.name) == (
        result.fonds_id,
        "A",
        "Ủy ban nhân dân A",
    )
    dossier = services.archival.dossier(result.dossier_id, UNRESTRICTED)
    assert dossier is not None
    assert (dossier.file_code, dossier.title, dossier.maintenance, dossier.keyword) == (
        "A.2025.01-HS", "Hồ sơ chuyển đổi số năm 2025", "01", "chuyển đổi số"
    )  # fmt: skip
    assert dossier.status is DossierStatus.CLOSED and dossier.is_public
    records = services.records.get_many(result.record_ids, UNRESTRICTED)
    for ordinal, (record_id, doc) in enumerate(zip(result.record_ids, docs, strict=True), start=1):
        record = records[record_id]
        assert (record.dossier_id, record.doc_ordinal, record.fonds_id) == (dossier.id, ordinal, fonds.id)
        m = record.metadata
        assert (m.number, m.notation, m.type_name, m.issuing_agency_code) == (
            doc.number,
            "QĐ-UBND",
            "15",
            "A",
        )
        assert m.subject == f"Về việc áp dụng chữ ký số, văn bản {ordinal}" and m.issued_amount == 3
        assert b"".join(services.blobs.iter_bytes(record.file.storage_key)) == doc.data
    assert await drain(services) == 2
    processed = services.records.get_many(result.record_ids, UNRESTRICTED)
    assert {r.text_status for r in processed.values()} == {TextStatus.EXTRACTED}
    assert import_entries(services) == [(dossier.id, Outcome.OK)]


async def test_importing_the_same_dossier_again_changes_nothing(services: Services, tmp_path: Path) -> None:
    docs = documents(2)
    first = await imported(services, RM_A, make_package(tmp_path / "first.zip", docs))
    keys = sorted(services.blobs.list_keys("records/"))
    # The same dossier exported again: a new OBJID, new zip bytes, the same documents.
    again = make_package(tmp_path / "again.zip", docs)
    assert package_folder(again) != first.objid
    second = await imported(services, RM_A, again)
    assert not second.created
    assert (second.dossier_id, second.record_ids) == (first.dossier_id, first.record_ids)
    assert services.records.count(UNRESTRICTED) == 2
    assert sorted(services.blobs.list_keys("records/")) == keys
    assert [o for _, o in import_entries(services)] == [Outcome.OK, Outcome.OK]


async def test_a_dossier_code_taken_by_other_documents_is_refused(services: Services, tmp_path: Path) -> None:
    await imported(services, RM_A, make_package(tmp_path / "first.zip", documents(1)))
    other = make_package(tmp_path / "other.zip", [Doc(sample_pdf("77"), number="77")])
    [failure] = (await refused(services, RM_A, other)).failures
    assert failure.check == "metadata" and "fileCode" in failure.part and "already exists" in failure.problem
    assert services.records.count(UNRESTRICTED) == 1


def _flip_last_byte(data: bytes) -> bytes:
    return data[:-1] + bytes([data[-1] ^ 1])


BAD_PACKAGES = {
    "wrong checksum": ({"edit": {DATA_1: _flip_last_byte}}, "checksum", "A.2025.01-HS.0000001.pdf"),
    "missing file": ({"drop": (DATA_1,)}, "reference", "METS.xml"),
    "escaping path": ({"add": {"../evil.pdf": b"%PDF-1.4"}}, "path", "../evil.pdf"),
    "zip bomb by ratio": (
        {"add_inside": {"documentation/zeros.bin": bytes(16 << 20)}},
        "zip_limit",
        "zeros.bin",
    ),
    "entities": ({"replace": {EAD: BILLION_LAUGHS}}, "xml", EAD),
    "unknown schema version": (
        {"edit": {EAD: lambda b: b.replace(b'version="1.0"', b'version="9.9"', 1)}},
        "profile",
        "EAD.xml",
    ),
    "a code the archive does not know": (
        {"edit": {EAD_DOC_1: lambda b: b.replace(b"<typeName>15</typeName>", b"<typeName>99</typeName>")}},
        "metadata",
        "EAD_doc_1.xml: type_name",
    ),
    "fonds code unlike the submitting agent's": (
        {"edit": {EAD: lambda b: b.replace(b"<organId>F-A</organId>", b"<organId>F-X</organId>")}},
        "metadata",
        "EAD.xml",
    ),
    "unknown METS profile": (
        {
            "edit": {
                "METS.xml": lambda b: b.replace(
                    b"earksip.dilcis.eu/profile/E-ARK-SIP.xml", b"x.invalid/p.xml"
                )
            }
        },
        "profile",
        "@PROFILE",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_PACKAGES))
async def test_each_bad_package_is_refused_whole_naming_the_part(
    services: Services, good: Path, tmp_path: Path, case: str
) -> None:
    change, check, part = BAD_PACKAGES[case]
    change = dict(change)
    inside = change.pop("add_inside", None)
    if inside:
        change["add"] = {f"{package_folder(good)}/{k}": v for k, v in inside.items()}
    bad = mutated(good, tmp_path / "bad.zip", **change)
    failures = (await refused(services, RM_A, bad)).failures
    assert any(f.check == check and part in f.part for f in failures), failures
    assert_nothing_stored(services)
    [(_, outcome)] = import_entries(services)
    assert outcome is Outcome.ERROR
    # The check alone says the same, and stores nothing either.
    assert any(f.check == check for f in check_package(services, bad).failures)


async def test_a_package_larger_than_the_total_limit_is_refused(services: Services, good: Path) -> None:
    services.package_reader = ZipPackageReader(
        services.settings.data_dir / "tmp", PackageLimits(max_total_bytes=50_000)
    )
    failures = (await refused(services, RM_A, good)).failures
    assert [f.check for f in failures] == ["zip_limit"] and "unpacks to" in failures[0].problem
    assert_nothing_stored(services)


async def test_an_import_failing_half_way_leaves_nothing_behind(services: Services, tmp_path: Path) -> None:
    # The second document passes every package check (its METS size and SHA-256 are right)
    # but is not a PDF: the first one's bytes are stored by the time it is refused.
    docs = [Doc(sample_pdf("1")), Doc(b"Not a PDF at all, only text. " * 40, number="2")]
    with pytest.raises(FileRejected):
        await imported(services, RM_A, make_package(tmp_path / "half.zip", docs))
    assert_nothing_stored(services)
    [(_, outcome)] = import_entries(services)
    assert outcome is Outcome.ERROR


@pytest.mark.parametrize(
    ("shape", "problem"),
    [
        ({"loose": True}, "SIP_tailieu"),
        ({"record_status": RecordStatus.SUPPLEMENT}, "RECORDSTATUS SUPPLEMENT"),
    ],
    ids=["loose documents", "a supplement"],
)
async def test_packages_not_imported_yet_are_refused_saying_so(
    services: Services, tmp_path: Path, shape: dict[str, object], problem: str
) -> None:
    path = make_package(tmp_path / "p.zip", documents(1), **shape)  # type: ignore[arg-type]
    failures = (await refused(services, RM_A, path)).failures
    assert [f.check for f in failures] == ["profile"] and problem in failures[0].problem
    assert_nothing_stored(services)


@pytest.mark.parametrize("caller", [RM_B, CLERK_A], ids=["records manager of another agency", "clerk"])
async def test_only_records_managers_of_the_agency_and_admins_import(
    services: Services, good: Path, caller: Principal
) -> None:
    with pytest.raises(Forbidden):
        await imported(services, caller, good)
    assert_nothing_stored(services)
    assert import_entries(services)[0][1] is Outcome.DENIED
    assert (await imported(services, ADMIN, good)).created


async def test_a_package_above_the_callers_clearance_is_refused_without_naming_records(
    services: Services, tmp_path: Path
) -> None:
    docs = [Doc(sample_pdf("1")), Doc(sample_pdf("2"), mode="03", number="2")]
    path = make_package(tmp_path / "secret.zip", docs)
    with pytest.raises(Forbidden) as caught:
        await imported(services, RM_A_ORDINARY, path)
    assert "văn bản 2" not in caught.value.message and "0000002" not in caught.value.message
    assert_nothing_stored(services)
    # Mode 03 states no level: the record is kept at the highest, which RM_A's clearance covers.
    result = await imported(services, RM_A, path)
    levels = [services.records.get(i, UNRESTRICTED).classification for i in result.record_ids]  # type: ignore[union-attr]
    assert levels == [Classification.ORDINARY, Classification.TOP_SECRET]


async def test_two_imports_of_the_same_dossier_at_once_make_it_once(
    services: Services, tmp_path: Path
) -> None:
    docs = documents(2)
    first, second = make_package(tmp_path / "1.zip", docs), make_package(tmp_path / "2.zip", docs)
    results = await asyncio.gather(imported(services, RM_A, first), imported(services, ADMIN, second))
    assert sorted(r.created for r in results) == [False, True]
    assert results[0].record_ids == results[1].record_ids
    assert services.records.count(UNRESTRICTED) == 2
    assert len(list(services.blobs.list_keys("records/"))) == 2
