"""``archive aip export``: the archive's own preservation packages (AIP_hoso, AIP_tailieu),
with PREMIS 3.0 built from fido's PRONOM identification and the audit chain.

Acts as the recorded CLI principal (``local:<os user>``, or ``--api-key``); the rule is
``can_export_preservation_package`` (archivists and admins who may read every record).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from archive.cli_identity import ApiKeyOption
from archive.cli_output import JsonOption, fail, line, print_json
from archive.cli_transfer import package_row
from archive.settings import Settings

if TYPE_CHECKING:
    from archive.services.packages import ExportedPackage

aip_app = typer.Typer(
    help="Preservation packages (AIP, Circular 05/2025, E-ARK CSIP + PREMIS).", no_args_is_help=True
)


@aip_app.command("export")
def export(
    codes: Annotated[list[str] | None, typer.Argument(help="Dossier file codes: one AIP_hoso each.")] = None,
    fonds: Annotated[
        str | None, typer.Option("--fonds", help="Look the file codes up in this fonds.")
    ] = None,
    record: Annotated[
        list[str] | None, typer.Option("--record", help="Loose documents (record ids): one AIP_tailieu.")
    ] = None,
    title: Annotated[str, typer.Option("--title", help="The AIP_tailieu's title.")] = "Tài liệu lẻ",
    output: Annotated[Path, typer.Option("--output", "-o", help="Directory the packages go to.")] = Path("."),
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Write an AIP (``{OBJID}.zip``) per dossier named, or one for the loose documents given."""
    from archive.cli_identity import cli_services
    from archive.domain.errors import ArchiveError, MetadataInvalid
    from archive.services import aip, packages
    from archive.services.audit import ClientInfo

    client = ClientInfo(user_agent="archive-cli")
    try:
        if not codes and not record:
            raise MetadataInvalid("dossiers", "name dossier file codes, or --record ids")
        with cli_services(Settings(), api_key=api_key) as (services, principal):
            exported: list[ExportedPackage] = []
            if record:
                made = aip.export(services, principal, client, output, record_ids=tuple(record), title=title)
                exported.append(asyncio.run(made))
            if codes:
                chosen = packages.select_dossiers(
                    services, principal, fonds_code=fonds, file_codes=tuple(codes)
                )
                for dossier in chosen:
                    made = aip.export(services, principal, client, output, dossier_id=dossier.id)
                    exported.append(asyncio.run(made))
    except ArchiveError as exc:
        raise fail(exc.code, exc.message, as_json=as_json) from exc
    _report(exported, as_json=as_json)


def _report(exported: list[ExportedPackage], *, as_json: bool) -> None:
    rows = [{"kind": e.written.kind.value, **package_row(e)} for e in exported]
    if as_json:
        print_json({"packages": rows})
        return
    for row in rows:
        name = row["fileCode"] or row["objid"]
        line(f"{row['kind']} {name}: {row['file']} ({row['documents']} documents, sha256 {row['sha256']})")
