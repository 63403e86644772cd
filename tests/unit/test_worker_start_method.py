"""Worker processes are forked only from a single-threaded parent (fork copies one thread:
a lock another thread holds would stay held in the child); otherwise spawned."""

from __future__ import annotations

import threading

from archive.worker_processes import _context


def test_a_single_threaded_parent_forks_and_a_threaded_one_spawns() -> None:
    alone = threading.active_count() == 1
    assert _context().get_start_method() == ("fork" if alone else "spawn")
    release = threading.Event()
    other = threading.Thread(target=release.wait)
    other.start()
    try:
        assert _context().get_start_method() == "spawn"
    finally:
        release.set()
        other.join()
