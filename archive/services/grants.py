"""Explicit read grants on a record: given and taken back by the owning agency's clerks or an admin."""

from __future__ import annotations

import asyncio

from archive.domain.access import Principal, can_write, is_grantee_key
from archive.domain.errors import Forbidden, MetadataInvalid, NotFound
from archive.domain.records import Record
from archive.services.container import Services
from archive.services.indexing import index_document_of
from archive.services.search import get_record


async def change_grant(
    services: Services, principal: Principal, record_id: str, grantee: str, *, present: bool
) -> Record:
    """Add (``present``) or remove the grant of ``record_id`` to ``grantee``, and re-index.

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
    updated = await asyncio.to_thread(services.records.set_grant, record.id, grantee, present=present)
    if updated is None:
        raise NotFound("no such record")
    # The index holds the grants and filters on them, so it must follow at once: a
    # revoked grant still counted in totals and facets until the next refresh would leak.
    await services.index.upsert(await asyncio.to_thread(index_document_of, services, updated))
    await services.index.refresh()
    return updated
