"""The files slice of the schema: a record's files and their versions, and the mutation
that adds a corrected version. Everything here is reached through a record the caller
may read; each download link is issued (and audited) by the download service, which
checks the read rule again."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Annotated

import strawberry
from starlette.datastructures import UploadFile
from strawberry.file_uploads import Upload

from archive.api.context import Context
from archive.api.results import ForbiddenError, NotFoundError
from archive.api.types import DownloadLink, Page, Record, from_global_id
from archive.domain import files as domain
from archive.domain.errors import DuplicateRecord, FileRejected, Forbidden, MetadataInvalid, NotFound
from archive.domain.records import Record as DomainRecord
from archive.services.download import issue_link
from archive.services.files import add_file_version
from archive.services.search import get_record

Info = strawberry.Info[Context, None]

strawberry.enum(domain.FileRole, description="What a file is to its record.")


async def _link(info: Info, record_id: str, file_id: str, version: int | None) -> DownloadLink:
    ctx = info.context
    base_url = str(ctx.request.base_url) if ctx.request is not None else ""
    link = await issue_link(
        ctx.services,
        ctx.principal,
        record_id,
        client=ctx.client,
        base_url=base_url,
        file_id=file_id,
        version=version,
    )
    return DownloadLink(url=link.url, expires_at=link.expires_at)


@strawberry.type(description="One stored version of a record file: written once, never changed.")
class RecordFileVersion:
    _record_id: strawberry.Private[str]
    _file_id: strawberry.Private[str]
    number: int = strawberry.field(description="Version number, from 1.")
    original_filename: str = strawberry.field(description="The name it was uploaded with (metadata only).")
    media_type: str = strawberry.field(description="Media type detected from the bytes.")
    size: int = strawberry.field(description="Size in bytes.")
    sha256: str = strawberry.field(description="SHA-256 of the bytes, hex.")
    created_at: datetime = strawberry.field(description="When this version was stored.")
    reason: str = strawberry.field(description="Why it was added; empty for the first version.")

    @classmethod
    def from_domain(cls, file: domain.RecordFile, version: domain.FileVersion) -> RecordFileVersion:
        s = version.stored
        return cls(
            _record_id=file.record_id,
            _file_id=file.id,
            number=version.number,
            original_filename=s.original_filename,
            media_type=s.media_type,
            size=s.size,
            sha256=s.sha256,
            created_at=version.created_at,
            reason=version.reason,
        )

    @strawberry.field(description="A short-lived link to this version's bytes. Every call is audited.")
    async def download(self, info: Info) -> DownloadLink:
        return await _link(info, self._record_id, self._file_id, self.number)


@strawberry.type(
    description="A file of a record: its main file, an appendix, an attachment or its source package."
)
class RecordFile:
    _file: strawberry.Private[domain.RecordFile]
    _record: strawberry.Private[DomainRecord | None]  # with its pages, when already loaded
    id: strawberry.ID = strawberry.field(description="The file's id (the main file's is the record's UUID).")
    role: domain.FileRole = strawberry.field(description="What the file is to its record.")
    ordinal: int = strawberry.field(description="Its position among the record's files; the main file is 0.")

    @classmethod
    def from_domain(cls, file: domain.RecordFile, record: DomainRecord | None = None) -> RecordFile:
        return cls(
            _file=file, _record=record, id=strawberry.ID(file.id), role=file.role, ordinal=file.ordinal
        )

    @strawberry.field(description="The version search and downloads show.")
    def current(self) -> RecordFileVersion:
        return RecordFileVersion.from_domain(self._file, self._file.current)

    @strawberry.field(description="Every version, oldest first; earlier ones stay retrievable.")
    def versions(self) -> list[RecordFileVersion]:
        return [RecordFileVersion.from_domain(self._file, v) for v in self._file.versions]

    @strawberry.field(description="The text of each page of the current version (none for a source package).")
    async def pages(self, info: Info) -> list[Page]:
        record = self._record
        if record is None:
            record = await get_record(info.context.services, info.context.principal, self._file.record_id)
        main = self._file.role is domain.FileRole.MAIN
        return [
            Page(number=p.number, text=p.text, source=p.source, confidence=p.confidence)
            for p in (record.pages if record is not None else ())
            if p.file_id == self._file.id or (main and p.file_id is None)
        ]

    @strawberry.field(description="A short-lived link to the current version's bytes. Every call is audited.")
    async def download(self, info: Info) -> DownloadLink:
        return await _link(info, self._file.record_id, self._file.id, None)


def files_of(record: DomainRecord, *, pages_loaded: bool) -> list[RecordFile]:
    """The record's files as GraphQL objects."""
    return [RecordFile.from_domain(f, record if pages_loaded else None) for f in record.files]


@strawberry.input(description="One more file of a deposit (besides its main file), with its role.")
class RecordFileInput:
    file: Upload = strawberry.field(description="The bytes (multipart upload).")
    role: domain.FileRole = strawberry.field(
        description="APPENDIX, ATTACHMENT or SOURCE (the main file is the deposit's own file argument)."
    )


@strawberry.type(description="The new version was stored; the record is reprocessed in the background.")
class FileVersionAdded:
    record: Record = strawberry.field(description="The record, as it now is.")
    file: RecordFile = strawberry.field(description="The file, with its new current version.")


@strawberry.type(description="The new version was refused: empty, too large, the wrong type, or unchanged.")
class FileVersionRejectedError:
    message: str = strawberry.field(description="Why it was refused.")
    code: str = strawberry.field(description="FILE_REJECTED, FILE_TOO_LARGE, VALIDATION or DUPLICATE.")


AddFileVersionResult = Annotated[
    FileVersionAdded | FileVersionRejectedError | ForbiddenError | NotFoundError,
    strawberry.union("AddFileVersionResult", description="The outcome of adding a file version."),
]


@strawberry.type
class FileMutations:
    @strawberry.mutation(
        description=(
            "Store a corrected file as the next version of one of a record's files (multipart upload). "
            "Nothing is overwritten: earlier versions stay retrievable; search shows the new one once "
            "the record is reprocessed."
        )
    )
    async def add_file_version(
        self,
        info: Info,
        record_id: Annotated[strawberry.ID, strawberry.argument(description="The record's global id.")],
        file_id: Annotated[strawberry.ID, strawberry.argument(description="The file's id (RecordFile.id).")],
        file: Annotated[Upload, strawberry.argument(description="The corrected bytes.")],
        reason: Annotated[str, strawberry.argument(description="Why the file is corrected (at most 500).")],
    ) -> AddFileVersionResult:
        parsed = from_global_id(record_id)
        if parsed is None or parsed[0] != "Record":
            return NotFoundError(message="no such record file", code=NotFound.code)
        if not isinstance(file, UploadFile):
            return FileVersionRejectedError(
                message="the file part must carry a file name", code=FileRejected.code
            )
        ctx = info.context
        try:
            record, changed = await asyncio.to_thread(
                add_file_version,
                ctx.services,
                ctx.principal,
                parsed[1],
                str(file_id),
                file.file,
                filename=file.filename or "document",
                reason=reason,
                client=ctx.client.describe(),
            )
        except NotFound as exc:
            return NotFoundError(message=exc.message, code=exc.code)
        except Forbidden as exc:
            return ForbiddenError(message=exc.message, code=exc.code)
        except (FileRejected, MetadataInvalid, DuplicateRecord) as exc:
            return FileVersionRejectedError(message=exc.message, code=exc.code)
        finally:
            await file.close()
        return FileVersionAdded(
            record=Record.from_domain(record), file=RecordFile.from_domain(changed, record)
        )
