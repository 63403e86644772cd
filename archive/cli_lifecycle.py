"""``archive record correct|relate|revoke|history``: corrections, relations, revocation.

Each command parses, calls ``archive.services.corrections`` or ``archive.services.relations``
as the acting principal (the local operator, or ``--api-key``'s) and prints text or, with
``--json``, one document. ``--set field=value`` takes the metadata fields by their domain
names (``subject``, ``issue_date``, ``classification``...); see ``archive record correct --help``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from datetime import date
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from archive.cli_identity import ApiKeyOption, acting_principal
from archive.cli_output import JsonOption, fail, line, print_json
from archive.domain.errors import ArchiveError, MetadataInvalid
from archive.settings import Settings

if TYPE_CHECKING:
    from archive.domain.access import Principal
    from archive.domain.relations import ExternalReference, Relation
    from archive.services.container import Services

T = TypeVar("T")

record_app = typer.Typer(help="Correct, relate and revoke records.", no_args_is_help=True)

_DATES = {"issue_date", "arrival_date", "due_date"}
_INTS = {"page_count", "issued_amount"}
_BOOLS = {"is_public", "process"}
_NULLABLE = {"arrival_number", "arrival_date", "due_date", "page_count", "issued_amount", "mode", "type_name"}
_NULLABLE |= {"physical_format"}
_ALIASES = {"language": "languages", "format": "physical_format"}


def register(app: typer.Typer) -> None:
    """Add ``record`` to the main CLI."""
    app.add_typer(record_app, name="record")


def _run(
    api_key: str | None, as_json: bool, work: Callable[[Services, Principal], Coroutine[Any, Any, T]]
) -> T:
    """Run ``work(services, principal)``; an expected failure ends the command with its code.
    The services are built, used and closed in one event loop: the search client is bound
    to the loop it first ran in."""
    from archive.factory import build_services

    async def go() -> T:
        services = await asyncio.to_thread(build_services, Settings())
        try:
            principal = await asyncio.to_thread(acting_principal, services, api_key)
            return await work(services, principal)
        finally:
            await services.close()

    try:
        return asyncio.run(go())
    except ArchiveError as exc:
        raise fail(exc.code, exc.message, as_json=as_json) from exc


def parse_value(name: str, text: str) -> object:
    """The typed value of ``--set name=text``; MetadataInvalid naming the field when it does not parse."""
    from archive.domain.records import Classification, Direction, Urgency

    if name in _NULLABLE and text == "":
        return None
    try:
        if name in _DATES:
            return date.fromisoformat(text)
        if name in _INTS:
            return int(text)
        if name in _BOOLS:
            return {"true": True, "false": False}[text.lower()]
        if name == "classification":
            return Classification[text.upper()]
        if name == "urgency":
            return next(u for u in Urgency if text in (u.name, u.value))
        if name == "direction":
            return Direction(text.lower())
    except (ValueError, KeyError, StopIteration) as exc:
        raise MetadataInvalid(name, f"cannot read {text!r}") from exc
    if name == "recipients":
        return tuple(part.strip() for part in text.split(";") if part.strip())
    if name == "languages":
        return tuple(part.strip() for part in text.split(",") if part.strip())
    return text


def parse_changes(assignments: list[str]) -> dict[str, object]:
    """``field=value`` pairs as the changes a correction takes."""
    changes: dict[str, object] = {}
    for assignment in assignments:
        name, sep, text = assignment.partition("=")
        if not sep or not name.strip():
            raise MetadataInvalid("set", f"{assignment!r} is not field=value")
        field = _ALIASES.get(name.strip(), name.strip())
        changes[field] = parse_value(field, text)
    return changes


def _reference(issuer: str | None, number: str | None, issued: str | None) -> ExternalReference | None:
    from archive.domain.relations import ExternalReference

    if issuer is None and number is None:
        if issued is not None:
            raise MetadataInvalid("reference", "a date alone names no document: give --issuer and --number")
        return None
    if issuer is None or number is None:
        raise MetadataInvalid("reference", "give both --issuer and --number")
    try:
        day = None if issued is None else date.fromisoformat(issued)
    except ValueError as exc:
        raise MetadataInvalid("reference.date", f"cannot read {issued!r}") from exc
    return ExternalReference(issuer, number, day)


def _relation_json(relation: Relation) -> dict[str, object]:
    ref = relation.reference
    return {
        "id": relation.id,
        "record_id": relation.record_id,
        "type": relation.kind.value,
        "target_id": relation.target_id,
        "pending": relation.pending,
        "reference": None
        if ref is None
        else {"issuer": ref.issuer_code, "number": ref.document_number, "date": ref.issue_date},
        "created_at": relation.created_at,
    }


@record_app.command("correct")
def correct(
    record_id: Annotated[str, typer.Argument(help="The record's id (UUID).")],
    assignments: Annotated[
        list[str],
        typer.Option(
            "--set", help="field=value, repeatable: subject=..., issue_date=2025-03-01, classification=SECRET"
        ),
    ],
    reason: Annotated[str, typer.Option(help="Why the metadata is corrected (required).")],
    expected_version: Annotated[
        int | None, typer.Option(help="The metadata version the correction was made against.")
    ] = None,
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Correct a record's metadata: a new version with who, when and why; nothing overwritten."""
    from archive.services import corrections

    async def work(services: Services, principal: Principal) -> Any:
        changes = parse_changes(assignments)
        return await corrections.correct(
            services, principal, record_id, changes, reason=reason, expected_version=expected_version
        )

    record = _run(api_key, as_json, work)
    if as_json:
        print_json({"record_id": record.id, "metadata_version": record.metadata_version})
    else:
        line(f"record {record.id} corrected: metadata version {record.metadata_version}")


@record_app.command("history")
def history(
    record_id: Annotated[str, typer.Argument(help="The record's id (UUID).")],
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """A record's metadata versions, oldest first, with what each changed."""
    from archive.domain.errors import NotFound
    from archive.services import corrections

    async def work(services: Services, principal: Principal) -> Any:
        found = await corrections.history(services, principal, record_id)
        if not found:
            raise NotFound("no such record")
        return found

    versions = _run(api_key, as_json, work)
    if as_json:
        print_json(
            {
                "versions": [
                    {
                        "version": v.version,
                        "at": v.at,
                        "actor": v.actor,
                        "reason": v.reason,
                        "changes": list(c),
                    }
                    for v, c in versions
                ]
            }
        )
        return
    for version, changes in versions:
        line(f"{version.version}  {version.at.isoformat()}  {version.actor or '-'}  {version.reason}")
        for change in changes:
            line(f"    {change.field}: {change.before!r} -> {change.after!r}")


@record_app.command("relate")
def relate(
    record_id: Annotated[str, typer.Argument(help="The record that declares the relation (UUID).")],
    kind: Annotated[
        str,
        typer.Option(
            "--type",
            help="replaces, replaced_by, revokes, revoked_by, amends, amended_by, responds_to, responded_by.",
        ),
    ],
    target: Annotated[str | None, typer.Option(help="The related record (UUID).")] = None,
    issuer: Annotated[str | None, typer.Option(help="Reference: issuing agency code.")] = None,
    number: Annotated[str | None, typer.Option(help="Reference: number/notation, e.g. 12/QĐ-UBND.")] = None,
    issued: Annotated[str | None, typer.Option("--date", help="Reference: issue date, YYYY-MM-DD.")] = None,
    note: Annotated[str, typer.Option(help="Why, or the decision it follows.")] = "",
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Relate a record to another record, or to a document by reference (linked when it arrives)."""
    from archive.domain.relations import RelationKind
    from archive.services import relations

    async def work(services: Services, principal: Principal) -> Relation:
        try:
            parsed = RelationKind(kind.lower().replace("-", "_"))
        except ValueError as exc:
            raise MetadataInvalid("type", f"{kind!r} is not a relation type") from exc
        reference = _reference(issuer, number, issued)
        return await relations.relate(
            services, principal, record_id, parsed, target_id=target, reference=reference, note=note
        )

    _print_relation(_run(api_key, as_json, work), as_json)


@record_app.command("revoke")
def revoke(
    record_id: Annotated[str, typer.Argument(help="The revoked record (UUID).")],
    by: Annotated[str | None, typer.Option(help="The revoking record (UUID).")] = None,
    issuer: Annotated[str | None, typer.Option(help="The revoking document's issuing agency code.")] = None,
    number: Annotated[str | None, typer.Option(help="The revoking document's number/notation.")] = None,
    issued: Annotated[str | None, typer.Option("--date", help="The revoking document's date.")] = None,
    note: Annotated[str, typer.Option(help="Why (required when no revoking document is named).")] = "",
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Revoke a record: it leaves default search results and stays retrievable by id."""
    from archive.services import relations

    async def work(services: Services, principal: Principal) -> Relation:
        reference = _reference(issuer, number, issued)
        return await relations.revoke(
            services, principal, record_id, by_record_id=by, by_reference=reference, note=note
        )

    _print_relation(_run(api_key, as_json, work), as_json)


def _print_relation(relation: Relation, as_json: bool) -> None:
    if as_json:
        print_json({"relation": _relation_json(relation)})
        return
    other = relation.target_id or (relation.reference and relation.reference.document_number) or "-"
    state = (
        " (pending: linked when the document is deposited)" if relation.pending and relation.reference else ""
    )
    line(f"{relation.record_id} {relation.kind.value} {other}{state}")
