"""``archive export bagit``: a fonds, dossiers or records as a BagIt bag, as the acting
principal may read them (``archive.services.bags``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from archive.cli_identity import ApiKeyOption, cli_services
from archive.cli_output import JsonOption, fail, line, print_json
from archive.domain.errors import ArchiveError
from archive.settings import Settings


def bagit_command(
    output: Annotated[
        Path, typer.Option("-o", "--output", help="A new or empty folder: the bag.", file_okay=False)
    ],
    fonds: Annotated[
        str | None, typer.Option(help="Every record of this fonds (its id) you may read.")
    ] = None,
    dossier: Annotated[list[str] | None, typer.Option(help="A dossier id (repeat).")] = None,
    record: Annotated[list[str] | None, typer.Option(help="A record id (repeat).")] = None,
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Write a BagIt bag (SHA-256 manifests): each record's original bytes and its metadata JSON."""
    from archive.services.bags import BagSelection, export_bag

    selection = BagSelection(fonds, tuple(dossier or ()), tuple(record or ()))
    with cli_services(Settings(), api_key=api_key) as (services, principal):
        try:
            report = export_bag(services, principal, output, selection)
        except ArchiveError as exc:
            raise fail(exc.code, exc.message, as_json=as_json) from exc
    if as_json:
        print_json({"bag": str(report.path), "records": report.records, "bytes": report.bytes})
    else:
        line(f"bag written to {report.path}: {report.records} records, {report.bytes} bytes")


def register(exports: typer.Typer) -> None:
    """Add ``bagit`` to ``archive export``."""
    exports.command("bagit")(bagit_command)
