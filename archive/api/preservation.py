"""GraphQL slice of the archive's own preservation packages (AIP with PREMIS 3.0).

``exportPreservationPackage`` writes an AIP on the server and answers like
``exportTransferPackage``: identity, size, SHA-256 and a short-lived download path.
Resolvers parse, call ``archive.services.aip`` and map.
"""

from __future__ import annotations

from typing import Annotated

import strawberry

from archive.api.archival import raw_id
from archive.api.context import Context
from archive.api.transfer import TransferPackage
from archive.domain.errors import MetadataInvalid
from archive.services import aip

Info = strawberry.Info[Context, None]


@strawberry.type
class PreservationMutations:
    @strawberry.mutation(
        description=(
            "Write an AIP (AIP_hoso of a dossier, or AIP_tailieu of loose documents of one agency): the "
            "transfer layout plus PREMIS 3.0 with PRONOM formats, signature findings and events from the "
            "audit chain. Archivists and admins who may read every document; audited as package.export."
        )
    )
    async def export_preservation_package(
        self,
        info: Info,
        dossier_id: Annotated[
            str | None, strawberry.argument(description="Relay id or UUID of the dossier (AIP_hoso).")
        ] = None,
        record_ids: Annotated[
            list[str] | None, strawberry.argument(description="Loose documents (AIP_tailieu), at most 200.")
        ] = None,
        title: Annotated[str, strawberry.argument(description="The AIP_tailieu's title.")] = "Tài liệu lẻ",
    ) -> TransferPackage:
        ctx = info.context
        if (dossier_id is None) == (not record_ids):
            raise MetadataInvalid("dossierId", "give a dossier, or record ids, not both")
        if record_ids and len(record_ids) > 200:
            raise MetadataInvalid("recordIds", "at most 200 documents")
        prepared = await aip.prepare_download(
            ctx.services,
            ctx.principal,
            ctx.client,
            dossier_id=None if dossier_id is None else raw_id(dossier_id, "Dossier"),
            record_ids=tuple(record_ids or ()),
            title=title,
        )
        return TransferPackage.from_prepared(prepared)
