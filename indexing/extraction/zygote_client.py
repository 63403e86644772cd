"""The calling process's side of the extraction zygote (``indexing.extraction.zygote``).

One zygote per calling process, started on first use and used by one extraction
at a time. The parent keeps the wall-clock deadline: it learns the child's pid as
soon as it is forked and kills its process group when time is up, so a wedged
zygote cannot stretch a deadline either.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from indexing.extraction.jsonlines import JsonLines, send

log = logging.getLogger(__name__)

# After two zygotes in a row failed, extractions use fresh interpreters for a while
# rather than paying for two zygote starts on every document.
_COOL_DOWN_SECONDS = 60.0
_CLOSE_SECONDS = 5.0


@dataclass(frozen=True, slots=True)
class WorkerExit:
    """How an extraction process ended."""

    status: int  # as os.waitstatus_to_exitcode: negative for a signal
    killed_at_deadline: bool
    cpu_seconds: float


class ZygoteFailed(Exception):
    """The zygote died, broke the protocol or cannot be started; the document was not judged."""


class Zygote:
    """A running zygote process and its pipes."""

    def __init__(self, env: dict[str, str]) -> None:
        self.process = subprocess.Popen(  # our own interpreter and module
            [sys.executable, "-m", "indexing.extraction.zygote"],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            # Not in the caller's process group: a Ctrl-C or a group kill meant for the
            # caller reaches the zygote as EOF on its stdin instead.
            start_new_session=True,
        )
        assert self.process.stdin is not None and self.process.stdout is not None
        self._requests = self.process.stdin.fileno()
        self._replies = JsonLines(self.process.stdout.fileno())

    @property
    def pid(self) -> int:
        """The zygote's process id."""
        return self.process.pid

    def alive(self) -> bool:
        """Whether the zygote still runs (reaps it if not)."""
        return self.process.poll() is None

    def run(self, request: Path, workdir: Path, stderr: Path, wall_seconds: float) -> WorkerExit:
        """Extract in a child forked by the zygote, killing its group at the deadline.

        Raises:
            ZygoteFailed: the zygote died or misbehaved; no child of this request is left running.
        """
        deadline = time.monotonic() + wall_seconds
        self._send({"request": str(request), "workdir": str(workdir), "stderr": str(stderr)})
        pid = self._number(self._receive(deadline), "pid")
        try:
            killed = False
            while not self._replies.ready(None if killed else max(0.0, deadline - time.monotonic())):
                kill_group(pid)
                killed = True
            if self._number(self._receive(None), "exited") != pid:
                raise ZygoteFailed("the zygote reported another child")
            kill_group(pid)  # leftovers: a tesseract the worker did not wait for
            self._send({"reap": pid})
            ended = self._receive(None)
        except ZygoteFailed:
            kill_group(pid)  # an orphan now: it must not write into a retry's output
            raise
        return WorkerExit(
            status=os.waitstatus_to_exitcode(self._number(ended, "status")),
            killed_at_deadline=killed,
            cpu_seconds=float(ended.get("cpu", 0.0)),
        )

    def close(self) -> None:
        """End the zygote (EOF on its stdin) and reap it; kill it if it lingers."""
        with contextlib.suppress(OSError):
            assert self.process.stdin is not None
            self.process.stdin.close()
        try:
            self.process.wait(_CLOSE_SECONDS)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        assert self.process.stdout is not None
        self.process.stdout.close()

    def _send(self, message: dict[str, Any]) -> None:
        try:
            send(self._requests, message)
        except OSError as error:  # BrokenPipeError: the zygote is gone
            raise ZygoteFailed(f"cannot write to the zygote: {error}") from error

    def _receive(self, deadline: float | None) -> dict[str, Any]:
        timeout = None if deadline is None else max(0.0, deadline - time.monotonic())
        if not self._replies.ready(timeout):
            raise ZygoteFailed("the zygote did not answer in time")
        try:
            message = self._replies.read()
        except (OSError, ValueError) as error:
            raise ZygoteFailed(f"unreadable answer from the zygote: {error}") from error
        if message is None:
            raise ZygoteFailed("the zygote exited")
        if "error" in message:
            raise ZygoteFailed(str(message["error"]))
        return message

    @staticmethod
    def _number(message: dict[str, Any], key: str) -> int:
        value = message.get(key)
        if not isinstance(value, int):
            raise ZygoteFailed(f"expected {key!r} from the zygote, got {message!r}")
        return value


def kill_group(pid: int) -> None:
    """SIGKILL a process group, if it still exists."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


@dataclass(slots=True)
class _Shared:
    lock: threading.Lock
    zygote: Zygote | None = None
    cool_down_until: float = 0.0
    stops_at_exit: bool = False


_shared = _Shared(threading.Lock())
_inherited: list[_Shared] = []


def _after_fork_in_child() -> None:
    # A forked caller starts its own zygote; the parent's stays the parent's (its
    # pipes are kept referenced, not closed under the parent's file objects).
    global _shared
    _inherited.append(_shared)
    _shared = _Shared(threading.Lock())


os.register_at_fork(after_in_child=_after_fork_in_child)


def run_in_zygote(
    request: Path, workdir: Path, stderr: Path, wall_seconds: float, env: dict[str, str]
) -> WorkerExit:
    """Run one extraction in this process's zygote, restarting it once if it fails.

    Raises:
        ZygoteFailed: two zygotes in a row failed, or they recently did (cool-down).
    """
    with _shared.lock:
        if time.monotonic() < _shared.cool_down_until:
            raise ZygoteFailed("the zygote failed recently")
        for attempt in (1, 2):
            try:
                return _zygote(env).run(request, workdir, stderr, wall_seconds)
            except ZygoteFailed as error:
                log.warning("extraction zygote failed (attempt %d): %s", attempt, error)
                _discard()
        _shared.cool_down_until = time.monotonic() + _COOL_DOWN_SECONDS
        raise ZygoteFailed("the zygote failed twice in a row")


def start_zygote(env: dict[str, str]) -> None:
    """Start this process's zygote now, so its imports are done before the first
    document instead of inside it. A failure here is left for ``run_in_zygote``."""
    with _shared.lock, contextlib.suppress(ZygoteFailed):
        _zygote(env)


def zygote_pid() -> int | None:
    """The pid of this process's zygote, if one runs."""
    zygote = _shared.zygote
    return zygote.pid if zygote is not None and zygote.alive() else None


def stop_zygote() -> None:
    """End this process's zygote, if any (a new one starts on next use)."""
    with _shared.lock:
        _discard()


def _zygote(env: dict[str, str]) -> Zygote:
    if _shared.zygote is not None and not _shared.zygote.alive():
        _discard()
    if _shared.zygote is None:
        if not _shared.stops_at_exit:
            atexit.register(stop_zygote)
            _shared.stops_at_exit = True
        try:
            _shared.zygote = Zygote(env)
        except OSError as error:
            raise ZygoteFailed(f"cannot start the zygote: {error}") from error
    return _shared.zygote


def _discard() -> None:
    zygote, _shared.zygote = _shared.zygote, None
    if zygote is not None:
        zygote.close()
