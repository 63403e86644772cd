"""``archive dip``: readers' requests for copies and the use packages (DIP) made for them.

``request`` files a request as the acting principal, ``approve`` and ``refuse`` decide it
(an archivist or admin other than the reader), ``list`` shows what the caller may see,
``export`` writes the DIP of an approved request. Every rule is in
``archive.domain.access``; every step is audited by the service.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from archive.cli_identity import ApiKeyOption
from archive.cli_output import JsonOption, fail, line, print_json
from archive.settings import Settings

if TYPE_CHECKING:
    from archive.domain.access import Principal
    from archive.domain.access_requests import AccessRequest
    from archive.services.audit import ClientInfo
    from archive.services.container import Services

T = TypeVar("T")
Call = Callable[["Services", "Principal", "ClientInfo"], Coroutine[Any, Any, T]]

dip_app = typer.Typer(
    help="Readers' requests and use packages (DIP, Circular 05/2025).", no_args_is_help=True
)
RequestId = Annotated[str, typer.Argument(help="The request's id.")]


@dip_app.command("request")
def request(
    record_ids: Annotated[list[str], typer.Argument(help="The documents asked for (record ids).")],
    code: Annotated[str, typer.Option("--code", help="The request's own number (số phiếu).")],
    reader_name: Annotated[str, typer.Option("--reader-name", help="The reader's full name.")],
    topic: Annotated[str, typer.Option("--topic", help="The research topic.")],
    purpose: Annotated[str, typer.Option("--purpose", help="Code list access_purpose: 01-04.")] = "01",
    on: Annotated[str, typer.Option("--date", help="The request's date (YYYY-MM-DD); default today.")] = "",
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """File a request for copies, as the acting principal."""
    from archive.domain.access_requests import RequestForm
    from archive.domain.errors import MetadataInvalid
    from archive.services import access_requests

    try:
        when = date.fromisoformat(on) if on else date.today()
    except ValueError:
        raise fail(MetadataInvalid.code, "date: use YYYY-MM-DD", as_json=as_json) from None
    form = RequestForm(code, when, purpose, topic, reader_name, tuple(record_ids))
    _show(_run(lambda s, p, c: access_requests.submit(s, p, c, form), api_key, as_json), as_json)


@dip_app.command("approve")
def approve(
    request_id: RequestId,
    note: Annotated[str, typer.Option("--note", help="The decision's note.")] = "",
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Approve a pending request (an archivist or admin other than its reader)."""
    from archive.services import access_requests

    decided = _run(
        lambda s, p, c: access_requests.decide(s, p, c, request_id, approve=True, note=note), api_key, as_json
    )
    _show(decided, as_json)


@dip_app.command("refuse")
def refuse(
    request_id: RequestId,
    note: Annotated[str, typer.Option("--note", help="Why.")] = "",
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Refuse a pending request."""
    from archive.services import access_requests

    decided = _run(
        lambda s, p, c: access_requests.decide(s, p, c, request_id, approve=False, note=note),
        api_key,
        as_json,
    )
    _show(decided, as_json)


@dip_app.command("export")
def export(
    request_id: RequestId,
    output: Annotated[Path, typer.Option("--output", "-o", help="Directory the package goes to.")] = Path(
        "."
    ),
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Write the DIP (``{OBJID}.zip``) of an approved request."""
    from archive.services import dip

    exported = _run(lambda s, p, c: dip.export(s, p, c, request_id, output), api_key, as_json)
    row = {
        "objid": exported.written.objid,
        "file": str(exported.path),
        "bytes": exported.written.zip_size,
        "sha256": exported.written.zip_sha256,
        "documents": list(exported.written.record_ids),
    }
    if as_json:
        print_json(row)
    else:
        count = len(exported.written.record_ids)
        line(f"DIP {row['objid']}: {row['file']} ({count} documents, sha256 {row['sha256']})")


@dip_app.command("list")
def listed(
    first: Annotated[int, typer.Option("--first", help="At most this many, newest first.")] = 20,
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """The requests the acting principal may see (its own; every one for archivists, admins)."""
    from archive.services import access_requests

    found = _run(lambda s, p, c: access_requests.listed(s, p, first=first), api_key, as_json)
    if as_json:
        print_json({"requests": [_row(r) for r in found]})
        return
    for item in found:
        _show(item, as_json=False)


def _run(call: Call[T], api_key: str | None, as_json: bool) -> T:
    """Run one service call as the CLI's recorded principal; an ArchiveError exits with its code."""
    from archive.cli_identity import cli_services
    from archive.domain.errors import ArchiveError
    from archive.services.audit import ClientInfo

    try:
        with cli_services(Settings(), api_key=api_key) as (services, principal):
            return asyncio.run(call(services, principal, ClientInfo(user_agent="archive-cli")))
    except ArchiveError as exc:
        raise fail(exc.code, exc.message, as_json=as_json) from exc


def _show(found: AccessRequest, as_json: bool) -> None:
    row = _row(found)
    if as_json:
        print_json(row)
    else:
        count = len(found.form.record_ids)
        line(f"{row['id']} {row['code']} {row['status']} ({count} documents) by {row['reader']}")


def _row(found: AccessRequest) -> dict[str, object]:
    form = found.form
    return {
        "id": found.id,
        "code": form.code,
        "requestedOn": form.requested_on.isoformat(),
        "purpose": form.purpose,
        "topic": form.topic,
        "reader": found.reader,
        "readerName": form.reader_name,
        "recordIds": list(form.record_ids),
        "status": found.status.value,
        "decidedBy": found.decided_by,
    }
