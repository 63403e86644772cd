"""The intake slice of the schema: ``importEdxml``, one package from the national document
interchange (multipart upload). The resolver only parses, calls
``archive.services.intake.import_package`` and maps its outcome or its refusal."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry
from starlette.datastructures import UploadFile
from strawberry.file_uploads import Upload

from archive.api.context import Context
from archive.api.results import ForbiddenError
from archive.api.types import Record
from archive.domain import edxml as domain
from archive.domain import intake as intake_domain
from archive.domain.errors import (
    DuplicateRecord,
    FileRejected,
    Forbidden,
    MetadataInvalid,
    PackageRefused,
)
from archive.domain.records import Record as DomainRecord
from archive.services.intake import Received, import_package, intakes_of
from archive.services.search import get_record

Info = strawberry.Info[Context, None]

strawberry.enum(
    domain.BusinessType, description="What an edXML package does: NEW, REVOKE, UPDATE or REPLACE."
)
strawberry.enum(
    domain.EnvelopeSignatureState,
    description="The envelope's XML signature: ABSENT, PLACEHOLDER (proves nothing: wrong namespace, "
    "fixed digest, SHA-1), VALID, or UNTRUSTED (verifies, but not from a configured trust root).",
)
strawberry.enum(
    intake_domain.IntakeStatus,
    description="APPLIED, or PENDING_TARGET: an update or revocation waiting for the document it names.",
)


@strawberry.type(description="One agency an edXML package passed through, and when.")
class TraceHop:
    organ_id: str = strawberry.field(description="The agency's organ id (mã định danh).")
    timestamp: datetime | None = strawberry.field(description="When it passed, as the package says.")


@strawberry.type(description="What the archive took from one edXML package.")
class EdxmlIntake:
    sender_organ_id: str = strawberry.field(description="The sender's organ id (From/OrganId).")
    document_id: str = strawberry.field(description="The package's DocumentId.")
    business_type: domain.BusinessType = strawberry.field(description="What the package does.")
    status: intake_domain.IntakeStatus = strawberry.field(description="Applied, or waiting for its target.")
    target_document_id: str = strawberry.field(description="The DocumentId an update or revocation names.")
    signature: domain.EnvelopeSignatureState = strawberry.field(
        description="The envelope signature's verdict."
    )
    received_at: datetime = strawberry.field(description="When the archive first took it in.")
    trace: list[TraceHop] = strawberry.field(description="TraceHeaderList: the agencies it passed, in order.")

    @classmethod
    def from_domain(cls, intake: intake_domain.Intake) -> EdxmlIntake:
        return cls(
            sender_organ_id=intake.key.sender_organ_id,
            document_id=intake.key.document_id,
            business_type=intake.business_type,
            status=intake.status,
            target_document_id=intake.target_document_id,
            signature=intake.signature,
            received_at=intake.received_at,
            trace=[TraceHop(organ_id=h.organ_id, timestamp=h.timestamp) for h in intake.trace],
        )


@strawberry.type(description="The package was taken in (or had been: created is then false).")
class EdxmlImported:
    intake: EdxmlIntake = strawberry.field(description="The intake of this document.")
    created: bool = strawberry.field(description="False when the same document was taken in before.")
    record: Record | None = strawberry.field(
        description="The record it created or acted on, when the caller may read it."
    )


@strawberry.type(description="The package was refused; nothing of it was written.")
class EdxmlRefusedError:
    message: str = strawberry.field(description="What is wrong, naming the part.")
    code: str = strawberry.field(
        description="PACKAGE_REFUSED, VALIDATION, FILE_REJECTED, FILE_TOO_LARGE or DUPLICATE."
    )
    part: str | None = strawberry.field(description="The part at fault (e.g. MessageHeader/Subject).")


ImportEdxmlResult = Annotated[
    EdxmlImported | EdxmlRefusedError | ForbiddenError,
    strawberry.union("ImportEdxmlResult", description="The outcome of an edXML import."),
]


@strawberry.type
class IntakeMutations:
    @strawberry.mutation(
        description=(
            "Take in one edXML package (QCVN 102:2016) from the national document interchange "
            "(multipart upload). A new or replacing document becomes a record whose files are the "
            "attachments and the package itself (source); an update or revocation acts on the record "
            "it names. The same document again (sender, DocumentId, business type) is a no-op."
        )
    )
    async def import_edxml(
        self,
        info: Info,
        package: Annotated[Upload, strawberry.argument(description="The .edxml file.")],
        agency_code: Annotated[
            str | None, strawberry.argument(description="The receiving agency (default: your only agency).")
        ] = None,
    ) -> ImportEdxmlResult:
        if not isinstance(package, UploadFile):
            return EdxmlRefusedError(
                message="the package part must carry a file name", code="PACKAGE_REFUSED", part="package"
            )
        ctx = info.context
        limit = ctx.services.settings.edxml_max_package_bytes
        try:
            data = await package.read(limit + 1)
        finally:
            await package.close()
        if len(data) > limit:
            return EdxmlRefusedError(
                message=f"over the limit of {limit} bytes", code="PACKAGE_REFUSED", part="package"
            )
        received = Received(data, package.filename or "package.edxml")
        try:
            outcome = await import_package(
                ctx.services, ctx.principal, received, agency_code=agency_code, client=ctx.client.describe()
            )
        except Forbidden as exc:
            return ForbiddenError(message=exc.message, code=exc.code)
        except PackageRefused as exc:
            return EdxmlRefusedError(message=exc.message, code=exc.code, part=exc.part)
        except (MetadataInvalid, FileRejected, DuplicateRecord) as exc:
            part = exc.field if isinstance(exc, MetadataInvalid) else None
            return EdxmlRefusedError(message=exc.message, code=exc.code, part=part)
        found = await get_record(ctx.services, ctx.principal, outcome.intake.record_id)
        return EdxmlImported(
            intake=EdxmlIntake.from_domain(outcome.intake),
            created=outcome.created,
            record=None if found is None else Record.from_domain(found),
        )


async def record_intakes(info: Info, record: DomainRecord) -> list[EdxmlIntake]:
    """``Record.edxmlIntakes``: the record is one the caller could read."""
    ctx = info.context
    return [EdxmlIntake.from_domain(i) for i in await intakes_of(ctx.services, ctx.principal, record.id)]
