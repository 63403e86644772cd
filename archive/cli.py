"""The ``archive`` command: serve, migrate, worker, import, jobs, reindex, samples, apikey,
audit, retention, fixity, reconcile, backup, restore, export."""

from __future__ import annotations

import asyncio
import dataclasses
import signal
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer
from rich.table import Table

from archive.cli_access import apikey_app, audit_app
from archive.cli_aip import aip_app
from archive.cli_archival import register as register_archival
from archive.cli_backup import register as register_backup
from archive.cli_bagit import register as register_bagit
from archive.cli_destruction import register as register_destruction
from archive.cli_dip import dip_app
from archive.cli_edxml import register as register_edxml
from archive.cli_exports import exports_app
from archive.cli_handover import register as register_transfer
from archive.cli_identity import ApiKeyOption
from archive.cli_lifecycle import register as register_lifecycle
from archive.cli_operations import operations_app
from archive.cli_output import JsonOption, console, err, fail, line, print_json, problem
from archive.cli_transfer import transfer_app
from archive.cli_transfer_import import register as register_transfer_import
from archive.cli_webhooks import webhooks_app
from archive.domain.jobs import JobStatus
from archive.settings import Settings

if TYPE_CHECKING:
    from archive.domain.access import Principal
    from archive.services.container import Services

T = TypeVar("T")

app = typer.Typer(help="Headless GraphQL records archive.", no_args_is_help=True, add_completion=False)
jobs_app = typer.Typer(help="Inspect and requeue background jobs.", invoke_without_command=True)
app.add_typer(jobs_app, name="jobs")
app.add_typer(apikey_app, name="apikey")
app.add_typer(audit_app, name="audit")
app.add_typer(operations_app, name="operations")
retention_app = typer.Typer(help="Retention schedule and disposition.", no_args_is_help=True)
app.add_typer(retention_app, name="retention")
register_destruction(retention_app)  # note, seat, unseat, vote, attach, council, deadlines
register_backup(app)  # backup, backup verify, restore
register_archival(app)  # fonds list|create, dossiers list|show|close
register_edxml(app)  # edxml import|watch
register_lifecycle(app)  # record correct|relate|revoke|history
app.add_typer(webhooks_app, name="webhooks")
app.add_typer(exports_app, name="export")  # export-list, export-contents; to move under `archive dossiers`
app.add_typer(transfer_app, name="transfer")  # transfer packages (Circular 05/2025)
register_bagit(exports_app)  # export bagit
register_transfer(app)  # transfer batch prepare|send|accept|refuse|list|show|minutes, transfer due
app.add_typer(aip_app, name="aip")  # preservation packages (AIP with PREMIS)
app.add_typer(dip_app, name="dip")  # readers' requests and their use packages (DIP)
register_transfer_import(transfer_app)  # check, import: packages received from other systems


def _settings() -> Settings:
    return Settings()


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(help="Web worker processes.")] = 1,
) -> None:
    """Run the GraphQL API (and a background worker, unless ARCHIVE_EMBEDDED_WORKER=false)."""
    import uvicorn

    from archive.observability.logs import configure_logging

    settings = _settings()
    if settings.embedded_worker:
        from archive.factory import open_ocr_backlog
        from archive.services.ocr_backlog import requeue_at_start

        with open_ocr_backlog(settings) as backlog:
            requeue_at_start(backlog, settings)  # scans left PENDING_OCR, now that OCR may be installed
    mode = "production" if settings.is_production else "development (GraphiQL on)"
    problem(f"archive {mode} on http://{host}:{port}/graphql, data in {settings.data_dir}")
    problem(f"archive {settings.describe_two_person_rule()}")
    problem(f"archive {settings.describe_quorum()}")
    configure_logging(settings)
    uvicorn.run(
        "archive.app:create_served_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_config=None,  # our handler and format (archive.observability.logs)
        access_log=False,  # one request line of our own instead: no tokens in paths
    )


@app.command()
def migrate(as_json: JsonOption = False) -> None:
    """Bring the database schema up to date (Alembic); safe to run again."""
    from archive.db.engine import create_db_engine
    from archive.db.migrate import current_revision, head_revision, upgrade

    engine = create_db_engine(_settings().resolved_database_url)
    try:
        before = current_revision(engine)
        upgrade(engine)
        reached = current_revision(engine)
    finally:
        engine.dispose()
    head = head_revision()
    if as_json:
        print_json({"previous": before, "revision": reached, "head": head, "at_head": reached == head})
        return
    line(f"database at revision {reached}" + (" (head)" if reached == head else f", head is {head}"))


@app.command()
def worker(
    processes: Annotated[int, typer.Option("--processes", "-p", help="Worker processes.")] = 1,
    once: Annotated[bool, typer.Option(help="Drain the queue, then exit.")] = False,
) -> None:
    """Process deposits: seal, verify signatures, extract text / OCR, index."""
    from archive.worker_processes import run_workers

    settings = _settings()
    problem(f"archive worker {settings.describe_two_person_rule()}")
    problem(f"archive worker {settings.describe_quorum()}")
    raise typer.Exit(run_workers(settings, processes=processes, once=once))


@app.command("import")
def import_dir(
    directory: Annotated[Path, typer.Argument(help="Folder with the files and a manifest.")],
    manifest: Annotated[
        Path | None,
        typer.Option(help="Manifest file (default: manifest.csv or manifest.json in DIR)."),
    ] = None,
    api_key: ApiKeyOption = None,
    start_workers: Annotated[
        bool | None,
        typer.Option(
            "--start-workers/--no-start-workers",
            help="Process the deposits with worker processes of its own after them, or leave them "
            "to the workers (the default: it says whether any is running to claim them).",
        ),
    ] = None,
    processes: Annotated[
        int, typer.Option("--processes", "-p", min=1, help="Worker processes the import starts, if it does.")
    ] = 1,
    as_json: JsonOption = False,
) -> None:
    """Bulk deposit from a folder, as the local operator or an API key; every row is checked
    and audited like a GraphQL deposit. Idempotent by SHA-256: safe to re-run. Running
    workers claim the jobs (it says whether any is); --start-workers processes them here."""
    from archive.importer import run_import

    summary = run_import(
        _settings(), directory, manifest, api_key=api_key, start_workers=start_workers, processes=processes
    )
    if as_json:
        errors = [{"file": name, "message": message} for name, message in summary.errors]
        duplicates = [{"file": name, "record": record} for name, record in summary.duplicates]
        print_json({**dataclasses.asdict(summary), "errors": errors, "duplicates": duplicates})
    else:
        line(
            f"as {summary.actor}: deposited {summary.deposited}, skipped (already archived) "
            f"{summary.skipped}, refused {summary.refused}, failed {summary.failed}"
        )
        for name, record in summary.duplicates[:50]:
            line(f"  {name}: already archived as {record}")
        for name, message in summary.errors[:50]:
            problem(f"  {name}: {message}")
    raise typer.Exit(0 if summary.failed == 0 and summary.refused == 0 else 1)


@jobs_app.callback()
def jobs(
    ctx: typer.Context,
    status: Annotated[JobStatus | None, typer.Option(help="Only jobs in this status.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many.")] = 50,
    as_json: JsonOption = False,
) -> None:
    """List the job queue (newest first)."""
    if ctx.invoked_subcommand is not None:
        return
    from archive.factory import build_services

    services = build_services(_settings())
    counts = services.jobs.counts()
    listed = services.jobs.list(status, limit)
    asyncio.run(services.close())
    if as_json:
        print_json({"counts": {s.value: n for s, n in counts.items()}, "jobs": listed})
        return
    table = Table("id", "record", "status", "attempts", "steps done", "run after", "error")
    for job in listed:
        table.add_row(
            str(job.id),
            job.record_id,
            job.status.value,
            str(job.attempts),
            ",".join(s.value for s in job.steps_done),
            job.run_after.isoformat(timespec="seconds"),
            (job.last_error or "")[:80],
        )
    console.print(table)
    line(" ".join(f"{s.value}={n}" for s, n in counts.items()))


@jobs_app.command("retry")
def jobs_retry(
    job_id: Annotated[int | None, typer.Argument(help="A failed job's id.")] = None,
    pending_ocr: Annotated[
        bool, typer.Option("--pending-ocr", help="Requeue every record left PENDING_OCR, if OCR works now.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Requeue a failed job now, with a fresh attempt budget (or the records waiting for OCR)."""
    from archive.factory import build_services

    if pending_ocr:
        _retry_pending_ocr()
        return
    if job_id is None:
        raise typer.BadParameter("give a job id, or --pending-ocr")
    services = build_services(_settings())
    job = services.jobs.retry(job_id)
    asyncio.run(services.close())
    if job is None:
        raise fail("NOT_RETRYABLE", f"job {job_id} does not exist or has not failed", as_json=as_json)
    if as_json:
        print_json({"job": job})
    else:
        line(f"job {job_id} requeued")


def _retry_pending_ocr() -> None:
    from archive.factory import open_ocr_backlog
    from archive.services.ocr_backlog import ocr_available, requeue_pending_ocr

    settings = _settings()
    if not settings.ocr_enabled or not ocr_available(settings.ocr_languages):
        # typer.echo, not rich: the command must come out whole, never wrapped.
        typer.echo(
            f"OCR is not available: tesseract with {settings.ocr_languages} is needed: {OCR_INSTALL}",
            err=True,
        )
        raise typer.Exit(1)
    with open_ocr_backlog(settings) as backlog:
        requeued = requeue_pending_ocr(backlog, settings)
    console.print(f"{len(requeued)} records left PENDING_OCR requeued")


OCR_INSTALL = "apt-get install tesseract-ocr tesseract-ocr-vie tesseract-ocr-eng"


@app.command()
def reindex(as_json: JsonOption = False) -> None:
    """Rebuild the search index from the database and swap it in atomically."""
    from archive.factory import build_services
    from archive.services.maintenance import rebuild_index

    async def go() -> int:
        services = await asyncio.to_thread(build_services, _settings())
        try:
            return await rebuild_index(services, progress=not as_json)
        finally:
            await services.close()

    count = asyncio.run(go())
    if as_json:
        print_json({"reindexed": count})
    else:
        line(f"reindexed {count} records")


@app.command()
def samples(
    directory: Annotated[Path, typer.Argument(help="Where to write the files and manifest.csv.")],
    count: Annotated[int, typer.Option(help="How many documents.")] = 20,
    seed: Annotated[int, typer.Option(help="Random seed, for reproducible output.")] = 1,
    as_json: JsonOption = False,
) -> None:
    """Write sample Vietnamese documents and a manifest, ready for `archive import`."""
    from archive.importer import read_manifest, write_samples

    path = write_samples(directory, count=count, seed=seed)
    if as_json:
        files = [directory / row["file"] for row in read_manifest(path)]
        print_json({"count": count, "manifest": path, "files": files})
    else:
        line(f"wrote {count} documents and {path}")


@app.command()
def schema(
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here instead of stdout.")
    ] = None,
    changelog: Annotated[
        Path | None,
        typer.Option(
            "--changelog",
            help="Also write the changes since schema.released.graphql (beside the output) to this file.",
        ),
    ] = None,
) -> None:
    """Print the GraphQL schema (SDL); `archive schema -o schema.graphql --changelog
    schema.changelog.md` refreshes the checked-in copies."""
    from archive.api.compatibility import changelog as schema_changelog
    from archive.api.schema import schema_sdl

    text = schema_sdl()
    if output is None:
        console.out(text, end="", highlight=False)
    else:
        output.write_text(text, encoding="utf-8")
    if changelog is not None:
        folder = (output or changelog).resolve().parent
        released = (folder / "schema.released.graphql").read_text(encoding="utf-8")
        breaks_file = folder / "schema.breaks"
        breaks = breaks_file.read_text(encoding="utf-8") if breaks_file.exists() else ""
        changelog.write_text(schema_changelog(released, text, breaks), encoding="utf-8")


def _operator(services: Services, api_key: str | None) -> Principal:
    """Who a command acts as (``archive.cli_identity``): the local operator
    ``local:<os user>``, an admin cleared for everything (whoever can run this command on
    the server already holds the database), or the API key given with ``--api-key``,
    verified like on the HTTP path. The two-person rule still holds: in production a
    batch planned by one principal is approved by another (a second operator or key)."""
    from archive.cli_identity import acting_principal

    return acting_principal(services, api_key)


def _as_operator(api_key: str | None, as_json: bool, action: Callable[[Services, Principal], T]) -> T:
    """Run ``action`` with the services and the operator (``_operator``); an expected failure
    ends the command with its code. The services are closed either way."""
    from archive.domain.errors import ArchiveError
    from archive.factory import build_services

    services = build_services(_settings())
    try:
        return action(services, _operator(services, api_key))
    except ArchiveError as exc:
        raise fail(exc.code, exc.message, as_json=as_json) from exc
    finally:
        asyncio.run(services.close())


@retention_app.command("load")
def retention_load(
    file: Annotated[Path, typer.Argument(help="Schedule file, JSON or TOML.")],
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Upsert the rules (and dossiers) of a schedule file; affected records are recomputed and re-sealed."""
    from archive.services.retention import load_schedule

    change = _as_operator(
        api_key, as_json, lambda services, operator: load_schedule(services, operator, file)
    )
    if as_json:
        print_json(dataclasses.asdict(change))
    else:
        line(f"{len(change.upserted)} rules loaded, {change.recomputed} records recomputed")


@retention_app.command("recompute")
def retention_recompute(api_key: ApiKeyOption = None, as_json: JsonOption = False) -> None:
    """Recompute every record's disposal date under the schedule as it stands and extend the
    Object Lock of those that changed (run it once after upgrading to revision 0013)."""
    from archive.services.retention import recompute

    change = _as_operator(api_key, as_json, recompute)
    if as_json:
        print_json(dataclasses.asdict(change))
    else:
        line(f"{change.recomputed} records recomputed")


@retention_app.command("rules")
def retention_rules(api_key: ApiKeyOption = None, as_json: JsonOption = False) -> None:
    """List the retention schedule."""
    from archive.factory import build_services
    from archive.services.retention import rules as schedule

    services = build_services(_settings())
    try:
        rules = schedule(services, _operator(services, api_key))
    finally:
        asyncio.run(services.close())
    if as_json:
        print_json({"rules": rules})
        return
    table = Table("schedule", "code", "title", "tier", "period", "trigger", "document types", "agencies")
    for rule in rules:
        period = "permanent" if rule.period_years is None else f"{rule.period_years} years"
        table.add_row(
            rule.schedule,
            rule.code,
            rule.title,
            rule.maintenance,
            period,
            rule.trigger.value,
            ", ".join(rule.document_types),
            ", ".join(rule.agencies),
        )
    console.print(table)


@retention_app.command("plan")
def retention_plan(
    export: Annotated[Path | None, typer.Option(help="Also write the batch here (.csv or .json).")] = None,
    limit: Annotated[int, typer.Option(help="At most this many records (1 to 10000).")] = 1000,
    note: Annotated[
        Path | None, typer.Option(help="A UTF-8 text file: the explanatory note (bản thuyết minh).")
    ] = None,
    duplicates: Annotated[
        bool, typer.Option(help="Also propose redundant duplicates of records kept.")
    ] = True,
    dossier: Annotated[str | None, typer.Option(help="Propose this whole dossier (its id) instead.")] = None,
    transfer: Annotated[
        str | None, typer.Option(help="Propose the local copies an accepted transfer batch (its id) took.")
    ] = None,
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Propose a disposition batch: records past their disposal date and redundant duplicates,
    under no hold; they are then under review for destruction."""
    from archive.services.disposition import plan, render

    text = "" if note is None else note.read_text(encoding="utf-8")
    batch = _as_operator(
        api_key,
        as_json,
        lambda services, operator: plan(
            services,
            operator,
            limit=limit,
            note=text,
            duplicates=duplicates,
            dossier_id=dossier,
            transfer_id=transfer,
        ),
    )
    if batch is not None and export is not None:
        fmt = "json" if export.suffix.lower() == ".json" else "csv"
        export.write_text(render(batch, fmt), encoding="utf-8")
    if as_json:
        print_json({"batch": batch, "export": export if batch is not None else None})
    elif batch is None:
        line("nothing is due for disposition")
    else:
        line(f"proposed batch {batch.id} with {len(batch.items)} records")
        if export is not None:
            line(f"wrote {export}")


@retention_app.command("approve")
def retention_approve(
    batch_id: Annotated[str, typer.Argument(help="The proposed batch.")],
    decision: Annotated[str, typer.Option(help="Reference of the destruction decision.")],
    decided_on: Annotated[
        str | None, typer.Option(help="The decision's date, YYYY-MM-DD (default today).")
    ] = None,
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Approve a proposed batch under the destruction decision, once its council reached its quorum."""
    from datetime import date

    from archive.services.disposition import approve

    try:
        day = None if decided_on is None else date.fromisoformat(decided_on)
    except ValueError as exc:
        raise fail("VALIDATION", "decided_on: a date as YYYY-MM-DD", as_json=as_json) from exc
    _as_operator(
        api_key,
        as_json,
        lambda services, operator: approve(
            services, operator, batch_id, decision_ref=decision, decided_on=day
        ),
    )
    if as_json:
        print_json({"approved": batch_id, "decision": decision})
    else:
        line(f"batch {batch_id} approved")


@retention_app.command("run")
def retention_run(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Say what would be destroyed; change nothing.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Purge approved batches, resuming any interrupted purge; writes certificates of destruction."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from archive.factory import build_services
    from archive.services.disposition import RunReport, pending_count, run

    services = build_services(_settings())
    columns = (TextColumn("purging"), BarColumn(), MofNCompleteColumn())

    async def go(advance: Callable[[], None]) -> RunReport:
        try:
            return await run(services, dry_run=dry_run, on_item=advance)
        finally:
            await services.close()

    with Progress(*columns, console=err) as bar:
        task = bar.add_task("purge", total=pending_count(services))
        report = asyncio.run(go(lambda: bar.advance(task)))
    if as_json:
        print_json({"dry_run": dry_run, **dataclasses.asdict(report)})
        return
    verb = "would destroy" if dry_run else "destroyed"
    line(f"{verb} {len(report.destroyed)}, skipped {len(report.skipped)}, blocked {len(report.blocked)}")
    for record_id, why in report.blocked.items():
        problem(f"blocked {record_id}: {why}")
    for path in report.certificates:
        line(f"certificate: {path}")


@app.command()
def fixity(
    batch_size: Annotated[int, typer.Option(help="Objects per checkpoint.")] = 200,
    restart: Annotated[bool, typer.Option(help="Start a new run instead of resuming.")] = False,
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Re-hash every stored object; resumes an interrupted run; the result is audited."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from archive.domain.access import UNRESTRICTED
    from archive.factory import build_services
    from archive.services.fixity import run_fixity

    services = build_services(_settings())
    with Progress(TextColumn("fixity"), BarColumn(), MofNCompleteColumn(), console=err) as bar:
        task = bar.add_task("fixity", total=services.records.count(UNRESTRICTED))
        report = run_fixity(
            services,
            batch_size=batch_size,
            restart=restart,
            on_object=lambda: bar.advance(task),
            actor=_operator(services, api_key).subject,
        )
    asyncio.run(services.close())
    status = 0 if not (report.changed or report.missing) else 1
    if as_json:
        print_json(dataclasses.asdict(report))
        raise typer.Exit(status)
    line(
        f"ok {report.ok}, changed {len(report.changed)}, missing {len(report.missing)}, "
        f"unreferenced {len(report.unreferenced)}"
    )
    for label, items in (
        ("changed", report.changed),
        ("missing", report.missing),
        ("unreferenced", report.unreferenced),
    ):
        for item in items:
            problem(f"{label} {item}")
    raise typer.Exit(status)


@app.command()
def reconcile(
    delete_unreferenced: Annotated[
        bool, typer.Option(help="Delete objects no record names (never a locked one).")
    ] = False,
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Compare database, objects and index; repair the index; report object drift."""
    from archive.factory import build_services
    from archive.services.reconcile import ReconcileReport
    from archive.services.reconcile import reconcile as run

    async def go() -> ReconcileReport:
        services = build_services(_settings())
        try:
            actor = _operator(services, api_key).subject
            return await run(services, delete_unreferenced=delete_unreferenced, actor=actor)
        finally:
            await services.close()

    report = asyncio.run(go())
    if as_json:
        print_json(dataclasses.asdict(report))
        return
    for name, value in vars(report).items():
        line(f"{name.replace('_', ' ')}: {len(value)}")
        for item in value[:20]:
            line(f"  {item}")


def main() -> None:
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    app()
