"""``archive transfer check`` and ``archive transfer import``: a transfer package received from
another system, checked (nothing stored) or imported as the acting principal.

Both list every failed check, one per line (``part: problem``) or, with ``--json``, as
``failures`` objects with ``check``, ``part`` and ``problem``; a refused package ends
the command with exit status 1 and stores nothing.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from archive.cli_identity import ApiKeyOption
from archive.cli_output import JsonOption, err, fail, line, print_json, problem
from archive.settings import Settings

if TYPE_CHECKING:
    from archive.domain.package_checks import Failure
    from archive.domain.ports.package_reader import PackageReport

PackageArgument = Annotated[
    Path, typer.Argument(help="The package: a zip holding one folder named after its OBJID.", exists=True)
]


def register(transfer: typer.Typer) -> None:
    """Add ``check`` and ``import`` to the ``archive transfer`` group."""
    transfer.command("check")(check)
    transfer.command("import")(import_)


def check(package: PackageArgument, as_json: JsonOption = False) -> None:
    """Run every check an import makes (zip limits, paths, XML, METS sizes and SHA-256,
    schemas, metadata) and list each failure; stores nothing, needs no database."""
    from archive.factory import build_package_reader
    from archive.services.package_import import inspect_package

    report = inspect_package(build_package_reader(Settings()), package, today=date.today())
    if as_json:
        print_json({"package": _report(report)})
    else:
        _print_failures(report.failures)
        verdict = "valid" if report.valid else f"refused, {len(report.failures)} failed checks"
        line(f"{report.objid or package.name}: {verdict}, {report.files} files listed")
    if not report.valid:
        raise typer.Exit(1)


def import_(package: PackageArgument, api_key: ApiKeyOption = None, as_json: JsonOption = False) -> None:
    """Import a SIP_hoso: check it, then create its fonds (or use the one with its code), its
    dossier and its documents with their bytes, and queue their processing. Re-importing the
    same dossier changes nothing."""
    from archive.cli_identity import CLI_CLIENT, cli_services
    from archive.domain.errors import ArchiveError
    from archive.domain.package_checks import PackageInvalid
    from archive.services.package_import import import_package

    with cli_services(Settings(), api_key=api_key) as (services, principal), _bar(quiet=as_json) as tick:
        try:
            result = import_package(services, principal, package, client=CLI_CLIENT, progress=tick)
        except PackageInvalid as exc:
            if as_json:
                print_json(
                    {"error": {"code": exc.code, "message": exc.message}, "failures": _failures(exc.failures)}
                )
            else:
                _print_failures(exc.failures)
                problem(f"{exc.code}: {len(exc.failures)} failed checks; nothing was imported")
            raise typer.Exit(1) from exc
        except ArchiveError as exc:
            raise fail(exc.code, exc.message, as_json=as_json) from exc
    if as_json:
        print_json(
            {
                "import": {
                    "objid": result.objid,
                    "fondsId": result.fonds_id,
                    "dossierId": result.dossier_id,
                    "recordIds": list(result.record_ids),
                    "created": result.created,
                }
            }
        )
        return
    verb = "imported" if result.created else "already imported, nothing changed:"
    line(f"{result.objid}: {verb} dossier {result.dossier_id} with {len(result.record_ids)} documents")


@contextlib.contextmanager
def _bar(*, quiet: bool) -> Iterator[Callable[[int, int], None]]:
    """A rich progress bar on stderr, ticked per document stored (only on a terminal, never
    with --json)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    columns = (TextColumn("importing"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, console=err, disable=quiet or not err.is_terminal) as bar:
        task = bar.add_task("documents", total=None)
        yield lambda done, total: bar.update(task, completed=done, total=total)


def _report(report: PackageReport) -> dict[str, object]:
    return {
        "objid": report.objid,
        "packageType": report.package_type,
        "recordStatus": report.record_status,
        "profile": report.profile,
        "files": report.files,
        "valid": report.valid,
        "failures": _failures(report.failures),
    }


def _failures(failures: tuple[Failure, ...]) -> list[dict[str, str]]:
    return [{"check": f.check, "part": f.part, "problem": f.problem} for f in failures]


def _print_failures(failures: tuple[Failure, ...]) -> None:
    for failure in failures:
        problem(f"[{failure.check}] {failure}")
