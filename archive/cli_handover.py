"""``archive transfer batch ...``: the handover to the historical archive, and ``archive
transfer due`` (dossiers near or past their transfer deadline).

Each command parses, calls ``archive.services.transfer`` as the acting principal (the local
operator, or ``--api-key``'s) and prints text or, with ``--json``, one document.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from archive.cli_identity import ApiKeyOption, cli_services
from archive.cli_output import JsonOption, fail, line, print_json
from archive.domain.errors import ArchiveError
from archive.domain.transfer import RECEIPT_MAX_BYTES, TransferBatch
from archive.settings import Settings

T = TypeVar("T")

transfer_app = typer.Typer(
    help="Transfer to the historical archive (Circular 05/2025).", no_args_is_help=True
)
batch_app = typer.Typer(help="Transfer batches: prepare, send, accept, refuse.", no_args_is_help=True)
transfer_app.add_typer(batch_app, name="batch")


def register(app: typer.Typer) -> None:
    """Add ``batch`` and ``due`` under ``archive transfer``, sharing the group with whichever
    other module (the packages' export and import) registered it first."""
    for group in app.registered_groups:
        if group.name == "transfer" and group.typer_instance is not None:
            group.typer_instance.add_typer(batch_app, name="batch")
            group.typer_instance.command("due")(due)
            return
    app.add_typer(transfer_app, name="transfer")


def _run(api_key: str | None, as_json: bool, work: Callable[..., T]) -> T:
    with cli_services(Settings(), api_key=api_key) as (services, principal):
        try:
            return work(services, principal)
        except ArchiveError as exc:
            raise fail(exc.code, exc.message, as_json=as_json) from exc


@batch_app.command("prepare")
def prepare(
    archive_name: Annotated[str, typer.Option("--archive", help="The receiving historical archive.")],
    dossier: Annotated[list[str] | None, typer.Option(help="A dossier id (repeat).")] = None,
    fonds: Annotated[str | None, typer.Option(help="A fonds id, with --code or --year.")] = None,
    code: Annotated[list[str] | None, typer.Option(help="A file code in that fonds (repeat).")] = None,
    year: Annotated[
        int | None, typer.Option(help="Every permanent dossier of the fonds formed this year.")
    ] = None,
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Prepare a batch of permanent dossiers and build their packages; name those that cannot go."""
    from archive.services import transfer

    selection = transfer.Selection(tuple(dossier or ()), fonds, tuple(code or ()), year)
    done = _run(api_key, as_json, lambda s, p: transfer.prepare(s, p, selection, archive_name=archive_name))
    refused = [dataclasses.asdict(u) for u in done.refused]
    if as_json:
        print_json({"batch": None if done.batch is None else _batch(done.batch), "refused": refused})
    else:
        if done.batch is not None:
            line(f"batch {done.batch.id} prepared: {len(done.batch.items)} dossiers")
        for u in done.refused:
            line(f"refused {u.file_code}: {u.reason}")
    if done.batch is None:
        raise typer.Exit(1)


@batch_app.command("send")
def send(
    batch_id: Annotated[str, typer.Argument(help="The batch's id.")],
    reference: Annotated[str, typer.Option(help="The receiving archive's reference.")] = "",
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Record that a prepared batch was handed to the receiving archive."""
    from archive.services import transfer

    _show(_run(api_key, as_json, lambda s, p: transfer.send(s, p, batch_id, reference=reference)), as_json)


@batch_app.command("accept")
def accept(
    batch_id: Annotated[str, typer.Argument(help="The batch's id.")],
    receipt_ref: Annotated[str, typer.Option("--receipt-ref", help="The receipt's reference.")] = "",
    receipt: Annotated[
        Path | None, typer.Option(help="The acknowledgement file, kept under a legal hold.", dir_okay=False)
    ] = None,
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Record the receiving archive's acceptance: the dossiers become transferred."""
    from archive.services import transfer

    content = None if receipt is None else _read(receipt, as_json)
    accepted = _run(
        api_key,
        as_json,
        lambda s, p: transfer.accept(s, p, batch_id, receipt_ref=receipt_ref, receipt=content),
    )
    _show(accepted, as_json)


@batch_app.command("refuse")
def refuse(
    batch_id: Annotated[str, typer.Argument(help="The batch's id.")],
    reason: Annotated[str, typer.Option(help="Why the receiving archive refused it.")],
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Record that the receiving archive refused a sent batch: its dossiers stay here."""
    from archive.services import transfer

    _show(_run(api_key, as_json, lambda s, p: transfer.refuse(s, p, batch_id, reason=reason)), as_json)


@batch_app.command("list")
def listing(api_key: ApiKeyOption = None, as_json: JsonOption = False) -> None:
    """The batches you may manage whole, newest first."""
    from archive.services import transfer

    found = _run(api_key, as_json, transfer.listing)
    if as_json:
        print_json({"batches": [_batch(b) for b in found]})
        return
    for b in found:  # one line each, whole: scripts and people copy the ids
        when = b.prepared_at.isoformat()
        line(f"{b.id}  {b.status.value}  {len(b.items)} dossiers  {when}  {b.archive_name}")


@batch_app.command("show")
def show(
    batch_id: Annotated[str, typer.Argument(help="The batch's id.")],
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """One batch, its dossiers and packages."""
    from archive.services import transfer

    _show(_run(api_key, as_json, lambda s, p: transfer.get(s, p, batch_id)), as_json)


@batch_app.command("minutes")
def minutes(
    batch_id: Annotated[str, typer.Argument(help="The batch's id.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Where to write the PDF.", dir_okay=False)],
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Write the handover minutes (biên bản giao nhận tài liệu) as a PDF."""
    from archive.services import transfer

    _, content = _run(api_key, as_json, lambda s, p: transfer.minutes(s, p, batch_id))
    output.write_bytes(content)
    if as_json:
        print_json({"minutes": str(output), "bytes": len(content)})
    else:
        line(f"minutes written to {output} ({len(content)} bytes)")


@transfer_app.command("due")
def due(
    within_days: Annotated[int, typer.Option(help="Days ahead to look (0 to 3660).")] = 30,
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Permanent dossiers you may read whose transfer deadline is near or past."""
    from archive.services import transfer

    found = _run(api_key, as_json, lambda s, p: transfer.due(s, p, within_days=within_days))
    rows = [
        {
            "dossier_id": d.dossier.id,
            "file_code": d.dossier.file_code,
            "deadline": d.deadline,
            "overdue": d.overdue,
        }
        for d in found
    ]
    if as_json:
        print_json({"due": rows})
        return
    for row in rows:
        late = " OVERDUE" if row["overdue"] else ""
        line(f"{row['deadline']}  {row['file_code']}  {row['id']}{late}")


def _read(path: Path, as_json: bool) -> bytes:
    try:
        if path.stat().st_size > RECEIPT_MAX_BYTES:
            raise fail("VALIDATION", f"receipt: at most {RECEIPT_MAX_BYTES} bytes", as_json=as_json)
        return path.read_bytes()
    except OSError as exc:
        raise fail("VALIDATION", f"receipt: cannot read {path}: {exc.strerror}", as_json=as_json) from exc


def _show(batch: TransferBatch, as_json: bool) -> None:
    if as_json:
        print_json({"batch": _batch(batch)})
        return
    dossiers, documents, pages, size = batch.totals
    line(f"batch {batch.id}: {batch.status.value}, to {batch.archive_name}")
    line(f"{dossiers} dossiers, {documents} documents, {pages} pages, {size} bytes")
    for item in batch.items:
        line(f"  {item.file_code}  {item.package.name}  {item.package.sha256}")


def _batch(b: TransferBatch) -> dict[str, Any]:
    found = dataclasses.asdict(b)
    found["status"] = b.status.value
    return found
