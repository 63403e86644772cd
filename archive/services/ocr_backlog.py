"""Records left ``PENDING_OCR`` are picked up once OCR becomes available.

``archive worker`` calls ``requeue_at_start`` once at start-up (in the parent,
before any worker process starts, so N processes do not enqueue N times), and
``archive serve`` before it starts its embedded worker; ``archive jobs retry
--pending-ocr`` calls ``requeue_pending_ocr`` on demand. Each is handed the
``OcrBacklog`` port (``archive.factory.open_ocr_backlog``). OCR counts as available when OCR is enabled
and the ``tesseract`` on PATH lists every configured language (``vie+eng``).
"""

from __future__ import annotations

import logging
import shutil
import subprocess
from datetime import UTC, datetime

from archive.domain.errors import ServiceUnavailable
from archive.domain.ports import OcrBacklog
from archive.settings import Settings

log = logging.getLogger(__name__)


def ocr_available(languages: str) -> bool:
    """Whether ``tesseract`` is installed with every language of ``languages`` (``vie+eng``)."""
    binary = shutil.which("tesseract")
    if binary is None:
        return False
    try:
        listing = subprocess.run(  # noqa: S603 - our own fixed arguments
            [binary, "--list-langs"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    installed = {line.strip() for line in listing.stdout.splitlines()[1:]}
    return all(lang in installed for lang in languages.split("+") if lang)


def requeue_pending_ocr(backlog: OcrBacklog, settings: Settings) -> list[str]:
    """Give every PENDING_OCR record a new extract-and-index job, when OCR now works.

    Returns the record ids requeued (none when OCR is still unavailable).
    """
    if not settings.ocr_enabled or not ocr_available(settings.ocr_languages):
        return []
    now = datetime.now(UTC)
    requeued = backlog.requeue(now=now, max_attempts=settings.job_max_attempts)
    if requeued:
        log.info("OCR is available: %d records left PENDING_OCR requeued", len(requeued))
    return requeued


def requeue_at_start(backlog: OcrBacklog, settings: Settings) -> list[str]:
    """``requeue_pending_ocr`` for process start-up.

    A database that cannot be reached yet is logged, not raised: start-up goes
    on, and the next start (or ``archive jobs retry --pending-ocr``) catches up.
    """
    try:
        return requeue_pending_ocr(backlog, settings)
    except ServiceUnavailable as exc:
        log.warning("records left PENDING_OCR not requeued at start-up: %s", exc.message)
        return []
