"""The GraphQL slice for transfer packages (Circular 05/2025/TT-BNV, E-ARK CSIP).

``exportTransferPackage`` writes a dossier's SIP_hoso on the server and answers with
its identity, size and SHA-256 and a short-lived download path
(``GET /exports/packages/{token}``). It only parses, calls
``archive.services.packages`` and maps: the checks (who may export, documents
still processing) and the audit (``package.export``) are the service's.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Annotated

import strawberry

from archive.api.archival import raw_id
from archive.api.context import Context
from archive.domain.errors import MetadataInvalid
from archive.domain.packages import RecordStatus
from archive.services import packages

Info = strawberry.Info[Context, None]

DOWNLOAD_PATH = "/exports/packages/"


@strawberry.type(description="A transfer package written on the server, ready to download once.")
class TransferPackage:
    objid: str = strawberry.field(description="The package id (METS OBJID): 'uuid-' and an upper-case UUID.")
    kind: str = strawberry.field(description="SIP_hoso, SIP_tailieu, AIP_hoso, AIP_tailieu or DIP.")
    file_code: str | None = strawberry.field(description="The dossier's fileCode (SIP_hoso).")
    record_ids: list[str] = strawberry.field(description="The records it carries, in order.")
    size: float = strawberry.field(description="Size of the zip in bytes.")
    sha256: str = strawberry.field(description="SHA-256 of the zip, lower-case hex.")
    download_path: str = strawberry.field(
        description="GET this path on the archive (no credentials needed) until expiresAt."
    )
    expires_at: datetime = strawberry.field(description="When the download path stops working.")


@strawberry.type
class TransferMutations:
    @strawberry.mutation(
        description=(
            "Write a dossier's transfer package (SIP_hoso, Circular 05/2025 / E-ARK CSIP 2.0.4) with "
            "the original bytes. Records managers of its agency managing every document in it, and "
            "admins; refused with the ids of documents still being processed. Audited as package.export."
        )
    )
    async def export_transfer_package(
        self,
        info: Info,
        dossier_id: Annotated[str, strawberry.argument(description="Relay id or UUID of the dossier.")],
        record_status: Annotated[
            str,
            strawberry.argument(description="METS RECORDSTATUS: NEW, SUPPLEMENT, REPLACEMENT, TEST, OTHER."),
        ] = "NEW",
    ) -> TransferPackage:
        ctx = info.context
        prepared = await asyncio.to_thread(
            packages.prepare_download,
            ctx.services,
            ctx.principal,
            raw_id(dossier_id, "Dossier"),
            record_status=_status(record_status),
        )
        written = prepared.exported.written
        return TransferPackage(
            objid=written.objid,
            kind=written.kind.value,
            file_code=prepared.exported.file_code,
            record_ids=list(written.record_ids),
            size=float(written.zip_size),
            sha256=written.zip_sha256,
            download_path=f"{DOWNLOAD_PATH}{prepared.token}",
            expires_at=prepared.expires_at,
        )


def _status(value: str) -> RecordStatus:
    try:
        return RecordStatus(value.strip().upper())
    except ValueError:
        allowed = ", ".join(s.value for s in RecordStatus)
        raise MetadataInvalid("record_status", f"{value[:20]!r} is not one of {allowed}") from None
