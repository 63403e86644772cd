"""``archive backup --to TARGET``, ``archive backup verify TARGET`` and ``archive restore TARGET``.

Output names targets and files whole (never wrapped), one fact per line, or one
JSON object with ``--json``; the progress bar goes to stderr and only on a terminal.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from archive.cli_identity import ApiKeyOption, acting_principal
from archive.domain.backup import BackupTarget
from archive.domain.errors import ArchiveError
from archive.settings import Settings

backup_app = typer.Typer(
    help="Back up the archive (database, every object version) to a second target; verify it.",
    invoke_without_command=True,
)
err = Console(stderr=True)

Target = Annotated[str, typer.Argument(help="A directory, or s3://bucket/prefix (ARCHIVE_BACKUP_S3_*).")]
AsJson = Annotated[bool, typer.Option("--json", help="One JSON object on stdout.")]


def register(app: typer.Typer) -> None:
    """Add ``backup`` (with ``verify``) and ``restore`` to the ``archive`` command."""
    app.add_typer(backup_app, name="backup")
    app.command("restore")(restore)


@backup_app.callback()
def backup(
    ctx: typer.Context,
    to: Annotated[str | None, typer.Option("--to", help="Where: a directory or s3://bucket/prefix.")] = None,
    full: Annotated[bool, typer.Option("--full", help="Copy every object again, not only new ones.")] = False,
    as_json: AsJson = False,
    api_key: ApiKeyOption = None,
) -> None:
    """Snapshot the database and copy every new object version to TARGET, with a manifest."""
    if ctx.invoked_subcommand is not None:
        return
    if to is None:
        raise typer.BadParameter("give --to TARGET (a directory or s3://bucket/prefix)", param_hint="--to")
    from archive.factory import build_services
    from archive.services.backup import RunProgress, run_backup

    settings = Settings()
    target = _target(to, settings)
    services = build_services(settings)
    try:
        with _progress("backing up", None) as (set_total, tick):
            report = run_backup(
                services,
                target,
                actor=acting_principal(services, api_key).subject,
                full=full,
                progress=RunProgress(total=set_total, tick=tick),
            )
    except ArchiveError as exc:
        _fail(exc)
    finally:
        asyncio.run(services.close())
    manifest = report.manifest
    _emit(
        as_json,
        {
            "snapshot": manifest.id,
            "kind": manifest.kind.value,
            "target": report.target,
            "manifest": report.manifest_location,
            "manifest_sha256": report.manifest_sha256,
            "database": report.database_location,
            "objects": len(manifest.objects),
            "copied": manifest.copied,
        },
    )


@backup_app.command("verify")
def verify(
    target: Target,
    snapshot: Annotated[str | None, typer.Option(help="A snapshot id (default: the newest).")] = None,
    as_json: AsJson = False,
) -> None:
    """Re-hash every object copy and the database snapshot against the manifest; exit 1 naming bad ones."""
    from archive.services.backup import load_manifest, verify_backup

    settings = Settings()
    try:
        place = _target(target, settings)
        total = len(load_manifest(place, snapshot).objects)
        with _progress("verifying", total) as (_, tick):
            report = verify_backup(place, snapshot, on_object=tick)
    except ArchiveError as exc:
        _fail(exc)
    problems = [{"entry": p.entry, "reason": p.reason} for p in report.problems]
    if as_json:
        result = {"snapshot": report.snapshot_id, "checked": report.checked, "ok": report.ok}
        _emit(True, {**result, "bad": problems})
    else:
        typer.echo(f"snapshot: {report.snapshot_id}")
        typer.echo(f"checked: {report.checked} objects and the database snapshot")
        for problem in problems:
            typer.echo(f"BAD {problem['entry']}: {problem['reason']}", err=True)
        typer.echo("ok" if report.ok else f"{len(problems)} bad entries")
    raise typer.Exit(0 if report.ok else 1)


def restore(
    target: Target,
    snapshot: Annotated[str | None, typer.Option(help="A snapshot id (default: the newest).")] = None,
    as_json: AsJson = False,
    api_key: ApiKeyOption = None,
) -> None:
    """Restore a backup into an EMPTY deployment, then rebuild the search index from it."""
    from archive.factory import build_services
    from archive.services.backup import load_manifest, restore_backup

    settings = Settings()
    try:
        place = _target(target, settings)
        total = len(load_manifest(place, snapshot).objects)
    except ArchiveError as exc:
        _fail(exc)

    async def go(tick: Callable[[], None]) -> Any:
        services = await asyncio.to_thread(build_services, settings)
        try:
            return await restore_backup(
                services,
                place,
                actor=acting_principal(services, api_key).subject,
                snapshot_id=snapshot,
                on_object=tick,
            )
        finally:
            await services.close()

    try:
        with _progress("restoring", total) as (_, tick):
            report = asyncio.run(go(tick))
    except ArchiveError as exc:
        _fail(exc)
    _emit(
        as_json,
        {
            "snapshot": report.snapshot_id,
            "target": place.location(),
            "objects": report.objects,
            "not_restored": list(report.not_restored),
            "version_ids_remapped": report.remapped,
            "indexed": report.indexed,
        },
    )


def _target(spec: str, settings: Settings) -> BackupTarget:
    from archive.factory import build_backup_target

    try:
        return build_backup_target(spec, settings)
    except ValueError as exc:
        # typer.echo, not a BadParameter box: the path in the message must stay whole.
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    except ArchiveError as exc:  # the S3 target is unreachable or refuses
        _fail(exc)


@contextmanager
def _progress(label: str, total: int | None) -> Iterator[tuple[Callable[[int], None], Callable[[], None]]]:
    """A progress bar on stderr when it is a terminal (no-ops otherwise): (set the total, tick)."""
    columns = (TextColumn(label), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, console=err, disable=not err.is_terminal) as bar:
        task = bar.add_task(label, total=total)
        yield (lambda n: bar.update(task, total=n)), (lambda: bar.advance(task))


def _emit(as_json: bool, result: dict[str, Any]) -> None:
    """``key: value`` lines (never wrapped, so paths stay whole), or one JSON object."""
    if as_json:
        typer.echo(json.dumps(result, ensure_ascii=False, sort_keys=True))
        return
    for key, value in result.items():
        shown = ", ".join(value) if isinstance(value, list) else value
        typer.echo(f"{key.replace('_', ' ')}: {shown}")


def _fail(exc: ArchiveError) -> NoReturn:
    typer.echo(f"{exc.code}: {exc.message}", err=True)
    raise typer.Exit(1)
