"""`archive aip export`: the JSON report of a written preservation package names its kind,
then the same fields as `transfer export` (the rows share one builder)."""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path

from archive.settings import Settings
from tests.cli.support import run_json
from tests.support.graphql import open_services
from tests.support.packages import stored_records


async def loose(settings: Settings) -> list[str]:
    async with open_services(settings) as services:
        return [r.id for r in await stored_records(services, 2)]


def test_the_operator_exports_loose_documents_as_one_aip(cli_settings: Settings, tmp_path: Path) -> None:
    ids = asyncio.run(loose(cli_settings))

    done = run_json("aip", "export", *[a for i in ids for a in ("--record", i)], "-o", "aip")

    [package] = done["packages"]
    assert list(package) == ["kind", "fileCode", "objid", "file", "bytes", "sha256", "documents"]
    assert package["kind"] == "AIP_tailieu"
    assert package["documents"] == 2 and package["fileCode"] is None
    written = tmp_path / package["file"]
    assert written.stat().st_size == package["bytes"]
    assert hashlib.sha256(written.read_bytes()).hexdigest() == package["sha256"]
