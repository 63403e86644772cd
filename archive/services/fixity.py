"""Fixity: re-hash every stored object and compare with the SHA-256 taken at deposit.

Runs in batches and checkpoints after each, so an interrupted run resumes
where it stopped. Reports objects that are ok, changed (bytes differ), missing
(no readable object), and unreferenced (objects no record names). The result
goes to the audit chain.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from archive.domain.errors import IntegrityError, NotFound
from archive.domain.fixity import FixityRun, StoredObject
from archive.domain.ports import FixityStore
from archive.services import audit
from archive.services.container import Services
from archive.services.merge_join import merge_join

RECORDS_PREFIX = "records/"
_PAGE = 1000  # rows per database page of the key walk


@dataclass(frozen=True, slots=True)
class FixityReport:
    run_id: int
    ok: int
    changed: tuple[str, ...]  # record ids
    missing: tuple[str, ...]  # record ids
    unreferenced: tuple[str, ...]  # storage keys
    finished: bool


def check(services: Services, obj: StoredObject) -> str:
    """``ok``, ``changed`` or ``missing`` for one record's object. Blocking."""
    digest = hashlib.sha256()
    try:
        for chunk in services.blobs.iter_bytes(obj.storage_key, version_id=obj.version_id):
            digest.update(chunk)
    except NotFound:
        return "missing"
    except IntegrityError:
        return "changed"  # the store itself noticed (it checks on every read)
    return "ok" if digest.hexdigest() == obj.sha256 else "changed"


def run_fixity(
    services: Services,
    *,
    batch_size: int = 200,
    restart: bool = False,
    max_batches: int | None = None,
    on_object: Callable[[], None] | None = None,
    actor: str = "system:fixity",
) -> FixityReport:
    """Check objects batch by batch from the last checkpoint. Blocking.

    ``max_batches`` stops early (the run stays open, to resume); otherwise the
    run ends by listing unreferenced objects and is audited.
    """
    store = services.fixity
    run = store.open_run(now=services.clock(), restart=restart)
    done = 0
    while max_batches is None or done < max_batches:
        objects = store.objects(after=run.last_record_id, limit=batch_size)
        if not objects:
            return _finish(services, store, run, actor)
        found: dict[str, list[str]] = {"ok": [], "changed": [], "missing": []}
        for obj in objects:
            found[check(services, obj)].append(obj.record_id)
            if on_object is not None:
                on_object()
        run = store.checkpoint(
            run.id,
            last=objects[-1].record_id,
            ok=len(found["ok"]),
            changed=found["changed"],
            missing=found["missing"],
        )
        done += 1
    return FixityReport(run.id, run.ok, run.changed, run.missing, (), finished=False)


def _finish(services: Services, store: FixityStore, run: FixityRun, actor: str) -> FixityReport:
    unreferenced = tuple(key for known, key in object_walk(services) if known is None and key is not None)
    store.finish(run.id, now=services.clock())
    audit.append(
        services,
        actor=actor,
        action="fixity.run",
        target=str(run.id),
        details={
            "ok": run.ok,
            "changed": len(run.changed),
            "missing": len(run.missing),
            "unreferenced": len(unreferenced),
            "first_changed": run.changed[0] if run.changed else None,
            "first_missing": run.missing[0] if run.missing else None,
        },
    )
    return FixityReport(run.id, run.ok, run.changed, run.missing, unreferenced, finished=True)


def database_keys(services: Services, page: int = _PAGE) -> Iterator[tuple[str, str]]:
    """Every storage key the database references (each version of each file of each record),
    with the record it belongs to, in ascending key order (``RecordRepository.iter_storage_keys``
    merges the file keys in)."""
    return services.records.iter_storage_keys(page)


def object_walk(services: Services, page: int = _PAGE) -> Iterator[tuple[tuple[str, str] | None, str | None]]:
    """The database's keys and the blob store's listing under ``records/``, walked side by
    side: (key and record, listed key) pairs, None on the side that lacks it. Memory holds a
    page of each stream, never a set of every key, so fixity and reconcile stay flat at any
    size. A known key outside the prefix comes with None: only asking the store tells."""
    return merge_join(database_keys(services, page), services.blobs.list_keys(RECORDS_PREFIX), _first, str)


def _first(pair: tuple[str, str]) -> str:
    return pair[0]
