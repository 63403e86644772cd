"""A test-only crash point: die like a killed process right after a step.

``ARCHIVE_CRASH_AFTER_STEP=<step>`` makes the process call ``os._exit(70)`` once
the named step's work is committed but before anything records it as done: no
``finally`` block, no cleanup, no flush, exactly what ``kill -9`` or a power cut
leaves behind. The crash-loop test (tests/e2e/test_crash_loop.py) uses it to show
that a clean worker always finishes the job and nothing is lost or duplicated.
"""

from __future__ import annotations

import os

from archive.settings import Settings

CRASH_EXIT_CODE = 70
# "processed": after the record.processed audit entry, before the job is marked done.
CRASH_POINTS: tuple[str, ...] = ("upload", "commit", "seal", "verify", "extract", "index", "processed")


def crash_point(settings: Settings, step: str) -> None:
    """Exit the process at once when ``settings.crash_after_step`` names ``step``."""
    if settings.crash_after_step == step:
        os._exit(CRASH_EXIT_CODE)
