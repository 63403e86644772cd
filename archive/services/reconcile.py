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
from dataclasses import dataclass, field

from archive.domain.access import UNRESTRICTED
from archive.domain.errors import ObjectLocked
from archive.services import audit
from archive.services.container import Services
from archive.services.fixity import RECORDS_PREFIX
from archive.services.indexing import index_document_of


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
    """Compare, repair the index, report objects; audited."""
    report = ReconcileReport()
    await services.index.ensure_ready()  # idempotent; a lost index is something to repair, too
    indexed = {record_id: version async for record_id, version in services.index.get_versions()}
    records, keys = await asyncio.to_thread(_check_records, services, indexed, report)
    for record_id in report.reindexed:
        await _reindex(services, record_id, indexed.get(record_id))
    for record_id in sorted(indexed):
        if record_id not in records:
            await services.index.delete(record_id)
            report.removed_from_index.append(record_id)
    await asyncio.to_thread(_check_objects, services, keys, report, delete_unreferenced)
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


def _check_records(
    services: Services, indexed: dict[str, int], report: ReconcileReport
) -> tuple[set[str], set[str]]:
    """Every record id, and every storage key a record references (each version of each
    of its files); notes stale index entries and missing main objects."""
    records: set[str] = set()
    keys: set[str] = set()
    for record in services.records.iter_all():
        records.add(record.id)
        keys.add(record.file.storage_key)
        keys.update(v.stored.storage_key for file in record.files for v in file.versions)
        if indexed.get(record.id) != record.row_version:
            report.reindexed.append(record.id)
        if not services.blobs.exists(record.file.storage_key):
            report.missing_objects.append(record.id)
    return records, keys


async def _reindex(services: Services, record_id: str, indexed_version: int | None) -> None:
    record = await asyncio.to_thread(services.records.get, record_id, UNRESTRICTED)
    if record is None:
        return  # destroyed meanwhile
    if indexed_version is not None and indexed_version > record.row_version:
        await services.index.delete(record_id)  # newer than the truth: the upsert would refuse
    await services.index.upsert(await asyncio.to_thread(index_document_of, services, record))


def _check_objects(services: Services, known: set[str], report: ReconcileReport, delete: bool) -> None:
    for key in services.blobs.list_keys(RECORDS_PREFIX):
        if key in known:
            continue
        report.unreferenced_objects.append(key)
        if not delete:
            continue
        try:
            services.blobs.delete_all_versions(key)
        except ObjectLocked:
            report.kept_locked.append(key)
        else:
            report.deleted_objects.append(key)
