"""``archive retention note|seat|unseat|vote|attach|council|deadlines``: destruction under
Circular 06/2025 from the command line (planning, approval and the purge are in
``archive.cli``).

Each command acts as the local operator or the ``--api-key`` given, and calls
``archive.services.destruction``; ``--json`` prints one JSON document.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from archive.cli_identity import ApiKeyOption, acting_principal
from archive.cli_output import JsonOption, fail, line, print_json
from archive.settings import Settings

if TYPE_CHECKING:
    from archive.domain.access import Principal
    from archive.services.container import Services

T = TypeVar("T")

BatchArgument = Annotated[str, typer.Argument(help="The disposition batch's id.")]


def register(retention_app: typer.Typer) -> None:
    """Add the destruction commands to ``archive retention``."""
    for name, command in (
        ("note", note),
        ("seat", seat),
        ("unseat", unseat),
        ("vote", vote),
        ("attach", attach),
        ("council", council),
        ("deadlines", deadlines),
    ):
        retention_app.command(name)(command)


def _acting(api_key: str | None, as_json: bool, act: Callable[[Services, Principal], T]) -> T:
    """Run one use case as the command's principal; an expected failure ends the command."""
    from archive.domain.errors import ArchiveError
    from archive.factory import build_services

    services = build_services(Settings())
    try:
        return act(services, acting_principal(services, api_key))
    except ArchiveError as exc:
        raise fail(exc.code, exc.message, as_json=as_json) from exc
    finally:
        asyncio.run(services.close())


def note(
    batch_id: BatchArgument,
    text: Annotated[Path, typer.Argument(help="A UTF-8 text file: the explanatory note (bản thuyết minh).")],
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Replace the explanatory note of a proposed batch."""
    from archive.services.destruction import set_note

    body = text.read_text(encoding="utf-8")
    batch = _acting(api_key, as_json, lambda s, p: set_note(s, p, batch_id, body))
    _done(as_json, {"batch": batch.id, "explanatory_note": batch.explanatory_note}, f"note of {batch.id} set")


def seat(
    batch_id: BatchArgument,
    subject: Annotated[str, typer.Argument(help="The subject the member authenticates as.")],
    name: Annotated[str, typer.Option(help="The member's full name.")],
    role: Annotated[str, typer.Option(help="Its role, e.g. 'Chủ tịch Hội đồng' or 'Ủy viên'.")],
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Seat a member on a proposed batch's appraisal council."""
    from archive.services.destruction import seat as seat_member

    batch = _acting(
        api_key, as_json, lambda s, p: seat_member(s, p, batch_id, subject=subject, name=name, role=role)
    )
    _done(as_json, {"batch": batch.id, "council": batch.council}, f"{subject} seated on {batch.id}")


def unseat(
    batch_id: BatchArgument,
    subject: Annotated[str, typer.Argument(help="The member's subject.")],
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Take a member, and its vote, off a proposed batch's council."""
    from archive.services.destruction import unseat as unseat_member

    batch = _acting(api_key, as_json, lambda s, p: unseat_member(s, p, batch_id, subject))
    _done(as_json, {"batch": batch.id, "council": batch.council}, f"{subject} unseated from {batch.id}")


def vote(
    batch_id: BatchArgument,
    choice: Annotated[str, typer.Argument(help="approve or reject.")],
    note_text: Annotated[str, typer.Option("--note", help="A note with the vote.")] = "",
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Cast or change the acting principal's vote, as a seated council member."""
    from archive.domain.council import Vote
    from archive.services.destruction import vote as cast

    if choice not in {v.value for v in Vote}:
        raise fail("VALIDATION", "vote: must be approve or reject", as_json=as_json)
    found = _acting(api_key, as_json, lambda s, p: cast(s, p, batch_id, Vote(choice), note_text))
    text = f"{found.approvals} of {found.members} approve, {found.required} needed"
    _done(as_json, {"batch": batch_id, "tally": found}, text + (": quorum reached" if found.reached else ""))


def attach(
    batch_id: BatchArgument,
    kind: Annotated[str, typer.Argument(help="council_minutes, decision or destruction_minutes.")],
    file: Annotated[Path, typer.Argument(help="The signed paper (PDF, PNG, JPEG or TIFF).")],
    agency: Annotated[str, typer.Option(help="The agency it is a record of (one of the batch's).")],
    number: Annotated[str, typer.Option(help="Số, e.g. 12.")],
    notation: Annotated[str, typer.Option(help="Ký hiệu, e.g. BB-HĐXĐGTTL.")],
    issued: Annotated[str, typer.Option(help="Ngày ban hành, YYYY-MM-DD.")],
    subject: Annotated[str, typer.Option(help="Trích yếu.")],
    signer: Annotated[str, typer.Option(help="Who signed it.")],
    signer_position: Annotated[str, typer.Option(help="The signer's position.")],
    agency_name: Annotated[str, typer.Option(help="The agency's full name.")] = "",
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Deposit a paper of the batch as a record of the agency and link it to the batch."""
    from archive.domain.disposition import PaperKind
    from archive.domain.records import Direction, RecordMetadata
    from archive.services.destruction import attach_paper

    if kind not in {k.value for k in PaperKind}:
        raise fail("VALIDATION", "kind: council_minutes, decision or destruction_minutes", as_json=as_json)
    try:
        issued_on = date.fromisoformat(issued)
    except ValueError as exc:
        raise fail("VALIDATION", "issued: a date as YYYY-MM-DD", as_json=as_json) from exc
    paper = PaperKind(kind)
    metadata = RecordMetadata(
        document_type=paper.document_type,
        number=number,
        notation=notation,
        issuing_agency_code=agency,
        issuing_agency_name=agency_name or agency,
        issue_date=issued_on,
        subject=subject,
        signer_name=signer,
        signer_position=signer_position,
        direction=Direction.OUTGOING,
    )

    def act(services: Services, principal: Principal) -> Any:
        with file.open("rb") as source:
            return attach_paper(
                services,
                principal,
                batch_id,
                paper,
                source,
                filename=file.name,
                metadata=metadata,
                agency_code=agency,
            )

    batch, record = _acting(api_key, as_json, act)
    _done(
        as_json, {"batch": batch.id, "kind": kind, "record": record.id}, f"{kind} kept as record {record.id}"
    )


def council(api_key: ApiKeyOption = None, as_json: JsonOption = False) -> None:
    """List the proposed batches on whose council the acting principal sits and may vote."""
    from archive.services.destruction import council_batches

    found = _acting(api_key, as_json, council_batches)
    if as_json:
        print_json({"batches": found})
        return
    for batch in found:
        line(f"{batch.id}  {len(batch.items)} records  planned by {batch.planned_by}")


def deadlines(
    overdue: Annotated[bool, typer.Option("--overdue", help="Only the overdue batches.")] = False,
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Decided batches against the 15 days from the destruction decision to the destruction
    minutes (Circular 06/2025); exits 2 when one is overdue, so a cron job can alert."""
    from archive.services.destruction import deadlines as report

    found = _acting(api_key, as_json, lambda s, p: report(s, p, overdue_only=overdue))
    late = [d.batch_id for d in found if d.overdue]
    if as_json:
        print_json({"deadlines": found, "overdue": late})
    else:
        for d in found:
            state = "OVERDUE" if d.overdue else ("done" if d.minutes_on else f"{d.days_left} days left")
            line(f"{d.batch_id}  decided {d.decided_on}  due {d.due}  {state}")
    if late:
        raise typer.Exit(2)


def _done(as_json: bool, document: dict[str, Any], text: str) -> None:
    if as_json:
        print_json(document)
    else:
        line(text)
