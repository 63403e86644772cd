"""`archive fonds` and `archive dossiers` on either stack, as the local operator (admin)."""

from __future__ import annotations

import uuid

from archive.domain.access import Principal, Role
from archive.domain.archival import Dossier
from archive.domain.records import Classification
from archive.factory import build_services
from archive.services import archival
from archive.settings import Settings
from tests.cli.support import run, run_json

ADMIN = Principal(subject="admin-1", roles=frozenset({Role.ADMIN}), clearance=Classification.TOP_SECRET)


def test_fonds_and_dossiers_from_the_command_line(cli_settings: Settings) -> None:
    made = run_json(
        "fonds", "create", "--code", "UBND-HG-P", "--name", "Phông UBND tỉnh", "--agency", "UBND-HG"
    )
    fonds_id = made["fonds"]["id"]
    listed = run_json("fonds", "list")["fonds"]
    assert [(f["code"], f["agency_code"]) for f in listed] == [("UBND-HG-P", "UBND-HG")]
    assert "UBND-HG-P" in run("fonds", "list")
    taken = run_json("fonds", "create", "--code", "UBND-HG-P", "--name", "x", "--agency", "UBND-HG", code=1)
    assert taken["error"]["code"] == "VALIDATION"

    services = build_services(cli_settings)
    try:
        draft = Dossier(
            id="", fonds_id=fonds_id, agency_code="", file_code="", title="Hồ sơ hội nghị",
            maintenance="05", year=2025, file_number="07-HN",
        )  # fmt: skip
        dossier = archival.create_dossier(services, ADMIN, draft)
    finally:
        services.dispose()

    rows = run_json("dossiers", "list", "--fonds", fonds_id, "--status", "open")["dossiers"]
    assert [(d["id"], d["file_code"]) for d in rows] == [(dossier.id, "UBND-HG.2025.07-HN")]
    assert run_json("dossiers", "list", "--year", "1999")["dossiers"] == []
    shown = run_json("dossiers", "show", dossier.id)["dossier"]
    assert shown["figures"]["total_doc"] == 0 and shown["documents"] == []
    refused = run_json("dossiers", "close", dossier.id, code=1)["error"]
    assert refused["code"] == "VALIDATION" and "documents" in refused["message"]
    missing = run_json("dossiers", "show", str(uuid.uuid4()), code=1)["error"]
    assert missing["code"] == "NOT_FOUND"
