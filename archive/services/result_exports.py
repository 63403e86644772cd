"""Export a search's result set as CSV, XLSX or PDF, as a job with progress.

Check -> act -> audit: ``can_export_results`` to start (a caller with too many jobs
running is refused), the search run page by page AS THE CALLER (so the file holds
exactly what ``search`` would show it), the rows rendered by the deployment's
``ListingRenderer``, and one ``search.export`` entry naming the records printed (the
audit log shows each to whoever may read it). Status and file: ``can_see_result_export``
(the owner); anyone else gets NOT_FOUND, exactly as for a job that does not exist.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid

from archive.domain.access import Principal, can_export_results, can_see_result_export
from archive.domain.audit import COUNT_DETAIL, IDS_DETAIL, DetailValue
from archive.domain.errors import ArchiveError, Forbidden, NotFound, TooManyJobs
from archive.domain.listing import ExportFormat, search_results
from archive.domain.records import Record
from archive.domain.result_exports import MAX_ROWS, PER_OWNER_ACTIVE, ExportStatus, ResultExport
from archive.domain.saved_searches import filter_from_json, filter_to_json
from archive.domain.search import SearchFilter, SearchOrder
from archive.services.audit import ClientInfo, audit
from archive.services.container import Services
from archive.services.search import search

log = logging.getLogger(__name__)
PAGE = 100
_RUNNING: set[asyncio.Task[None]] = set()  # kept referenced until they end


async def start(
    services: Services,
    principal: Principal,
    *,
    query: str | None,
    filter: SearchFilter,
    order: SearchOrder,
    fmt: ExportFormat,
    client: ClientInfo,
) -> ResultExport:
    """Queue the export and start it in this process; answers at once with the job."""
    if not can_export_results(principal):
        raise Forbidden("sign in to export search results")
    now = services.clock()
    mine = await asyncio.to_thread(services.result_exports.owned_by, principal.subject)
    active = [j for j in mine if j.seen_at(now).status in (ExportStatus.PENDING, ExportStatus.RUNNING)]
    if len(active) >= PER_OWNER_ACTIVE:
        raise TooManyJobs(f"{PER_OWNER_ACTIVE} exports are already running; wait for one to finish")
    job = ResultExport(
        id=str(uuid.uuid4()),
        owner=principal.subject,
        format=fmt,
        query=query,
        filter_json=json.dumps(filter_to_json(filter), ensure_ascii=False, sort_keys=True),
        order_tag=order.tag,
        status=ExportStatus.PENDING,
        done=0,
        total=None,
        truncated=False,
        error=None,
        filename=None,
        created_at=now,
        updated_at=now,
    )
    await asyncio.to_thread(services.result_exports.add, job)
    task = asyncio.create_task(run(services, principal, job.id, client=client))
    _RUNNING.add(task)
    task.add_done_callback(_RUNNING.discard)
    return job


async def run(services: Services, principal: Principal, job_id: str, *, client: ClientInfo) -> None:
    """Run one job to its end; any failure is recorded on the job, never raised."""
    store = services.result_exports
    job = await asyncio.to_thread(store.get, job_id)
    if job is None:
        return
    try:
        records, total = await _collect(services, principal, job)
        truncated = total > len(records)
        listing = search_results(job.query, records, truncated=truncated)
        content = await asyncio.to_thread(services.renderer.render, listing, job.format)
        await asyncio.to_thread(
            store.finish,
            job.id,
            content=content,
            filename=listing.filename(job.format),
            done=len(records),
            at=services.clock(),
        )
        details: dict[str, DetailValue] = {
            IDS_DETAIL: ",".join(r.id for r in records),
            COUNT_DETAIL: len(records),
            "format": job.format.value,
        }
        await audit(services, principal, client, "search.export", job.id, details=details)
    except ArchiveError as exc:
        await asyncio.to_thread(store.fail, job.id, error=f"{exc.code}: {exc.message}", at=services.clock())
    except Exception:  # the job must end FAILED, whatever broke
        log.exception("result export %s failed", job.id)
        await asyncio.to_thread(
            store.fail, job.id, error="the export failed; see the logs", at=services.clock()
        )


async def _collect(services: Services, principal: Principal, job: ResultExport) -> tuple[list[Record], int]:
    """Every page of the search as the owner, up to MAX_ROWS, recording progress."""
    search_filter = filter_from_json(json.loads(job.filter_json))
    order = SearchOrder.from_tag(job.order_tag)
    records: list[Record] = []
    after: str | None = None
    total = 0
    while len(records) < MAX_ROWS:
        first = min(PAGE, MAX_ROWS - len(records))
        page = await search(
            services, principal, query=job.query, filter=search_filter, first=first, after=after, order=order
        )
        total = page.result.total
        records += [item.record for item in page.items]
        await asyncio.to_thread(
            services.result_exports.progress,
            job.id,
            done=len(records),
            total=total,
            truncated=total > MAX_ROWS,
            at=services.clock(),
        )
        if not page.result.has_next or not page.items:
            break
        after = page.items[-1].cursor
    return records, total


async def get(services: Services, principal: Principal, job_id: str) -> ResultExport:
    job = await asyncio.to_thread(services.result_exports.get, job_id)
    if job is None or not can_see_result_export(principal, job.owner):
        raise NotFound("no such export")
    return job.seen_at(services.clock())


async def mine(services: Services, principal: Principal) -> list[ResultExport]:
    if principal.anonymous:
        return []
    now = services.clock()
    return [
        j.seen_at(now) for j in await asyncio.to_thread(services.result_exports.owned_by, principal.subject)
    ]


async def file(services: Services, principal: Principal, job_id: str) -> tuple[ResultExport, bytes]:
    """The finished file; NotFound while it is not done, or for anyone but its owner."""
    job = await get(services, principal, job_id)
    content = await asyncio.to_thread(services.result_exports.content, job.id)
    if job.status is not ExportStatus.DONE or content is None:
        raise NotFound("the export is not ready")
    return job, content
