"""``export-list`` and ``export-contents``: the dossier list and a dossier's table of contents
written to a file (PDF, XLSX or CSV), as the acting principal sees them, audited.

The commands live on a Typer app of their own so that they can be mounted where dossiers
are managed (``archive dossiers``); until then ``archive export`` carries them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from archive.cli_identity import ApiKeyOption
from archive.cli_output import JsonOption, fail, line, print_json
from archive.settings import Settings

if TYPE_CHECKING:
    from archive.domain.access import Principal
    from archive.domain.listing import ExportFormat
    from archive.services.audit import ClientInfo
    from archive.services.container import Services
    from archive.services.exports import ExportFile

exports_app = typer.Typer(help="Export the dossier list and tables of contents.", no_args_is_help=True)

FormatOption = Annotated[str, typer.Option("--format", "-f", help="pdf, xlsx or csv.")]
OutputOption = Annotated[
    Path | None,
    typer.Option("--output", "-o", help="Where to write the file (default: its own name, here)."),
]
Export = Callable[["Services", "Principal", "ExportFormat", "ClientInfo"], "ExportFile"]


@exports_app.command("export-list")
def export_list(
    fonds: Annotated[str, typer.Option("--fonds", help="The fonds code.")],
    year: Annotated[int, typer.Option("--year", help="The year the dossiers were formed.")],
    fmt: FormatOption = "pdf",
    output: OutputOption = None,
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """The dossier list (danh mục hồ sơ) of a fonds for a year, in Decree 30 Appendix V's columns."""
    from archive.services.exports import export_dossier_list

    def run(services: Services, principal: Principal, chosen: ExportFormat, client: ClientInfo) -> ExportFile:
        return asyncio.run(export_dossier_list(services, principal, fonds, year, chosen, client=client))

    _export(run, fmt, output, api_key, as_json)


@exports_app.command("export-contents")
def export_contents(
    dossier_id: Annotated[str, typer.Argument(help="The dossier's id.")],
    fmt: FormatOption = "pdf",
    output: OutputOption = None,
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """A dossier's table of contents (mục lục văn bản): its documents in ordinal order."""
    from archive.services.exports import export_dossier_contents

    def run(services: Services, principal: Principal, chosen: ExportFormat, client: ClientInfo) -> ExportFile:
        return asyncio.run(export_dossier_contents(services, principal, dossier_id, chosen, client=client))

    _export(run, fmt, output, api_key, as_json)


def _export(run: Export, fmt: str, output: Path | None, api_key: str | None, as_json: bool) -> None:
    """Parse the format, run the export as the acting principal, write the file, report it."""
    from archive.cli_identity import cli_services
    from archive.domain.errors import ArchiveError
    from archive.services.audit import ClientInfo
    from archive.services.exports import parse_format

    try:
        chosen = parse_format(fmt)
        with cli_services(Settings(), api_key=api_key) as (services, principal):
            exported = run(services, principal, chosen, ClientInfo(user_agent="archive-cli"))
    except ArchiveError as exc:
        raise fail(exc.code, exc.message, as_json=as_json) from exc
    target = output or Path(exported.filename)
    target.write_bytes(exported.content)
    if as_json:
        print_json(
            {
                "file": target,
                "mediaType": exported.media_type,
                "rows": exported.rows,
                "bytes": len(exported.content),
            }
        )
    else:
        line(f"{target}: {exported.rows} rows, {len(exported.content)} bytes")
