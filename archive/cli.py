"""The ``archive`` command: serve, migrate, worker, import, jobs, reindex, samples, apikey, audit."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from archive.cli_access import apikey_app, audit_app
from archive.domain.jobs import JobStatus
from archive.settings import Settings

app = typer.Typer(help="Headless GraphQL records archive.", no_args_is_help=True, add_completion=False)
jobs_app = typer.Typer(help="Inspect and requeue background jobs.", invoke_without_command=True)
app.add_typer(jobs_app, name="jobs")
app.add_typer(apikey_app, name="apikey")
app.add_typer(audit_app, name="audit")
console = Console()
err = Console(stderr=True)


def _settings() -> Settings:
    return Settings()


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(help="Web worker processes.")] = 1,
) -> None:
    """Run the GraphQL API (and, in development, an embedded background worker)."""
    import uvicorn

    settings = _settings()
    mode = "production" if settings.is_production else "development (GraphiQL on)"
    err.print(f"[bold]archive[/] {mode} on http://{host}:{port}/graphql, data in {settings.data_dir}")
    uvicorn.run(
        "archive.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
    )


@app.command()
def migrate() -> None:
    """Bring the database schema up to date (Alembic)."""
    from archive.db.engine import create_db_engine
    from archive.db.migrate import current_revision, upgrade

    settings = _settings()
    engine = create_db_engine(settings.resolved_database_url)
    upgrade(engine)
    console.print(f"database at revision [bold]{current_revision(engine)}[/]")


@app.command()
def worker(
    processes: Annotated[int, typer.Option("--processes", "-p", help="Worker processes.")] = 1,
    once: Annotated[bool, typer.Option(help="Drain the queue, then exit.")] = False,
) -> None:
    """Process deposits: seal, verify signatures, extract text / OCR, index."""
    from archive.worker_processes import run_workers

    raise typer.Exit(run_workers(_settings(), processes=processes, once=once))


@app.command("import")
def import_dir(
    directory: Annotated[Path, typer.Argument(help="Folder with the files and a manifest.")],
    manifest: Annotated[
        Path | None,
        typer.Option(help="Manifest file (default: manifest.csv or manifest.json in DIR)."),
    ] = None,
) -> None:
    """Bulk deposit from a folder. Idempotent by SHA-256: safe to re-run after an interruption."""
    from archive.importer import run_import

    summary = run_import(_settings(), directory, manifest)
    raise typer.Exit(0 if summary.failed == 0 else 1)


@jobs_app.callback()
def jobs(
    ctx: typer.Context,
    status: Annotated[JobStatus | None, typer.Option(help="Only jobs in this status.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many.")] = 50,
) -> None:
    """List the job queue (newest first)."""
    if ctx.invoked_subcommand is not None:
        return
    from archive.factory import build_services

    services = build_services(_settings())
    counts = services.jobs.counts()
    table = Table("id", "record", "status", "attempts", "steps done", "run after", "error")
    for job in services.jobs.list(status, limit):
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
    console.print(" ".join(f"{s.value}={n}" for s, n in counts.items()))


@jobs_app.command("retry")
def jobs_retry(job_id: Annotated[int, typer.Argument(help="A failed job's id.")]) -> None:
    """Requeue a failed job now, with a fresh attempt budget."""
    from archive.factory import build_services

    job = build_services(_settings()).jobs.retry(job_id)
    if job is None:
        err.print(f"[red]job {job_id} does not exist or has not failed[/]")
        raise typer.Exit(1)
    console.print(f"job {job_id} requeued")


@app.command()
def reindex() -> None:
    """Rebuild the search index from the database and swap it in atomically."""
    from archive.services.maintenance import reindex as run

    count = asyncio.run(run(_settings(), progress=True))
    console.print(f"reindexed [bold]{count}[/] records")


@app.command()
def samples(
    directory: Annotated[Path, typer.Argument(help="Where to write the files and manifest.csv.")],
    count: Annotated[int, typer.Option(help="How many documents.")] = 20,
    seed: Annotated[int, typer.Option(help="Random seed, for reproducible output.")] = 1,
) -> None:
    """Write sample Vietnamese documents and a manifest, ready for `archive import`."""
    from archive.importer import write_samples

    path = write_samples(directory, count=count, seed=seed)
    console.print(f"wrote {count} documents and {path}")


@app.command()
def schema(
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here instead of stdout.")
    ] = None,
) -> None:
    """Print the GraphQL schema (SDL); `archive schema -o schema.graphql` refreshes the checked-in copy."""
    from archive.api.schema import schema_sdl

    text = schema_sdl()
    if output is None:
        console.out(text, end="", highlight=False)
    else:
        output.write_text(text, encoding="utf-8")


def main() -> None:
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    app()
