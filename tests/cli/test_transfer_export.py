"""`archive transfer export`: SIP_hoso packages written by the local operator, by file code
or by fonds and year, on both stacks; a refusal is a coded error and writes nothing."""

from __future__ import annotations

import asyncio
import hashlib
import zipfile
from pathlib import Path

from archive.settings import Settings
from tests.cli.support import run_json
from tests.support.dossiers import agency_fonds, dossier, place
from tests.support.graphql import open_services
from tests.support.packages import stored_records


async def fill(settings: Settings) -> list[str]:
    """Two dossiers of 2026 with two documents each; returns their file codes."""
    async with open_services(settings) as services:
        records = await stored_records(services, 4)  # first: they make the agency's default fonds
        fonds = agency_fonds(services, "UBND-HG", "Ủy ban nhân dân tỉnh Hà Giang")
        codes = []
        for n, number in enumerate(("05/VP", "06/VP")):
            made = dossier(services, fonds, number, f"Hồ sơ {number}")
            place(services, made, [r.id for r in records[2 * n : 2 * n + 2]])
            codes.append(made.file_code)
        return codes


def test_the_operator_exports_dossiers_by_code_and_by_fonds(cli_settings: Settings, tmp_path: Path) -> None:
    codes = asyncio.run(fill(cli_settings))

    one = run_json("transfer", "export", codes[0], "-o", "by-code")
    both = run_json("transfer", "export", "--fonds", "UBND-HG", "--year", "2026", "-o", "by-fonds")

    [package] = one["packages"]
    assert package["fileCode"] == codes[0] and package["documents"] == 2
    written = Path(package["file"])
    assert written.parent == Path("by-code") and written.name == f"{package['objid']}.zip"
    assert hashlib.sha256((tmp_path / written).read_bytes()).hexdigest() == package["sha256"]
    with zipfile.ZipFile(tmp_path / written) as archive:
        names = archive.namelist()
    assert f"{package['objid']}/METS.xml" in names
    assert sorted(p["fileCode"] for p in both["packages"]) == sorted(codes)


def test_an_unknown_dossier_or_status_is_a_coded_error(cli_settings: Settings, tmp_path: Path) -> None:
    asyncio.run(fill(cli_settings))
    missing = run_json("transfer", "export", "UBND-HG.2026.99-VP", "-o", "out", code=1)
    wrong = run_json("transfer", "export", "--fonds", "UBND-HG", "--status", "MAYBE", code=1)
    nothing = run_json("transfer", "export", code=1)
    assert missing["error"]["code"] == "NOT_FOUND"
    assert wrong["error"]["code"] == "VALIDATION"
    assert nothing["error"]["code"] == "VALIDATION"
    assert not (tmp_path / "out").exists()


async def loose(settings: Settings) -> list[str]:
    async with open_services(settings) as services:
        return [r.id for r in await stored_records(services, 3)]


def test_the_operator_exports_loose_documents_as_one_sip_tailieu(
    cli_settings: Settings, tmp_path: Path
) -> None:
    ids = asyncio.run(loose(cli_settings))

    done = run_json("transfer", "export-documents", *ids, "--title", "Tài liệu lẻ", "-o", "lẻ")

    [package] = done["packages"]
    assert package["documents"] == 3 and package["fileCode"] is None
    with zipfile.ZipFile(tmp_path / package["file"]) as archive:
        names = set(archive.namelist())
    assert {f"{package['objid']}/representations/rep1/data/{r}.pdf" for r in ids} <= names


async def save_search_of_first_dossier(settings: Settings, subject: str) -> str:
    """Index the placed records and save, as the operator, a search finding the first two."""
    from archive.domain.access import UNRESTRICTED
    from archive.domain.search import SearchFilter
    from archive.services import saved_searches
    from archive.services.audit import ClientInfo
    from archive.services.identity import local_operator
    from archive.services.indexing import index_document

    async with open_services(settings) as services:
        for record in services.records.iter_all():
            await services.index.upsert(
                index_document(services.records.get(record.id, UNRESTRICTED) or record)
            )
        await services.index.refresh()
        saved = await saved_searches.save(
            services,
            local_operator(subject),
            name="Hai văn bản đầu",
            query='"Văn bản số 1" OR "Văn bản số 2"',
            filter=SearchFilter(),
            shared_with=None,
            client=ClientInfo(),
        )
        return saved.id


def test_the_operator_exports_the_dossiers_a_saved_search_selects(
    cli_settings: Settings, tmp_path: Path
) -> None:
    import getpass

    codes = asyncio.run(fill(cli_settings))
    search_id = asyncio.run(save_search_of_first_dossier(cli_settings, getpass.getuser()))

    chosen = run_json("transfer", "export", "--saved-search", search_id, "-o", "by-search")

    assert [p["fileCode"] for p in chosen["packages"]] == [codes[0]]
