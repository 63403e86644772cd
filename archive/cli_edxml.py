"""``archive edxml import FILE|DIR`` and ``archive edxml watch DIR``: packages from the
national document interchange (QCVN 102:2016), taken in as the acting principal.

Each command parses, calls ``archive.services.intake`` (or its drop folder) and prints
one line per package or, with ``--json``, one document. A refused package ends
``import`` with exit code 1 after the others were tried.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from archive.cli_identity import ApiKeyOption
from archive.cli_output import JsonOption, fail, line, print_json, problem
from archive.domain.errors import ArchiveError, PackageRefused
from archive.settings import Settings

if TYPE_CHECKING:
    from archive.domain.access import Principal
    from archive.services.container import Services

T = TypeVar("T")

edxml_app = typer.Typer(help="edXML packages from the national document interchange.", no_args_is_help=True)

AgencyOption = Annotated[
    str | None, typer.Option("--agency", help="The receiving agency (default: your only agency).")
]
OutboxOption = Annotated[
    Path | None,
    typer.Option(
        "--outbox", help="Write the interchange's status packages here (received, accepted/refused)."
    ),
]


def register(app: typer.Typer) -> None:
    """Add ``edxml`` to the main CLI."""
    app.add_typer(edxml_app, name="edxml")


def _settings(outbox: Path | None) -> Settings:
    settings = Settings()
    return settings if outbox is None else settings.model_copy(update={"edxml_outbox_dir": outbox})


@edxml_app.command("import")
def import_command(
    path: Annotated[Path, typer.Argument(help="A package, or a folder of .edxml/.xml packages.")],
    agency: AgencyOption = None,
    outbox: OutboxOption = None,
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Take packages in; a package already taken in is a no-op."""
    from archive.services.intake_folder import packages_in

    if not path.exists():
        raise fail("NOT_FOUND", f"{path} does not exist", as_json=as_json)
    paths = packages_in(path) if path.is_dir() else [path]
    results = asyncio.run(
        _in_one_loop(_settings(outbox), api_key, lambda s, p: _import_all(s, p, paths, agency))
    )
    _report(results, as_json)
    if any(not r["ok"] for r in results):
        raise typer.Exit(1)


async def _import_all(
    services: Any, principal: Any, paths: list[Path], agency: str | None
) -> list[dict[str, Any]]:
    from archive.services.intake import Received, import_package
    from archive.services.intake_folder import read_package_file

    results: list[dict[str, Any]] = []
    for path in paths:
        try:
            received = Received(read_package_file(services, path), path.name)
            outcome = await import_package(services, principal, received, agency_code=agency, client="cli")
        except ArchiveError as error:
            results.append(_refusal(path.name, error))
            continue
        status = outcome.intake.status.value if outcome.created else "unchanged"
        results.append(
            {
                "package": path.name,
                "ok": True,
                "status": status,
                "record": outcome.intake.record_id,
                "business": outcome.intake.business_type.name.lower(),
                "signature": outcome.intake.signature.value,
            }
        )
    return results


def _refusal(name: str, error: ArchiveError) -> dict[str, Any]:
    found: dict[str, Any] = {"package": name, "ok": False, "code": error.code, "message": error.message}
    if isinstance(error, PackageRefused):
        found["part"] = error.part
    return found


def _report(results: list[dict[str, Any]], as_json: bool) -> None:
    if as_json:
        print_json({"packages": results})
        return
    for r in results:
        if r["ok"]:
            what = f"{r['status']} ({r['business']})"
            line(f"{r['package']}: {what}, record {r['record']}, signature {r['signature']}")
        else:
            problem(f"{r['package']}: {r['code']}: {r['message']}")


@edxml_app.command("watch")
def watch_command(
    directory: Annotated[Path, typer.Argument(help="The drop folder; done/ and failed/ are made inside it.")],
    agency: AgencyOption = None,
    outbox: OutboxOption = None,
    once: Annotated[bool, typer.Option("--once", help="Sweep the folder once, then exit.")] = False,
    interval: Annotated[float, typer.Option(min=0.1, help="Seconds between sweeps.")] = 5.0,
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Take in every package dropped in DIRECTORY, moving it to done/ or failed/ (with a reason file)."""
    from archive.services.intake_folder import sweep

    if not directory.is_dir():
        raise fail("NOT_FOUND", f"{directory} is not a folder", as_json=as_json)

    async def loop(services: Services, principal: Principal) -> None:
        while True:
            swept = await sweep(services, principal, directory, agency_code=agency, client="cli")
            _report_sweep(swept, as_json=as_json, always=once)
            if once:
                return
            await asyncio.sleep(interval)

    asyncio.run(_in_one_loop(_settings(outbox), api_key, loop))


async def _in_one_loop(
    settings: Settings, api_key: str | None, work: Callable[[Services, Principal], Awaitable[T]]
) -> T:
    """Build the services, run ``work`` and close them on ONE event loop: the search
    client's connections belong to the loop that opened them."""
    from archive.cli_identity import acting_principal
    from archive.factory import build_services

    services = await asyncio.to_thread(build_services, settings)
    try:
        principal = acting_principal(services, api_key)
        return await work(services, principal)
    finally:
        await services.close()


def _report_sweep(swept: list[Any], *, as_json: bool, always: bool) -> None:
    """One JSON document per sweep (``{"packages": [...]}``), or one line per package."""
    if as_json:
        if swept or always:
            print_json({"packages": [dataclasses.asdict(item) for item in swept]})
        return
    for item in swept:
        if item.ok:
            line(f"{item.name}: {item.status}, record {item.record_id} -> done/")
        else:
            problem(f"{item.name}: {item.status}: {item.message} -> failed/")
