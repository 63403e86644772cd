"""A scan deposited while OCR was unavailable ends PENDING_OCR; once tesseract with vie+eng
is there, the worker's start-up (or ``archive jobs retry --pending-ocr``) requeues it and
the record becomes searchable by the words on the page, its signature verdict untouched."""

from __future__ import annotations

import asyncio
import shutil

import pytest
from typer.testing import CliRunner

from archive.cli import app
from archive.factory import open_ocr_backlog
from archive.samples import SampleDocument
from archive.services.ocr_backlog import ocr_available, requeue_at_start, requeue_pending_ocr
from archive.services.worker import drain
from archive.settings import Settings
from archive.worker_processes import run_workers
from tests.support import hostile
from tests.support.graphql import api_client, deposited_id, metadata, open_services, record, settings_env
from tests.support.graphql import search_ids as search

pytestmark = [
    pytest.mark.tesseract,
    pytest.mark.skipif(shutil.which("tesseract") is None, reason="tesseract is not installed"),
]

BODY_FOLDED = "van ban dien tu gui di"  # words of the page, not of the metadata


def test_ocr_is_available_only_with_every_configured_language() -> None:
    assert ocr_available("vie+eng")
    assert not ocr_available("vie+xx-not-a-language")


async def _deposit_scan_without_ocr(settings: Settings) -> str:
    """Deposit a scan with OCR off and process it: it ends PENDING_OCR, unsearchable by its text."""
    off = settings.model_copy(update={"ocr_enabled": False})
    scan = hostile.scanned_pdf(settings.data_dir.parent / "scan.pdf", SampleDocument(), dpi=300)
    meta = metadata("51", subject="Về việc lưu trữ hồ sơ")
    async with open_services(off) as services, api_client(services) as client:
        record_id = await deposited_id(client, scan.read_bytes(), meta, name="scan.pdf")
        assert await drain(services) == 1
        await services.index.refresh()
        assert (await record(client, record_id))["textStatus"] == "PENDING_OCR"
        assert (await search(client, BODY_FOLDED))[1] == set()
        assert requeue_pending_ocr(services.ocr_backlog, off) == []  # OCR still off: nothing to do
    return record_id


async def test_the_worker_start_up_requeues_pending_ocr_records(stack_settings: Settings) -> None:
    record_id = await _deposit_scan_without_ocr(stack_settings)

    assert await asyncio.to_thread(run_workers, stack_settings, processes=1, once=True) == 0

    async with open_services(stack_settings) as services, api_client(services) as client:
        await services.index.refresh()
        found = await record(client, record_id)
        assert (found["textStatus"], found["processing"]["status"]) == ("OCR_DONE", "done")
        assert found["processing"]["stepsDone"] == ["seal", "verify", "extract", "index"]
        assert found["signatureStatus"] == {"verified": True, "signed": False, "allValid": False}
        assert (await search(client, BODY_FOLDED))[1] == {record_id}
    with open_ocr_backlog(stack_settings) as backlog:
        assert await asyncio.to_thread(requeue_at_start, backlog, stack_settings) == []  # nothing is left


def test_jobs_retry_pending_ocr_on_the_command_line(stack_settings: Settings) -> None:
    asyncio.run(_deposit_scan_without_ocr(stack_settings))
    env = settings_env(stack_settings)

    result = CliRunner().invoke(app, ["jobs", "retry", "--pending-ocr"], env=env)
    assert (result.exit_code, result.stdout.strip()) == (0, "1 records left PENDING_OCR requeued")
    again = CliRunner().invoke(app, ["jobs", "retry", "--pending-ocr"], env=env)
    assert again.stdout.strip() == "0 records left PENDING_OCR requeued"  # its job is still pending

    off = CliRunner().invoke(
        app, ["jobs", "retry", "--pending-ocr"], env={**env, "ARCHIVE_OCR_ENABLED": "false"}
    )
    assert off.exit_code == 1 and "tesseract-ocr-vie" in off.stderr
    with open_ocr_backlog(stack_settings) as backlog:
        assert requeue_pending_ocr(backlog, stack_settings) == []
