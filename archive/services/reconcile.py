"""Reconcile the three stores: database rows (the truth for metadata), object
versions (the truth for bytes) and index documents (derived).

The index is repaired: a record missing from it or indexed at another row
version is re-indexed, and a document whose record is gone is deleted.
Objects are only reported (a missing object cannot be repaired from here; an
unreferenced one may be a deposit still in flight), unless the caller asks to
delete unreferenced objects, and even then a locked object is never deleted.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from itertools import islice

from archive.domain.access import UNRESTRICTED
from archive.domain.errors import ObjectLocked
from archive.services import audit
from archive.services.container import Services
from archive.services.fixity import RECORDS_PREFIX, object_walk
from archive.services.indexing import index_document_of
from archive.services.merge_join import merge_join_async

_PAGE = 1000  # rows per database page, and so per step of the walk


@dataclass
class ReconcileReport:
    reindexed: list[str] = field(default_factory=list)  # record ids
    removed_from_index: list[str] = field(default_factory=list)  # record ids
    missing_objects: list[str] = field(default_factory=list)  # record ids
    unreferenced_objects: list[str] = field(default_factory=list)  # storage keys
    deleted_objects: list[str] = field(default_factory=list)  # storage keys
    kept_locked: list[str] = field(default_factory=list)  # storage keys


async def reconcile(
    services: Services, *, delete_unreferenced: bool = False, actor: str = "system:reconcile"
) -> ReconcileReport:
    """Compare, repair the index, report objects; audited.

    Every comparison walks two sorted streams side by side (``merge_join``), so memory
    holds a page of each store and the drift found, whatever the archive's size."""
    report = ReconcileReport()
    await services.index.ensure_ready()  # idempotent; a lost index is something to repair, too
    stale = await _compare_index(services, report)
    for record_id in report.reindexed:
        await _reindex(services, record_id, stale.get(record_id))
    for record_id in report.removed_from_index:
        await services.index.delete(record_id)
    await asyncio.to_thread(_compare_objects, services, report, delete_unreferenced)
    await asyncio.to_thread(
        audit.append,
        services,
        actor=actor,
        action="reconcile.run",
        target="archive",
        details={
            "reindexed": len(report.reindexed),
            "removed_from_index": len(report.removed_from_index),
            "missing_objects": len(report.missing_objects),
            "unreferenced_objects": len(report.unreferenced_objects),
            "deleted_objects": len(report.deleted_objects),
        },
    )
    return report


async def _compare_index(services: Services, report: ReconcileReport) -> dict[str, int]:
    """Notes records to re-index and documents to remove; returns the indexed version of
    each record indexed at another version (only those: the drift, not the archive)."""
    stale: dict[str, int] = {}
    pairs = merge_join_async(_database_versions(services), services.index.get_versions(), _first, _first)
    async for truth, indexed in pairs:
        if truth is None and indexed is not None:
            report.removed_from_index.append(indexed[0])
        elif truth is not None and (indexed is None or indexed[1] != truth[1]):
            report.reindexed.append(truth[0])
            if indexed is not None:
                stale[truth[0]] = indexed[1]
    return stale


async def _database_versions(services: Services) -> AsyncIterator[tuple[str, int]]:
    """Every record's id and row version, read page by page off the event loop."""
    rows = services.records.iter_versions(_PAGE)
    while page := await asyncio.to_thread(lambda: list(islice(rows, _PAGE))):
        for row in page:
            yield row


async def _reindex(services: Services, record_id: str, indexed_version: int | None) -> None:
    record = await asyncio.to_thread(services.records.get, record_id, UNRESTRICTED)
    if record is None:
        return  # destroyed meanwhile
    if indexed_version is not None and indexed_version > record.row_version:
        await services.index.delete(record_id)  # newer than the truth: the upsert would refuse
    await services.index.upsert(await asyncio.to_thread(index_document_of, services, record))


def _compare_objects(services: Services, report: ReconcileReport, delete: bool) -> None:
    for known, key in object_walk(services, _PAGE):
        if known is not None and key is None:
            _check_missing(services, report, *known)
        elif known is None and key is not None:
            _unreferenced(services, report, key, delete)


def _check_missing(services: Services, report: ReconcileReport, key: str, record_id: str) -> None:
    # A key outside the listed prefix was never listed: only asking tells whether it exists.
    if (key.startswith(RECORDS_PREFIX) or not services.blobs.exists(key)) and (
        record_id not in report.missing_objects
    ):
        report.missing_objects.append(record_id)


def _unreferenced(services: Services, report: ReconcileReport, key: str, delete: bool) -> None:
    report.unreferenced_objects.append(key)
    if not delete:
        return
    try:
        services.blobs.delete_all_versions(key)
    except ObjectLocked:
        report.kept_locked.append(key)
    else:
        report.deleted_objects.append(key)


def _first(pair: tuple[str, object]) -> str:
    return pair[0]
