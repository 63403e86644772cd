"""``archive fonds`` (list, create) and ``archive dossiers`` (list, show, close).

Each command parses, calls ``archive.services.archival`` as the acting principal (the
local operator, or ``--api-key``'s) and prints text or, with ``--json``, one document.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar

import typer
from rich.table import Table

from archive.cli_identity import ApiKeyOption, cli_services
from archive.cli_output import JsonOption, console, fail, line, print_json
from archive.domain.archival import Dossier, DossierStatus, Fonds
from archive.domain.errors import ArchiveError, NotFound
from archive.settings import Settings

T = TypeVar("T")

fonds_app = typer.Typer(help="Fonds (phông lưu trữ).", no_args_is_help=True)
dossiers_app = typer.Typer(help="Dossiers (hồ sơ).", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add ``fonds`` and ``dossiers`` to the main CLI."""
    app.add_typer(fonds_app, name="fonds")
    app.add_typer(dossiers_app, name="dossiers")


def _run(api_key: str | None, as_json: bool, work: Callable[..., T]) -> T:
    """Run ``work(services, principal)``; an expected failure ends the command with its code."""
    with cli_services(Settings(), api_key=api_key) as (services, principal):
        try:
            return work(services, principal)
        except ArchiveError as exc:
            raise fail(exc.code, exc.message, as_json=as_json) from exc


@fonds_app.command("list")
def fonds_list(api_key: ApiKeyOption = None, as_json: JsonOption = False) -> None:
    """The fonds you may read, by code."""
    from archive.services import archival

    found = _run(api_key, as_json, archival.list_fonds)
    if as_json:
        print_json({"fonds": [_fonds(f) for f in found]})
        return
    table = Table("id", "code", "name", "agency", "status")
    for f in found:
        table.add_row(f.id, f.code, f.name, f.agency_code, f.status.value)
    console.print(table)


@fonds_app.command("create")
def fonds_create(
    code: Annotated[str, typer.Option(help="Mã phông, unique in the archive.")],
    name: Annotated[str, typer.Option(help="Tên phông.")],
    agency: Annotated[str, typer.Option(help="The agency whose records it holds.")],
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Describe a new fonds."""
    from archive.services import archival

    draft = Fonds(id="", code=code, name=name, agency_code=agency)
    made = _run(api_key, as_json, lambda s, p: archival.create_fonds(s, p, draft))
    if as_json:
        print_json({"fonds": _fonds(made)})
    else:
        line(f"fonds {made.code} created: {made.id}")


@dossiers_app.command("list")
def dossiers_list(
    fonds: Annotated[str | None, typer.Option(help="Only this fonds (its id).")] = None,
    status: Annotated[
        str | None, typer.Option(help="open, closed, in_agency_archive or transferred.")
    ] = None,
    year: Annotated[int | None, typer.Option(help="Only dossiers formed this year.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many (1 to 1000).", min=1, max=1000)] = 100,
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """The dossiers you may read, in file-code order."""
    from archive.services import archival

    wanted = _status(status)
    found = _run(
        api_key,
        as_json,
        lambda s, p: archival.list_dossiers(s, p, fonds_id=fonds, status=wanted, year=year, limit=limit),
    )
    if as_json:
        print_json({"dossiers": [_dossier(d) for d in found]})
        return
    table = Table("id", "file code", "title", "maintenance", "status", "closed on")
    for d in found:
        closed = "" if d.closed_on is None else d.closed_on.isoformat()
        table.add_row(d.id, d.file_code, d.title, d.maintenance, d.status.value, closed)
    console.print(table)


@dossiers_app.command("show")
def dossiers_show(
    dossier_id: Annotated[str, typer.Argument(help="The dossier's id.")],
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """One dossier, its derived figures and its documents (only those you may read)."""
    from archive.services import archival

    def work(services: Any, principal: Any) -> dict[str, Any]:
        found = archival.get_dossier(services, principal, dossier_id)
        if found is None:
            raise NotFound(f"no dossier {dossier_id}")
        figures = archival.dossier_figures(services, principal, found)
        members = archival.member_ids(services, principal, dossier_id)
        return {**_dossier(found), "figures": figures, "documents": members}

    shown = _run(api_key, as_json, work)
    if as_json:
        print_json({"dossier": shown})
        return
    figures = shown["figures"]
    line(f"{shown['file_code']}  {shown['title']}")
    line(
        f"status {shown['status']}, maintenance {shown['maintenance']}, closed on {shown['closed_on'] or '-'}"
    )
    dates = f"{figures.start_date or '-'} to {figures.end_date or '-'}"
    line(f"{figures.total_doc} documents, {figures.number_of_page} pages, {dates}")
    for record_id in shown["documents"]:
        line(f"  {record_id}")


@dossiers_app.command("close")
def dossiers_close(
    dossier_id: Annotated[str, typer.Argument(help="The dossier's id.")],
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Close an open dossier today: its documents' retention starts counting."""
    from archive.services import archival

    closed = _run(api_key, as_json, lambda s, p: archival.close_dossier(s, p, dossier_id))
    if as_json:
        print_json({"dossier": _dossier(closed)})
    else:
        line(f"dossier {closed.file_code} closed on {closed.closed_on}")


def _status(text: str | None) -> DossierStatus | None:
    if text is None:
        return None
    try:
        return DossierStatus(text.strip().lower())
    except ValueError:
        allowed = ", ".join(s.value for s in DossierStatus)
        raise typer.BadParameter(f"{text!r} is not one of {allowed}") from None


def _fonds(f: Fonds) -> dict[str, Any]:
    return {
        "id": f.id,
        "code": f.code,
        "name": f.name,
        "agency_code": f.agency_code,
        "status": f.status.value,
    }


def _dossier(d: Dossier) -> dict[str, Any]:
    return {
        "id": d.id,
        "fonds_id": d.fonds_id,
        "file_code": d.file_code,
        "title": d.title,
        "maintenance": d.maintenance,
        "mode": d.mode,
        "status": d.status.value,
        "closed_on": d.closed_on,
        "row_version": d.row_version,
    }
