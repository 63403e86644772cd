"""`archive transfer check` and `archive transfer import` on either stack, as the local operator."""

from __future__ import annotations

from pathlib import Path

from archive.domain.access import UNRESTRICTED
from archive.factory import build_services
from archive.settings import Settings
from tests.cli.support import run_json
from tests.support.bad_packages import mutated
from tests.support.transfer import documents, make_package

EAD = "metadata/descriptive/EAD.xml"
DATA_1 = "representations/rep1/data/A.2025.01-HS.0000001.pdf"


def test_check_and_import_from_the_command_line(cli_settings: Settings, tmp_path: Path) -> None:
    good = make_package(tmp_path / "good.zip", documents(2))
    checked = run_json("transfer", "check", str(good))["package"]
    assert (checked["valid"], checked["packageType"], checked["failures"]) == (True, "SIP", [])

    bad = mutated(
        good,
        tmp_path / "bad.zip",
        drop=(DATA_1,),
        edit={EAD: lambda b: b.replace("Nộp lưu".encode(), "Giao nộp".encode())},
    )
    refused = run_json("transfer", "check", str(bad), code=1)["package"]
    assert refused["valid"] is False
    checks = {f["check"] for f in refused["failures"]}
    assert {"reference", "checksum"} <= checks, refused["failures"]
    assert all(f["part"] and f["problem"] for f in refused["failures"])
    not_imported = run_json("transfer", "import", str(bad), code=1)
    assert not_imported["error"]["code"] == "PACKAGE_INVALID" and not_imported["failures"]

    done = run_json("transfer", "import", str(good))["import"]
    assert done["created"] is True and len(done["recordIds"]) == 2
    again = run_json("transfer", "import", str(good))["import"]
    assert (again["created"], again["recordIds"], again["dossierId"]) == (
        False,
        done["recordIds"],
        done["dossierId"],
    )

    services = build_services(cli_settings)
    try:
        assert services.records.count(UNRESTRICTED) == 2
    finally:
        services.dispose()
