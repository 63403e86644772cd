"""The records slice of the schema: queries and the deposit mutation."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Annotated

import strawberry
from starlette.datastructures import UploadFile
from strawberry.file_uploads import Upload

from archive.api.context import Context
from archive.api.files import RecordFile, RecordFileInput
from archive.api.inputs import RecordMetadataInput, SearchFilterInput, SearchOrderInput
from archive.api.results import ForbiddenError
from archive.api.types import (
    GlobalID,
    Highlight,
    Node,
    PageInfo,
    Record,
    SearchConnection,
    SearchEdge,
    SearchFacets,
    from_global_id,
)
from archive.domain.errors import DuplicateRecord, FileRejected, Forbidden, InvalidQuery, MetadataInvalid
from archive.domain.records import Record as DomainRecord
from archive.domain.search import Highlight as DomainHighlight
from archive.services.deposit import Upload as DomainUpload
from archive.services.deposit import deposit
from archive.services.search import SearchPage, get_record, get_records, search

Info = strawberry.Info[Context, None]

QUERY_MAX_LENGTH = 1000  # characters of a search query; a document number is about 20
CURSOR_MAX_LENGTH = 1000  # the cursors this service issues are far shorter


async def _load(info: Info, global_id: str) -> Node | None:
    """A record, fonds or dossier by its global id, when the caller may read it (else None,
    exactly as for an id that names nothing)."""
    parsed = from_global_id(global_id)
    if parsed is None:
        return None
    kind, raw = parsed
    if kind == "Record":
        return await _readable(info, raw)
    if kind in {"Fonds", "Dossier"}:
        from archive.api import archival as archival_api  # the archival slice imports this module's types
        from archive.services import archival

        ctx = info.context
        if kind == "Fonds":
            fonds = await asyncio.to_thread(archival.get_fonds, ctx.services, ctx.principal, raw)
            return None if fonds is None else archival_api.Fonds.from_domain(fonds)
        dossier = await asyncio.to_thread(archival.get_dossier, ctx.services, ctx.principal, raw)
        return None if dossier is None else archival_api.Dossier.from_domain(dossier)
    return None


async def _readable(info: Info, record_id: str) -> Record | None:
    """The record when the caller may read it (a read of a non-public one is audited), else None."""
    record = await get_record(info.context.services, info.context.principal, record_id)
    if record is None:
        return None
    if not record.metadata.is_public:
        await info.context.audit("record.read", record.id)
    return Record.from_domain(record)


async def _audit_hits(info: Info, page: SearchPage) -> None:
    """One entry per search that returned non-public records, listing their ids."""
    ids = [item.record.id for item in page.items if not item.record.metadata.is_public]
    if ids:
        await info.context.audit("search.read", "search", details={"ids": ",".join(ids), "count": len(ids)})


def highlight(record: DomainRecord, found: DomainHighlight) -> Highlight:
    """A highlight naming the file its page is in (a page with no file id: the main file)."""
    if found.page < 1:
        return Highlight(page=found.page, snippet=found.snippet)
    wanted = found.file_id or record.id
    file = next((f for f in record.files if f.id == wanted), None)
    shown = None if file is None else RecordFile.from_domain(file)
    return Highlight(page=found.page, snippet=found.snippet, file=shown)


async def search_connection(info: Info, page: SearchPage) -> SearchConnection:
    """A page of hits as the API answers it; reading non-public hits is audited."""
    await _audit_hits(info, page)
    edges = [
        SearchEdge(
            cursor=item.cursor,
            node=Record.from_domain(item.record, pages_loaded=False),
            score=item.hit.score,
            highlights=[highlight(item.record, h) for h in item.hit.highlights],
        )
        for item in page.items
    ]
    return SearchConnection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=page.result.has_next, end_cursor=edges[-1].cursor if edges else None
        ),
        total_count=page.result.total,
        facets=SearchFacets.from_domain(page.result.facets),
    )


def check_page(info: Info, first: int, after: str | None) -> None:
    """The paging arguments every search takes, within their limits."""
    limit = info.context.services.settings.max_page_size
    if not 1 <= first <= limit:
        raise InvalidQuery(f"first must be between 1 and {limit}")
    if after is not None and len(after) > CURSOR_MAX_LENGTH:
        raise InvalidQuery("the cursor is malformed")


@strawberry.type
class RecordQueries:
    @strawberry.field(
        description="A record by id; null when it does not exist or the caller may not read it."
    )
    async def record(self, info: Info, id: GlobalID) -> Record | None:
        parsed = from_global_id(id)
        if parsed is None or parsed[0] != "Record":
            return None
        return await _readable(info, parsed[1])

    @strawberry.field(description="Any object by its Relay global id.")
    async def node(self, info: Info, id: GlobalID) -> Node | None:
        return await _load(info, id)

    @strawberry.field(
        description=(
            "Several objects by their Relay global ids, in the order asked (at most the maximum page "
            "size). Each entry is null when its id names nothing or the caller may not read it: the "
            "two look the same. Records are read in one query; reading a non-public one is audited."
        )
    )
    async def nodes(
        self, info: Info, ids: Annotated[list[GlobalID], strawberry.argument(description="Global ids.")]
    ) -> list[Node | None]:
        limit = info.context.services.settings.max_page_size
        if len(ids) > limit:
            raise InvalidQuery(f"at most {limit} ids at a time")
        parsed = [from_global_id(i) for i in ids]
        record_ids = [p[1] for p in parsed if p is not None and p[0] == "Record"]
        ctx = info.context
        records = await get_records(ctx.services, ctx.principal, record_ids) if record_ids else {}
        for record in records.values():
            if not record.metadata.is_public:
                await info.context.audit("record.read", record.id)
        found: list[Node | None] = []
        for global_id, p in zip(ids, parsed, strict=True):
            if p is not None and p[0] == "Record":
                hit = records.get(p[1])
                found.append(None if hit is None else Record.from_domain(hit, pages_loaded=False))
            else:
                found.append(await _load(info, global_id))
        return found

    @strawberry.field(
        description=(
            'Full-text search over the records the caller may read: words, "phrases", -exclusion, '
            "OR, and document numbers like 123/QĐ-UBND. Diacritics are optional; exact ones rank higher."
        )
    )
    async def search(
        self,
        info: Info,
        query: Annotated[str | None, strawberry.argument(description="The query string.")] = None,
        filter: Annotated[SearchFilterInput | None, strawberry.argument(description="Filters.")] = None,
        first: Annotated[int, strawberry.argument(description="Page size.")] = 20,
        after: Annotated[str | None, strawberry.argument(description="Cursor to continue after.")] = None,
        order_by: Annotated[
            SearchOrderInput | None, strawberry.argument(description="The order; relevance by default.")
        ] = None,
    ) -> SearchConnection:
        services = info.context.services
        check_page(info, first, after)
        if query is not None and len(query) > QUERY_MAX_LENGTH:
            raise InvalidQuery(f"the query is longer than {QUERY_MAX_LENGTH} characters")
        page = await search(
            services,
            info.context.principal,
            query=query,
            filter=(filter or SearchFilterInput()).to_domain(),
            first=first,
            after=after,
            order=(order_by or SearchOrderInput()).to_domain(),
        )
        return await search_connection(info, page)


@strawberry.type(description="The record was archived; processing continues in the background.")
class DepositSuccess:
    record: Record = strawberry.field(description="The new record, with processing status pending.")


@strawberry.type(description="A metadata field was missing or invalid.")
class ValidationError:
    field: str = strawberry.field(description="The input field at fault (snake_case domain name).")
    message: str = strawberry.field(description="What is wrong with it.")
    code: str = strawberry.field(description="Always VALIDATION.")


@strawberry.type(
    description="The owning agency already holds a record with the same bytes, one the caller may read."
)
class DuplicateRecordError:
    message: str = strawberry.field(description="What happened.")
    code: str = strawberry.field(description="Always DUPLICATE.")
    existing_record: Record | None = strawberry.field(description="That record, when the caller may read it.")


@strawberry.type(
    description="The file cannot be archived: not a PDF or image, corrupt, encrypted, empty or too large."
)
class FileRejectedError:
    message: str = strawberry.field(description="Why the file was refused.")
    code: str = strawberry.field(description="FILE_REJECTED or FILE_TOO_LARGE.")


DepositResult = Annotated[
    DepositSuccess | ValidationError | DuplicateRecordError | FileRejectedError | ForbiddenError,
    strawberry.union("DepositResult", description="The outcome of a deposit."),
]


@strawberry.type
class RecordMutations:
    @strawberry.mutation(
        description="Deposit one signed document with its official metadata (multipart upload)."
    )
    async def deposit_record(
        self,
        info: Info,
        file: Annotated[Upload, strawberry.argument(description="The document: PDF, PNG, JPEG or TIFF.")],
        metadata: Annotated[RecordMetadataInput, strawberry.argument(description="Official metadata.")],
        files: Annotated[
            list[RecordFileInput] | None,
            strawberry.argument(
                description=(
                    "More files with their roles: appendices (PDF or image), attachments and the source "
                    "package (any type). All are stored, or none."
                )
            ),
        ] = None,
    ) -> DepositResult:
        ctx = info.context
        # starlette's, spooled to disk by the multipart parser; a part without a file name is text
        uploads = [u for u in (file, *(f.file for f in files or ())) if isinstance(u, UploadFile)]
        if len(uploads) != 1 + len(files or ()):
            await _close(uploads)
            return FileRejectedError(message="every file part must carry a file name", code=FileRejected.code)
        upload, roles = uploads[0], [f.role for f in files or ()]
        others = [
            DomainUpload(u.file, u.filename or "document", r) for u, r in zip(uploads[1:], roles, strict=True)
        ]
        try:
            record = await asyncio.to_thread(
                deposit,
                ctx.services,
                ctx.principal,
                upload.file,
                filename=upload.filename or "document",
                metadata=metadata.to_domain(),
                agency_code=metadata.agency_code,
                client=ctx.client.describe(),
                others=others,
            )
        except Forbidden as exc:
            return ForbiddenError(message=exc.message, code=exc.code)
        except MetadataInvalid as exc:
            return ValidationError(field=exc.field, message=exc.reason, code=exc.code)
        except DuplicateRecord as exc:
            return DuplicateRecordError(
                message=exc.message, code=exc.code, existing_record=await _readable(info, exc.existing_id)
            )
        except FileRejected as exc:
            return FileRejectedError(message=exc.message, code=exc.code)
        finally:
            await _close(uploads)
        return DepositSuccess(record=Record.from_domain(record))


async def _close(uploads: Sequence[UploadFile]) -> None:
    for upload in uploads:
        await upload.close()
