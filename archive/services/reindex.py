"""Re-index one record at once after a change the search index filters or shows."""

from __future__ import annotations

import asyncio
import logging

from archive.domain.errors import SearchUnavailable
from archive.domain.records import Record
from archive.services.container import Services
from archive.services.indexing import index_document_of

log = logging.getLogger(__name__)


async def reindex_now(services: Services, record: Record) -> None:
    """The fast path after a correction or a status change; the index job committed with
    the change is the guarantee. When the index is down, the change still stands (it is
    committed) and the worker re-indexes it: an error would tell the caller it failed."""
    try:
        await services.index.upsert(await asyncio.to_thread(index_document_of, services, record))
        await services.index.refresh()
    except SearchUnavailable as exc:
        log.warning(
            "record %s changed while the search index is down (%s): the worker re-indexes it",
            record.id,
            exc.message,
        )
