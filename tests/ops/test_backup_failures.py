"""A backup run that fails is audited too (outcome ``error``, with the reason), and leaves
no finished snapshot behind; ``last_backup_time`` ignores it."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from archive.db.audit import AuditFilter
from archive.domain.audit import Outcome
from archive.domain.backup import BACKUP_ACTION
from archive.services.backup import last_backup_time, latest_manifest, run_backup
from storage.backup_target import DirectoryTarget
from tests.conftest import embedded_settings
from tests.support.graphql import open_services


async def test_a_failed_run_is_audited_and_leaves_no_snapshot(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the target directory should be")
    target = DirectoryTarget(blocker)
    async with open_services(embedded_settings(tmp_path / "data")) as services:
        with pytest.raises(OSError):
            await asyncio.to_thread(run_backup, services, target, actor="cli:test")
        [entry] = services.audit.find(AuditFilter(action=BACKUP_ACTION), first=5)
        assert entry.outcome == Outcome.ERROR
        assert str(entry.details["error"]).startswith(("NotADirectoryError", "FileExistsError"))
        assert entry.target == str(blocker)
        assert last_backup_time(services) is None
        assert latest_manifest(DirectoryTarget(blocker)) is None
