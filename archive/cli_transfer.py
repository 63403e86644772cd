"""``archive transfer``: transfer packages of Circular 05/2025/TT-BNV (E-ARK CSIP SIPs).

``export`` writes one SIP_hoso per dossier, named by file code or taken whole from a
fonds (and year), into an output directory, as the acting principal, each audited as
``package.export``. A refusal (a dossier it may not read or export, documents still
being processed) stops the run before the first package is written.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from archive.cli_identity import ApiKeyOption
from archive.cli_output import JsonOption, err, fail, line, print_json
from archive.settings import Settings

if TYPE_CHECKING:
    from archive.domain.packages import RecordStatus
    from archive.services.packages import ExportedPackage

transfer_app = typer.Typer(help="Transfer packages (Circular 05/2025, E-ARK CSIP).", no_args_is_help=True)


@transfer_app.command("export")
def export(
    codes: Annotated[list[str] | None, typer.Argument(help="Dossier file codes (fileCode).")] = None,
    fonds: Annotated[str | None, typer.Option("--fonds", help="Every dossier of this fonds code.")] = None,
    year: Annotated[int | None, typer.Option("--year", help="Only dossiers formed this year.")] = None,
    saved_search: Annotated[
        str | None,
        typer.Option("--saved-search", help="The dossiers of the records a saved search finds (its id)."),
    ] = None,
    output: Annotated[Path, typer.Option("--output", "-o", help="Directory the packages go to.")] = Path("."),
    status: Annotated[str, typer.Option("--status", help="RECORDSTATUS: NEW, SUPPLEMENT, ...")] = "NEW",
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Write a SIP_hoso (``{OBJID}.zip``) for each dossier named or selected."""
    import asyncio

    from archive.cli_identity import cli_services
    from archive.domain.errors import ArchiveError, MetadataInvalid
    from archive.services import packages

    try:
        record_status = _status(status)
        # A search uses the index's asynchronous client: it runs, and closes, in one event loop.
        selected = None if saved_search is None else asyncio.run(_searched_dossiers(api_key, saved_search))
        with cli_services(Settings(), api_key=api_key) as (services, principal):
            if selected is not None:
                chosen_ids = selected
            else:
                chosen = packages.select_dossiers(
                    services, principal, fonds_code=fonds, year=year, file_codes=tuple(codes or ())
                )
                chosen_ids = [d.id for d in chosen]
            if not chosen_ids:
                raise MetadataInvalid("dossiers", "none selected")
            with _bar(len(chosen_ids), quiet=as_json) as tick:
                exported = packages.export_batch(
                    services,
                    principal,
                    chosen_ids,
                    output,
                    record_status=record_status,
                    progress=tick,
                )
    except ArchiveError as exc:
        raise fail(exc.code, exc.message, as_json=as_json) from exc
    _report(exported, as_json=as_json)


async def _searched_dossiers(api_key: str | None, search_id: str) -> list[str]:
    """The dossiers of the records a saved search finds for the caller."""
    import asyncio

    from archive.cli_identity import acting_principal
    from archive.factory import build_services
    from archive.services import saved_searches

    services = await asyncio.to_thread(build_services, Settings())
    try:
        principal = acting_principal(services, api_key)
        return await saved_searches.dossier_ids(services, principal, search_id)
    finally:
        await services.close()


@transfer_app.command("export-documents")
def export_documents(
    record_ids: Annotated[list[str], typer.Argument(help="Record ids, in the order to package them.")],
    title: Annotated[str, typer.Option("--title", help="The batch's title (EAD.xml).")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Directory the package goes to.")] = Path(
        "."
    ),
    status: Annotated[str, typer.Option("--status", help="RECORDSTATUS: NEW, SUPPLEMENT, ...")] = "NEW",
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Write one SIP_tailieu (``{OBJID}.zip``) of loose documents of one agency."""
    from archive.cli_identity import cli_services
    from archive.domain.errors import ArchiveError
    from archive.services import packages

    try:
        record_status = _status(status)
        with cli_services(Settings(), api_key=api_key) as (services, principal):
            exported = packages.export_documents(
                services, principal, record_ids, output, title=title, record_status=record_status
            )
    except ArchiveError as exc:
        raise fail(exc.code, exc.message, as_json=as_json) from exc
    _report([exported], as_json=as_json)


def _status(value: str) -> RecordStatus:
    from archive.domain.errors import MetadataInvalid
    from archive.domain.packages import RecordStatus

    try:
        return RecordStatus(value.strip().upper())
    except ValueError:
        allowed = ", ".join(s.value for s in RecordStatus)
        raise MetadataInvalid("status", f"{value[:20]!r} is not one of {allowed}") from None


@contextlib.contextmanager
def _bar(total: int, *, quiet: bool) -> Iterator[Callable[[ExportedPackage], None]]:
    """A rich progress bar on stderr, ticked per package (only on a terminal, never with --json)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    columns = (TextColumn("packaging"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, console=err, disable=quiet or not err.is_terminal) as bar:
        task = bar.add_task("packages", total=total)
        yield lambda _: bar.advance(task)


def package_row(exported: ExportedPackage) -> dict[str, object]:
    """A written package as the reports show it (a --json row); ``aip export`` adds its kind."""
    return {
        "fileCode": exported.file_code,
        "objid": exported.written.objid,
        "file": str(exported.path),
        "bytes": exported.written.zip_size,
        "sha256": exported.written.zip_sha256,
        "documents": len(exported.written.record_ids),
    }


def _report(exported: list[ExportedPackage], *, as_json: bool) -> None:
    rows = [package_row(e) for e in exported]
    if as_json:
        print_json({"packages": rows})
        return
    for row in rows:
        counts = f"{row['documents']} documents, {row['bytes']} bytes"
        line(f"{row['fileCode']}: {row['file']} ({counts}, sha256 {row['sha256']})")
