"""The saved-search slice of the schema: keep, list, run and delete searches, and export a
search's results."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, cast

import strawberry
from strawberry.scalars import JSON

from archive.api.context import Context
from archive.api.inputs import SearchFilterInput, SearchOrderInput
from archive.api.records import QUERY_MAX_LENGTH, check_page, search_connection
from archive.api.types import SearchConnection
from archive.domain.errors import InvalidQuery
from archive.domain.listing import ExportFormat
from archive.domain.result_exports import ExportStatus
from archive.domain.result_exports import ResultExport as DomainResultExport
from archive.domain.saved_searches import SavedSearch as DomainSavedSearch
from archive.domain.saved_searches import filter_to_json
from archive.services import result_exports, saved_searches

Info = strawberry.Info[Context, None]


@strawberry.type(description="A kept search: the question, never the answer.")
class SavedSearch:
    id: str = strawberry.field(description="Its id.")
    name: str = strawberry.field(description="Its name.")
    query: str | None = strawberry.field(description="The query string, as search takes it.")
    filter: JSON = strawberry.field(description="The filters it applies (the set fields only).")
    shared_with: str | None = strawberry.field(
        description="The agency it is shared with; null: its owner's alone."
    )
    mine: bool = strawberry.field(description="Whether the caller owns it.")
    created_at: datetime = strawberry.field(description="When it was saved.")

    @classmethod
    def from_domain(cls, found: DomainSavedSearch, subject: str) -> SavedSearch:
        return cls(
            id=found.id,
            name=found.name,
            query=found.query,
            filter=cast(JSON, filter_to_json(found.filter)),
            shared_with=found.shared_with,
            mine=found.owner == subject,
            created_at=found.created_at,
        )


@strawberry.type
class SavedSearchQueries:
    @strawberry.field(description="The caller's saved searches and those shared with its agencies, by name.")
    async def saved_searches(self, info: Info) -> list[SavedSearch]:
        ctx = info.context
        found = await saved_searches.visible(ctx.services, ctx.principal)
        return [SavedSearch.from_domain(s, ctx.principal.subject) for s in found]

    @strawberry.field(
        description=(
            "One page of a saved search, run as the CALLER: it finds the records the caller may "
            "read, whoever saved it. NOT_FOUND for a search the caller may not see."
        )
    )
    async def run_saved_search(
        self,
        info: Info,
        id: Annotated[str, strawberry.argument(description="The saved search's id.")],
        first: Annotated[int, strawberry.argument(description="Page size.")] = 20,
        after: Annotated[str | None, strawberry.argument(description="Cursor to continue after.")] = None,
    ) -> SearchConnection:
        check_page(info, first, after)
        ctx = info.context
        _, page = await saved_searches.run(ctx.services, ctx.principal, id, first=first, after=after)
        return await search_connection(info, page)


@strawberry.type
class SavedSearchMutations:
    @strawberry.mutation(description="Keep a search; share it with one of the caller's agencies if asked.")
    async def save_search(
        self,
        info: Info,
        name: Annotated[str, strawberry.argument(description="A name for it.")],
        query: Annotated[str | None, strawberry.argument(description="The query string.")] = None,
        filter: Annotated[SearchFilterInput | None, strawberry.argument(description="Filters.")] = None,
        share_with_agency: Annotated[
            str | None, strawberry.argument(description="One of the caller's agencies.")
        ] = None,
    ) -> SavedSearch:
        if query is not None and len(query) > QUERY_MAX_LENGTH:
            raise InvalidQuery(f"the query is longer than {QUERY_MAX_LENGTH} characters")
        ctx = info.context
        made = await saved_searches.save(
            ctx.services,
            ctx.principal,
            name=name,
            query=query,
            filter=(filter or SearchFilterInput()).to_domain(),
            shared_with=share_with_agency,
            client=ctx.client,
        )
        return SavedSearch.from_domain(made, ctx.principal.subject)

    @strawberry.mutation(description="Delete one of the caller's saved searches. True when deleted.")
    async def delete_saved_search(
        self, info: Info, id: Annotated[str, strawberry.argument(description="Its id.")]
    ) -> bool:
        ctx = info.context
        await saved_searches.delete(ctx.services, ctx.principal, id, client=ctx.client)
        return True


strawberry.enum(ExportFormat, description="A file format: pdf, xlsx or csv.")
strawberry.enum(ExportStatus, description="Where a result export stands.")


@strawberry.type(description="An export of a search's results, run as a job; its owner's alone.")
class ResultExport:
    id: str = strawberry.field(description="Its id.")
    format: ExportFormat = strawberry.field(description="The file format.")
    status: ExportStatus = strawberry.field(description="PENDING, RUNNING, DONE or FAILED.")
    done: int = strawberry.field(description="Records written so far.")
    total: int | None = strawberry.field(description="Records the search found (null until it started).")
    truncated: bool = strawberry.field(
        description="The search found more than an export holds (the first 5,000 are written)."
    )
    error: str | None = strawberry.field(description="Why it failed.")
    download_path: str | None = strawberry.field(
        description="Once DONE: GET this path with the same credentials to download the file."
    )
    created_at: datetime = strawberry.field(description="When it was asked for.")

    @classmethod
    def from_domain(cls, job: DomainResultExport) -> ResultExport:
        done = job.status is ExportStatus.DONE
        return cls(
            id=job.id,
            format=job.format,
            status=job.status,
            done=job.done,
            total=job.total,
            truncated=job.truncated,
            error=job.error,
            download_path=f"/exports/searches/{job.id}" if done else None,
            created_at=job.created_at,
        )


@strawberry.type
class ResultExportQueries:
    @strawberry.field(description="One of the caller's result exports; NOT_FOUND for anyone else's.")
    async def result_export(self, info: Info, id: str) -> ResultExport:
        ctx = info.context
        return ResultExport.from_domain(await result_exports.get(ctx.services, ctx.principal, id))

    @strawberry.field(description="The caller's result exports, newest first.")
    async def result_exports(self, info: Info) -> list[ResultExport]:
        ctx = info.context
        return [ResultExport.from_domain(j) for j in await result_exports.mine(ctx.services, ctx.principal)]


@strawberry.type
class ResultExportMutations:
    @strawberry.mutation(
        description=(
            "Export a search's results (CSV, XLSX or PDF) as a job: the search runs as the caller, in "
            "its order, up to 5,000 records; poll resultExport(id) for progress, then download."
        )
    )
    async def export_search_results(
        self,
        info: Info,
        format: Annotated[ExportFormat, strawberry.argument(description="The file format.")],
        query: Annotated[str | None, strawberry.argument(description="The query string.")] = None,
        filter: Annotated[SearchFilterInput | None, strawberry.argument(description="Filters.")] = None,
        order_by: Annotated[SearchOrderInput | None, strawberry.argument(description="The order.")] = None,
    ) -> ResultExport:
        if query is not None and len(query) > QUERY_MAX_LENGTH:
            raise InvalidQuery(f"the query is longer than {QUERY_MAX_LENGTH} characters")
        ctx = info.context
        job = await result_exports.start(
            ctx.services,
            ctx.principal,
            query=query,
            filter=(filter or SearchFilterInput()).to_domain(),
            order=(order_by or SearchOrderInput()).to_domain(),
            fmt=format,
            client=ctx.client,
        )
        return ResultExport.from_domain(job)
