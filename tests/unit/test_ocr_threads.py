"""Tesseract runs single-threaded in the worker: its OpenMP threads make it several
times slower when every core already runs a worker process."""

from __future__ import annotations

import pytest

from indexing.extraction.sandbox import _worker_env


def test_the_extraction_sandbox_pins_tesseract_to_one_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OMP_THREAD_LIMIT", "8")  # whatever the operator's shell says

    assert _worker_env()["OMP_THREAD_LIMIT"] == "1"
