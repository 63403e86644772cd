"""Maintenance over the whole archive streams: a rule change and reconcile read the
database in keyset pages and hold one page, whatever the archive's size.

Memory is shown by counting rows held, never by timing: the stores are wrapped so the
test sees every page read and every assignment written, with pages made small so a
handful of records spans several of them.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Iterable, Iterator, Mapping
from datetime import date
from typing import Any

import pytest
from sqlalchemy import text

from archive.domain.access import UNRESTRICTED
from archive.domain.retention import Assignment, RetentionRule
from archive.services import reconcile as reconcile_module
from archive.services import retention
from archive.services.container import Services
from archive.services.reconcile import reconcile
from tests.retention.support import RM, archived, indexed_ids
from tests.support.db import engine_of

PAGE = 3
COUNT = 10  # four pages of three


class CountingRetention:
    """The real retention store, with the largest page read and the largest stretch of
    the assignment stream taken without writing (what a change holds at once)."""

    def __init__(self, store: Any) -> None:
        self._store = store
        self.largest_page = 0
        self.largest_batch = 0
        self.written = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    def states(self, record_ids: Any = None, *, after: str = "", limit: int = 500) -> Any:
        page = self._store.states(record_ids, after=after, limit=limit)
        if record_ids is None:
            self.largest_page = max(self.largest_page, len(page))
        return page

    def change_rules(
        self,
        upserts: Any,
        deletes: Any,
        assignments: Mapping[str, Assignment] | Iterable[tuple[str, Assignment]],
        *,
        now: Any,
    ) -> None:
        assert not isinstance(assignments, Mapping), "a change over every record must stream"
        self._store.change_rules(upserts, deletes, self._counted(iter(assignments)), now=now)

    def _counted(self, pairs: Iterator[tuple[str, Assignment]]) -> Iterator[tuple[str, Assignment]]:
        for pair in pairs:
            self.written += 1
            yield pair


@pytest.fixture
async def many(embedded: Services) -> list[str]:
    records = [await archived(embedded, str(n), issued=date(2020, 1, n + 1)) for n in range(COUNT)]
    return sorted(r.id for r in records)


async def test_a_rule_change_recomputes_every_record_a_page_at_a_time(
    embedded: Services, many: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(retention, "_PAGE", PAGE)
    counting = CountingRetention(embedded.retention)
    monkeypatch.setattr(embedded, "retention", counting)
    rule = RetentionRule("CV-10", "Công văn", 10, document_types=("Công văn",))

    change = await asyncio.to_thread(retention.change_rules, embedded, RM, upserts=[rule])

    assert change.recomputed == COUNT and counting.written == COUNT
    assert counting.largest_page == PAGE  # never the whole archive in one read
    for record_id in many:
        stored = counting.assignment(record_id)
        assert stored is not None and stored[0].rule_code == "CV-10"
    again = await asyncio.to_thread(retention.recompute, embedded, RM)
    assert again.recomputed == 0 and counting.largest_page == PAGE


async def test_a_conflict_found_on_a_late_page_changes_nothing(
    embedded: Services, many: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(retention, "_PAGE", PAGE)
    long_rule = RetentionRule("CV-10", "Công văn", 30, document_types=("Công văn",))
    await asyncio.to_thread(retention.change_rules, embedded, RM, upserts=[long_rule])
    before = {r: embedded.retention.assignment(r) for r in many}
    shorter = RetentionRule("CV-10", "Công văn", 5, document_types=("Công văn",))

    with pytest.raises(Exception, match="Object Lock retention") as refused:
        await asyncio.to_thread(retention.change_rules, embedded, RM, upserts=[shorter])

    assert getattr(refused.value, "code", None) == "RETENTION_CONFLICT"
    assert sorted(getattr(refused.value, "record_ids", ())) == many  # every page was checked
    assert {r: embedded.retention.assignment(r) for r in many} == before
    assert {r.period_years for r in embedded.retention.rules()} == {30}


async def test_reconcile_walks_the_stores_in_pages_and_finds_every_kind_of_drift(
    embedded: Services, many: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reconcile_module, "_PAGE", PAGE)
    records = {r: embedded.records.get(r, UNRESTRICTED) for r in many}
    first, stale, gone, no_object = many[0], many[4], many[7], many[-1]
    await embedded.index.delete(first)
    with engine_of(embedded).begin() as conn:
        conn.execute(text("UPDATE records SET row_version = row_version + 1 WHERE id = :id"), {"id": stale})
        conn.execute(text("DELETE FROM records WHERE id = :id"), {"id": gone})
    lost = records[no_object]
    assert lost is not None
    (embedded.settings.blob_dir / "data" / lost.file.storage_key).unlink()
    stray = "records/00/not-a-record"
    embedded.blobs.put(stray, io.BytesIO(b"x"), size=1, sha256=_sha(b"x"), media_type="application/pdf")
    pages = _count_pages(embedded, monkeypatch)

    report = await reconcile(embedded)

    assert report.reindexed == [first, stale]
    assert report.removed_from_index == [gone]
    assert report.missing_objects == [no_object]
    gone_key = records[gone].file.storage_key  # type: ignore[union-attr]
    assert sorted(report.unreferenced_objects) == sorted([stray, gone_key])
    assert await indexed_ids(embedded) == set(many) - {gone}
    assert pages["records"] == [PAGE, PAGE]  # both streams in pages, never the archive
    assert pages["iter_all"] == []  # no record is hydrated to compare


def _count_pages(services: Services, monkeypatch: pytest.MonkeyPatch) -> dict[str, list[int]]:
    """Wrap the repository's streams: the page size each was asked for (the adapter reads
    exactly such keyset pages: tests/contract/test_record_repository.py), and any call
    that would hydrate every record."""
    pages: dict[str, list[int]] = {"records": [], "iter_all": []}
    repository = services.records
    versions, keys, every = repository.iter_versions, repository.iter_storage_keys, repository.iter_all

    def asked(stream: Any, batch_size: int) -> Any:
        pages["records"].append(batch_size)
        return stream(batch_size)

    def hydrate_all(batch_size: int = 500) -> Iterator[Any]:
        pages["iter_all"].append(batch_size)
        return every(batch_size)

    monkeypatch.setattr(repository, "iter_versions", lambda batch_size=1000: asked(versions, batch_size))
    monkeypatch.setattr(repository, "iter_storage_keys", lambda batch_size=1000: asked(keys, batch_size))
    monkeypatch.setattr(repository, "iter_all", hydrate_all)
    return pages


def _sha(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()
