"""The API with extra routes for the graphql suite. ``GET /plain/{id}`` is the
baseline: the same record fetched the same way, the same audit entry appended
when it is not public (as ``record(id)`` does), answered as plain starlette JSON.
``PUT /bench/audit-batch/{n}`` sets the audit log's group-commit batch limit (1:
one append per transaction, as before group commit), and ``GET /bench/audit-stats``
tells how many entries each commit carried. Run by uvicorn in the suite's server
process: ``bench.graphql_app:create``."""

from __future__ import annotations

from typing import Any, cast

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from archive.api.types import to_global_id
from archive.app import DEV_ADMIN, create_app
from archive.db.audit import SqlAuditLog
from archive.domain.records import Record
from archive.factory import build_services
from archive.services.audit import ClientInfo, audit
from archive.services.search import get_record
from archive.settings import Settings

RECORD_QUERY = """query($id: ID!) { record(id: $id) {
  id documentNumber documentType subject issueDate issuePlace
  issuingAgency { code name } signer { name position }
  urgency classification direction pageCount isPublic textStatus } }"""


def payload(record: Record) -> dict[str, Any]:
    """What ``RECORD_QUERY`` answers, built by hand."""
    m = record.metadata
    return {
        "data": {
            "record": {
                "id": to_global_id("Record", record.id),
                "documentNumber": m.document_number,
                "documentType": m.document_type,
                "subject": m.subject,
                "issueDate": m.issue_date.isoformat(),
                "issuePlace": m.issue_place,
                "issuingAgency": {"code": m.issuing_agency_code, "name": m.issuing_agency_name},
                "signer": {"name": m.signer_name, "position": m.signer_position},
                "urgency": m.urgency.name,
                "classification": m.classification.name,
                "direction": m.direction.name,
                "pageCount": m.page_count,
                "isPublic": m.is_public,
                "textStatus": record.text_status.name,
            }
        }
    }


def create(settings: Settings | None = None) -> Starlette:
    """The app with the bench routes; uvicorn calls it with none (the settings come from
    the environment), the suite's in-process profile with its own."""
    services = build_services(settings or Settings(), migrate=False)
    app = create_app(services=services)

    async def plain(request: Request) -> Response:
        record = await get_record(services, DEV_ADMIN, request.path_params["id"])
        if record is None:
            return JSONResponse({"data": {"record": None}})
        if not record.metadata.is_public:
            client = ClientInfo(
                request.client.host if request.client else "", request.headers.get("user-agent", "")
            )
            await audit(services, DEV_ADMIN, client, "record.read", record.id)
        return JSONResponse(payload(record))

    group = cast(SqlAuditLog, services.audit).group_commit

    async def audit_batch(request: Request) -> Response:
        group.max_batch = int(request.path_params["n"])
        return JSONResponse({"max_batch": group.max_batch})

    async def audit_stats(request: Request) -> Response:
        return JSONResponse({"batches": group.batches, "entries": group.items})

    app.add_route("/plain/{id}", plain, methods=["GET"])
    app.add_route("/bench/audit-batch/{n:int}", audit_batch, methods=["PUT"])
    app.add_route("/bench/audit-stats", audit_stats, methods=["GET"])
    return app
