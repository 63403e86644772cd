"""The backup drill, on both stacks: deposit signed PDFs, process them, back up, restore
into a new empty deployment, and find every record byte-identical, searchable, with
the same signature verdict and Object Lock state, and an intact audit chain. Then an
incremental run copies only the new version, and ``backup verify`` catches a tampered
copy."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import UTC
from pathlib import Path
from typing import Any

import httpx
import pytest

from archive.domain.audit import verify_chain
from archive.domain.backup import BACKUP_ACTION, RESTORE_ACTION, BackupRefused, Kind, copy_name
from archive.samples import SampleDocument, render_pdf
from archive.services.backup import last_backup_time, restore_backup, run_backup, verify_backup
from archive.services.container import Services
from archive.services.fixity import run_fixity
from archive.services.pipeline import load_trust_roots
from archive.services.worker import drain
from archive.settings import Settings
from indexing.signatures import verify_pdf_signatures
from storage.backup_target import DirectoryTarget
from tests.e2e.test_pipeline import signature_cases
from tests.support.graphql import api_client, deposited_id, fetch, metadata, open_services, record, search_ids

pytestmark = pytest.mark.slow


async def _deposit_and_process(services: Services, client: httpx.AsyncClient) -> dict[str, str]:
    """The five signature cases and an unsigned PDF, processed; global ids by case name."""
    cases = await asyncio.to_thread(signature_cases, services.settings.resolved_trust_roots_dir)
    ids = {}
    for n, (name, (data, _)) in enumerate(cases.items(), 1):
        ids[name] = await deposited_id(client, data, metadata(str(n)))
    ids["unsigned"] = await deposited_id(client, render_pdf(SampleDocument(number="9")), metadata("9"))
    assert await drain(services) == len(ids)
    await services.index.refresh()
    return ids


async def _view(client: httpx.AsyncClient, ids: dict[str, str]) -> dict[str, Any]:
    """What a portal sees of each record, and its downloaded bytes (links differ by design)."""
    seen: dict[str, Any] = {}
    for name, global_id in ids.items():
        found = await record(client, global_id)
        url = found.pop("download")["url"]
        seen[name] = {"record": found, "bytes": await fetch(client, url)}
    return seen


def _lock_states(services: Services) -> dict[str, tuple[object, bool]]:
    """(retention, legal hold) of every record's object, by storage key."""
    states: dict[str, tuple[object, bool]] = {}
    for rec in services.records.iter_all():
        key, version = rec.file.storage_key, rec.file.version_id
        hold = services.blobs.get_legal_hold(key, version)
        states[key] = (services.blobs.get_retention(key, version), hold)
    return states


def _verdicts_from_bytes(services: Services, scratch: Path) -> dict[str, list[str]]:
    """Signature verdicts recomputed from the stored bytes, by record id."""
    roots = load_trust_roots(services)
    verdicts = {}
    for rec in services.records.iter_all():
        path = scratch / rec.id
        chunks = services.blobs.iter_bytes(rec.file.storage_key, version_id=rec.file.version_id)
        path.write_bytes(b"".join(chunks))
        reports = verify_pdf_signatures(path, roots, moment=rec.created_at)
        verdicts[rec.id] = [r.verdict.value for r in reports]
    return verdicts


async def test_backup_wipe_restore_drill(
    services: Services, empty_deployment: Settings, tmp_path: Path
) -> None:
    target = DirectoryTarget(tmp_path / "backup")
    async with api_client(services) as client:
        ids = await _deposit_and_process(services, client)
        before = await _view(client, ids)
        hits_before = await search_ids(client, "chu ky so")
    locks_before = await asyncio.to_thread(_lock_states, services)
    verdicts_before = await asyncio.to_thread(_verdicts_from_bytes, services, tmp_path)
    verdicts = sorted(v for vs in verdicts_before.values() for v in vs)
    assert verdicts == ["invalid", "invalid", "untrusted", "valid", "valid"]  # the stamped copy is valid

    certificate = services.settings.data_dir / "certificates" / "batch-1.json"
    certificate.parent.mkdir(parents=True)
    certificate.write_text('{"batch": "1", "destroyed": ["Quyết định 5/QĐ-UBND"]}', encoding="utf-8")

    report = await asyncio.to_thread(run_backup, services, target, actor="cli:drill")
    assert report.manifest.kind is Kind.FULL
    assert [f.name for f in report.manifest.files] == ["certificates/batch-1.json"]
    assert len(report.manifest.objects) == len(ids) == report.manifest.copied
    manifest_bytes = Path(report.manifest_location).read_bytes()
    assert hashlib.sha256(manifest_bytes).hexdigest() == report.manifest_sha256
    [entry] = services.audit.find(_backup_filter(), first=1)
    assert entry.details["manifest_sha256"] == report.manifest_sha256
    assert last_backup_time(services) == entry.at.replace(tzinfo=entry.at.tzinfo or UTC)

    async with open_services(empty_deployment) as restored:
        result = await restore_backup(restored, target, actor="cli:drill")
        assert (result.objects, result.not_restored, result.indexed) == (len(ids), (), len(ids))
        await restored.index.refresh()
        async with api_client(restored) as client:
            assert await _view(client, ids) == before  # byte-identical, same verdicts, same text
            assert await search_ids(client, "chu ky so") == hits_before
        assert await asyncio.to_thread(_lock_states, restored) == locks_before
        restored_certificate = empty_deployment.data_dir / "certificates" / "batch-1.json"
        assert restored_certificate.read_bytes() == certificate.read_bytes()
        scratch = tmp_path / "recheck"
        scratch.mkdir()
        assert await asyncio.to_thread(_verdicts_from_bytes, restored, scratch) == verdicts_before
        fixity = await asyncio.to_thread(run_fixity, restored, actor="cli:drill")
        assert (fixity.ok, fixity.changed, fixity.missing) == (len(ids), (), ())
        chain = verify_chain(restored.audit.entries())
        assert chain.ok, chain
        actions = [e.action for e in restored.audit.entries()]
        assert actions.count(RESTORE_ACTION) == 1 and BACKUP_ACTION not in actions  # run after the dump

        with pytest.raises(BackupRefused, match="empty deployment"):
            await restore_backup(restored, target, actor="cli:drill")


async def test_incremental_run_copies_only_the_new_version_and_verify_catches_tampering(
    services: Services, tmp_path: Path
) -> None:
    target = DirectoryTarget(tmp_path / "backup")
    async with api_client(services) as client:
        await deposited_id(client, render_pdf(SampleDocument(number="1")), metadata("1"))
        await deposited_id(client, render_pdf(SampleDocument(number="2")), metadata("2"))
        assert await drain(services) == 2
        first = await asyncio.to_thread(run_backup, services, target, actor="cli:drill")
        await deposited_id(client, render_pdf(SampleDocument(number="3")), metadata("3"))
        assert await drain(services) == 1
    second = await asyncio.to_thread(run_backup, services, target, actor="cli:drill")
    assert (second.manifest.kind, second.manifest.copied, len(second.manifest.objects)) == (
        Kind.INCREMENTAL,
        1,
        3,
    )
    seen_first = {(e.key, e.version_id) for e in first.manifest.objects}
    keys_now = {r.file.storage_key for r in services.records.iter_all()}
    [new_key] = keys_now - {key for key, _ in seen_first}
    assert [e.key for e in second.manifest.objects if (e.key, e.version_id) not in seen_first] == [new_key]
    full = await asyncio.to_thread(run_backup, services, target, actor="cli:drill", full=True)
    assert (full.manifest.kind, full.manifest.copied) == (Kind.FULL, 3)
    assert verify_backup(target).ok

    victim = second.manifest.objects[0]
    copy = tmp_path / "backup" / copy_name(victim.sha256)
    copy.write_bytes(copy.read_bytes()[:-1] + b"X")
    result = verify_backup(target)
    assert not result.ok
    assert [p.entry for p in result.problems] == [f"{victim.key}@{victim.version_id or '-'}"]
    assert "SHA-256" in result.problems[0].reason


def _backup_filter() -> Any:
    from archive.db.audit import AuditFilter

    return AuditFilter(action=BACKUP_ACTION)
