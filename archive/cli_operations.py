"""``archive operations``: the trusted-document allowlist (persisted operations).

``load FILE`` lists every document of a client's manifest (JSON: ``{"<sha256>":
"<document>"}`` or Apollo's persisted-query manifest), all or none, as the acting
principal (admins only; audited as ``operations.load``); ``list`` prints them.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from archive.cli_identity import ApiKeyOption
from archive.cli_output import JsonOption, console, fail, line, print_json
from archive.settings import Settings

operations_app = typer.Typer(
    help="Trusted documents: the GraphQL operations portals may run.", no_args_is_help=True
)

CLI_CLIENT = "archive operations"


@operations_app.command("load")
def operations_load(
    file: Annotated[
        Path, typer.Argument(help="Manifest: JSON map sha256 -> document, or an Apollo manifest.")
    ],
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """List every document of a manifest (each id must be its document's SHA-256)."""
    from archive.cli_identity import cli_services
    from archive.domain.errors import ArchiveError
    from archive.domain.trusted_documents import manifest_entries
    from archive.services.audit import ClientInfo
    from archive.services.trusted_documents import load

    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise fail("BAD_MANIFEST", f"{file}: {exc}", as_json=as_json) from exc
    with cli_services(Settings(), api_key=api_key) as (services, principal):
        try:
            entries = manifest_entries(data)
            report = asyncio.run(load(services, principal, entries, client=ClientInfo(user_agent=CLI_CLIENT)))
        except ArchiveError as exc:
            raise fail(exc.code, exc.message, as_json=as_json) from exc
    if as_json:
        print_json({"documents": report.documents, "added": report.added})
    else:
        line(f"{report.documents} documents in {file}, {report.added} newly listed")


@operations_app.command("list")
def operations_list(api_key: ApiKeyOption = None, as_json: JsonOption = False) -> None:
    """Print the listed documents: id, name, who listed them and when."""
    from archive.cli_identity import cli_services
    from archive.domain.errors import ArchiveError
    from archive.services.trusted_documents import listed

    with cli_services(Settings(), api_key=api_key) as (services, principal):
        try:
            documents = asyncio.run(listed(services, principal))
        except ArchiveError as exc:
            raise fail(exc.code, exc.message, as_json=as_json) from exc
    if as_json:
        print_json({"documents": [
            {"id": f"sha256:{d.id}", "name": d.name, "addedAt": d.added_at.isoformat(), "addedBy": d.added_by,
             "document": d.text}
            for d in documents
        ]})  # fmt: skip
        return
    table = Table("id", "name", "added", "by")
    for d in documents:
        table.add_row(f"sha256:{d.id}", d.name, d.added_at.isoformat(timespec="seconds"), d.added_by)
    console.print(table)
