"""The API with one extra route for the graphql suite's baseline: ``GET /plain/{id}``,
the same record fetched the same way, as plain starlette JSON. Run by uvicorn in
the suite's server process: ``bench.graphql_app:create``."""

from __future__ import annotations

from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from archive.api.types import to_global_id
from archive.app import DEV_ADMIN, create_app
from archive.domain.records import Record
from archive.factory import build_services
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


def create() -> Starlette:
    services = build_services(Settings(), migrate=False)
    app = create_app(services=services)

    async def plain(request: Request) -> Response:
        record = await get_record(services, DEV_ADMIN, request.path_params["id"])
        if record is None:
            return JSONResponse({"data": {"record": None}})
        return JSONResponse(payload(record))

    app.add_route("/plain/{id}", plain, methods=["GET"])
    return app
