"""Stopping and starting ONE real service of the running set, for the outage tests.

The test command (scripts/test) starts the services in a run directory and its env
file names it as ARCHIVE_TEST_SERVICES_RUN; ``scripts/services stop-one`` and
``start-one`` take one server away and bring it back on the same port with the
same credentials and data, so clients reconnect without being rebuilt.
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest

RUN_ENV = "ARCHIVE_TEST_SERVICES_RUN"
SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "services"


def run_dir() -> str:
    """The services' run directory; skips the test when the services were not started
    by scripts/services (then nothing here may stop them)."""
    run = os.environ.get(RUN_ENV, "")
    if not run or not Path(run).is_dir():
        pytest.skip(f"{RUN_ENV} is not set: run scripts/test, whose services these tests stop and restart")
    return run


class Switch:
    """Stops and starts services of the run; remembers which are down, so the
    fixture can bring them back even when the test failed half-way."""

    def __init__(self, run: str) -> None:
        self._run = run
        self._down: list[str] = []

    def stop(self, service: str, *, kill: bool = False) -> float:
        """Stop ``service`` (SIGKILL with ``kill``); returns the seconds it took."""
        self._down.append(service)
        return self._services("stop-one", service, *(["kill"] if kill else []))

    def start(self, service: str) -> float:
        """Start ``service`` again and wait until it is healthy; returns the seconds it took."""
        took = self._services("start-one", service)
        self._down.remove(service)
        return took

    def restore(self) -> None:
        """Start whatever this test stopped and did not start again."""
        for service in list(self._down):
            self.start(service)

    def _services(self, command: str, service: str, *extra: str) -> float:
        started = time.monotonic()
        subprocess.run(
            [str(SCRIPT), command, self._run, service, *extra],
            check=True,
            stdin=subprocess.DEVNULL,
            timeout=300,
        )
        return time.monotonic() - started
