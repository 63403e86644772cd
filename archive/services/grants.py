"""Explicit read grants on a record: given and taken back by the owning agency's clerks or an admin."""

from __future__ import annotations

import asyncio
import logging

from archive.domain.access import Principal, can_write, is_grantee_key
from archive.domain.errors import Forbidden, MetadataInvalid, NotFound, SearchUnavailable
from archive.domain.records import Record
from archive.services.container import Services
from archive.services.indexing import index_document_of
from archive.services.search import get_record

log = logging.getLogger(__name__)


async def change_grant(
    services: Services, principal: Principal, record_id: str, grantee: str, *, present: bool
) -> Record:
    """Add (``present``) or remove the grant of ``record_id`` to ``grantee``, and re-index.

    The change and an index-only job are committed together (the outbox), so the index
    converges through the worker whatever happens next. The immediate re-index is the
    common case's fast path; when the index is down it is skipped with a warning and the
    change still answered as done: it is committed, and the job (retried by the worker
    through the outage) will index it. An error would tell the caller the change failed
    when it did not, and a retry would change nothing.

    Raises:
        NotFound: no such record, or one the caller may not read.
        MetadataInvalid: ``grantee`` is not ``user:<subject>`` or ``agency:<code>``.
        Forbidden: the caller may read the record but is not a clerk of its agency or an admin.
    """
    record = await get_record(services, principal, record_id)
    if record is None:
        raise NotFound("no such record")
    if not is_grantee_key(grantee):
        raise MetadataInvalid("grantee", "must be user:<subject> or agency:<code>")
    if not can_write(principal, record.agency_code):
        raise Forbidden("only a clerk of the owning agency or an admin may change its grants")
    updated = await asyncio.to_thread(
        services.records.set_grant, record.id, grantee, present=present, now=services.clock()
    )
    if updated is None:
        raise NotFound("no such record")
    await _reindex_now(services, updated)
    return updated


async def _reindex_now(services: Services, record: Record) -> None:
    # The index holds the grants and filters on them, so it should follow at once: a
    # revoked grant still counted in totals and facets until the worker's turn would leak.
    try:
        await services.index.upsert(await asyncio.to_thread(index_document_of, services, record))
        await services.index.refresh()
    except SearchUnavailable as exc:
        log.warning(
            "grants of record %s changed while the search index is down (%s): the worker re-indexes it",
            record.id,
            exc.message,
        )
