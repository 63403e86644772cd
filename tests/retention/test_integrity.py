"""Fixity finds changed, missing and unreferenced objects; reconcile repairs the index."""

from __future__ import annotations

import asyncio
import io
import os
from datetime import date

from archive.domain.audit import verify_chain
from archive.domain.retention import RetentionRule
from archive.services import audit, retention
from archive.services.container import Services
from archive.services.fixity import run_fixity
from archive.services.reconcile import reconcile
from tests.retention.support import RM, archived, indexed_ids
from tests.support.db import engine_of

CV_10 = RetentionRule("CV-10", "Công văn", 10, document_types=("Công văn",))


def flip_a_byte(services: Services, key: str) -> None:
    path = services.settings.blob_dir / "data" / key
    os.chmod(path, 0o644)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


async def test_fixity_detects_a_flipped_byte_and_resumes_from_its_checkpoint(embedded: Services) -> None:
    records = [await archived(embedded, str(n), issued=date(2020, 1, n)) for n in range(1, 6)]
    flip_a_byte(embedded, records[2].file.storage_key)
    (embedded.settings.blob_dir / "data" / records[4].file.storage_key).unlink()
    stray = "records/zz/not-a-record"
    embedded.blobs.put(stray, io.BytesIO(b"x"), size=1, sha256=_sha(b"x"), media_type="application/pdf")

    partial = await asyncio.to_thread(run_fixity, embedded, batch_size=2, max_batches=1)
    assert not partial.finished and partial.ok + len(partial.changed) + len(partial.missing) == 2
    report = await asyncio.to_thread(run_fixity, embedded, batch_size=2)  # resumes the same run
    assert report.run_id == partial.run_id and report.finished
    assert report.changed == (records[2].id,)
    assert report.missing == (records[4].id,)
    assert report.unreferenced == (stray,)
    assert report.ok == 3
    entry = audit.find(embedded, action="fixity.run", target=str(report.run_id))
    assert entry is not None and entry.details["changed"] == 1 and entry.details["missing"] == 1
    again = await asyncio.to_thread(run_fixity, embedded, batch_size=2)
    assert again.run_id != report.run_id and again.changed == (records[2].id,)
    assert verify_chain(audit.entries(embedded)).ok


async def test_fixity_names_every_unreferenced_object_wherever_it_sorts(embedded: Services) -> None:
    """Strays before, between and after the records' keys, and one sharing a record key's
    prefix: the side-by-side walk must report each and no referenced object."""
    records = [await archived(embedded, str(n), issued=date(2020, 1, n)) for n in range(1, 4)]
    keys = sorted(r.file.storage_key for r in records)
    strays = sorted(["records/00/first", f"{keys[0]}-copy", f"{keys[1]}0", "records/zz/last"])
    for stray in [*strays, "elsewhere/x"]:  # outside records/: neither listed nor reported
        embedded.blobs.put(stray, io.BytesIO(b"x"), size=1, sha256=_sha(b"x"), media_type="application/pdf")

    report = await asyncio.to_thread(run_fixity, embedded, batch_size=2)

    assert report.finished and report.ok == 3
    assert report.unreferenced == tuple(strays)
    assert not set(report.unreferenced) & set(keys)


async def test_reconcile_reindexes_missing_documents_and_drops_orphans(embedded: Services) -> None:
    await asyncio.to_thread(retention.change_rules, embedded, RM, upserts=[CV_10])
    kept = await archived(embedded, "1", issued=date(2020, 1, 1))
    lost = await archived(embedded, "2", issued=date(2020, 1, 2))
    await embedded.index.delete(lost.id)
    ghost = await archived(embedded, "3", issued=date(2020, 1, 3))
    # A row that vanished behind the archive's back leaves an orphan document and a locked object.
    from sqlalchemy import text

    with engine_of(embedded).begin() as conn:
        conn.execute(text("DELETE FROM records WHERE id = :id"), {"id": ghost.id})

    report = await reconcile(embedded, delete_unreferenced=True)
    assert report.reindexed == [lost.id]
    assert report.removed_from_index == [ghost.id]
    assert await indexed_ids(embedded) == {kept.id, lost.id}
    assert report.unreferenced_objects == [ghost.file.storage_key]
    assert report.kept_locked == [ghost.file.storage_key]  # sealed until 2030: never deleted
    assert embedded.blobs.version_ids(ghost.file.storage_key) == ("1",)
    assert report.missing_objects == []
    second = await reconcile(embedded)
    assert second.reindexed == [] and second.removed_from_index == []


def _sha(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()
