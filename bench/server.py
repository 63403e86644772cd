"""The API in its own process, as deployed: ``archive serve`` (or uvicorn on a bench
app factory) with ``ARCHIVE_*`` variables from a Settings, on a free loopback port."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from archive.settings import Settings
from bench.stack import settings_env


@dataclass(frozen=True)
class Server:
    url: str
    pid: int


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def serve(settings: Settings, cwd: Path, *, factory: str | None = None) -> Iterator[Server]:
    """Run the API until the block ends. ``factory`` (``module:function``) replaces
    ``archive serve`` with uvicorn on that app factory, one process either way."""
    port = free_port()
    if factory is None:
        command = [str(Path(sys.executable).parent / "archive"), "serve", "--port", str(port)]
    else:
        command = [sys.executable, "-m", "uvicorn", "--factory", factory, "--port", str(port)]
        command += ["--log-level", "warning", "--no-access-log"]
    env = {**os.environ, **settings_env(settings), "PYTHONPATH": str(Path(__file__).parents[1])}
    cwd.mkdir(parents=True, exist_ok=True)
    with (cwd / "server.log").open("wb") as log:
        process = subprocess.Popen(command, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            url = f"http://127.0.0.1:{port}"
            _wait_healthy(url, process)
            yield Server(url, process.pid)
        finally:
            process.terminate()
            process.wait(timeout=30)


def _wait_healthy(url: str, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}; see server.log")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        time.sleep(0.2)
    raise RuntimeError("the server did not answer /healthz in time")
