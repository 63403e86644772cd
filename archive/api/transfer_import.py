"""GraphQL for transfer packages received from other systems: ``importTransferPackage``.

The resolver parses and maps; ``archive.services.package_import`` checks the package,
applies ``can_import_package``, imports and audits.
"""

from __future__ import annotations

import asyncio
from typing import Annotated

import strawberry
from starlette.datastructures import UploadFile
from strawberry.file_uploads import Upload

from archive.api.archival import Dossier
from archive.api.context import Context
from archive.api.records import FileRejectedError
from archive.api.results import ForbiddenError
from archive.domain import package_checks
from archive.domain.errors import ArchiveError, FileRejected, Forbidden
from archive.domain.package_checks import PackageInvalid
from archive.services import archival
from archive.services.package_import import ImportResult, import_uploaded_package

Info = strawberry.Info[Context, None]


@strawberry.type(description="One failed check of a transfer package.")
class PackageCheckFailure:
    check: str = strawberry.field(
        description="The rule: zip, zip_limit, path, layout, xml, profile, reference, size, checksum, "
        "schema or metadata."
    )
    part: str = strawberry.field(description="Where: an entry path, or a file and a METS element or field.")
    problem: str = strawberry.field(description="What is wrong with it.")

    @classmethod
    def from_domain(cls, failure: package_checks.Failure) -> PackageCheckFailure:
        return cls(check=failure.check, part=failure.part, problem=failure.problem)


@strawberry.type(description="The package was refused whole, and nothing of it was stored.")
class PackageRefusedError:
    message: str = strawberry.field(description="The first failure, and how many more there are.")
    code: str = strawberry.field(
        description="PACKAGE_INVALID, or the code of what refused it (DUPLICATE...)."
    )
    failures: list[PackageCheckFailure] = strawberry.field(description="Every failed check.")


@strawberry.type(description="The package's dossier and documents are in the archive.")
class ImportPackageSuccess:
    objid: str = strawberry.field(description="The package's OBJID (uuid- and an upper-case UUID).")
    record_ids: list[str] = strawberry.field(description="The dossier's documents, in order.")
    created: bool = strawberry.field(
        description="False when this dossier was already imported with these documents: nothing changed."
    )
    dossier: Dossier | None = strawberry.field(description="The dossier, when the caller may read it.")


ImportPackageResult = Annotated[
    ImportPackageSuccess | PackageRefusedError | ForbiddenError | FileRejectedError,
    strawberry.union("ImportPackageResult", description="The outcome of importing a transfer package."),
]


@strawberry.type
class TransferImportMutations:
    @strawberry.mutation(
        description=(
            "Import a transfer package (TT05 SIP_hoso zip, multipart upload) received from another "
            "system: every check first, then its fonds, dossier and documents; re-importing changes nothing."
        )
    )
    async def import_transfer_package(
        self,
        info: Info,
        package: Annotated[Upload, strawberry.argument(description="The package zip.")],
    ) -> ImportPackageResult:
        ctx = info.context
        if not isinstance(package, UploadFile):
            return FileRejectedError(
                message="the package part must carry a file name", code=FileRejected.code
            )
        try:
            result = await asyncio.to_thread(
                import_uploaded_package,
                ctx.services,
                ctx.principal,
                package.file,
                client=ctx.client.describe(),
            )
        except PackageInvalid as exc:
            failures = [PackageCheckFailure.from_domain(f) for f in exc.failures]
            return PackageRefusedError(message=exc.message, code=exc.code, failures=failures)
        except Forbidden as exc:
            return ForbiddenError(message=exc.message, code=exc.code)
        except FileRejected as exc:
            return FileRejectedError(message=exc.message, code=exc.code)
        except ArchiveError as exc:
            return PackageRefusedError(message=exc.message, code=exc.code, failures=[])
        finally:
            await package.close()
        return await _success(info, result)


async def _success(info: Info, result: ImportResult) -> ImportPackageSuccess:
    ctx = info.context
    found = await asyncio.to_thread(archival.get_dossier, ctx.services, ctx.principal, result.dossier_id)
    return ImportPackageSuccess(
        objid=result.objid,
        record_ids=list(result.record_ids),
        created=result.created,
        dossier=None if found is None else Dossier.from_domain(found),
    )
