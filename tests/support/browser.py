"""A headless Chromium driven over the DevTools protocol (aiohttp's websocket client),
with every request to anything but loopback failed and recorded: the isolated network
the README recommends for classified collections, in one process."""

from __future__ import annotations

import asyncio
import itertools
import json
import shutil
import subprocess
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp

LOOPBACK = ("127.0.0.1", "localhost", "[::1]")


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


class Page:
    """One tab: send commands, evaluate script, and the requests it tried."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self._ws = ws
        self._ids = itertools.count(1)
        self._answers: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self.blocked: list[str] = []  # requests to anywhere else, failed
        self.requested: list[str] = []
        self.errors: list[str] = []  # uncaught exceptions and console errors of the page
        self._reader = asyncio.create_task(self._read())

    async def send(self, method: str, **params: Any) -> dict[str, Any]:
        number = next(self._ids)
        answer = asyncio.get_running_loop().create_future()
        self._answers[number] = answer
        await self._ws.send_str(json.dumps({"id": number, "method": method, "params": params}))
        return await asyncio.wait_for(answer, timeout=30)

    async def evaluate(self, expression: str) -> Any:
        reply = await self.send(
            "Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True
        )
        return reply.get("result", {}).get("value")

    async def wait_for(self, expression: str, timeout: float = 30) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = await self.evaluate(expression)
            if value:
                return value
            await asyncio.sleep(0.25)
        raise TimeoutError(f"still false after {timeout} s: {expression}")

    async def _read(self) -> None:
        async for message in self._ws:
            data = json.loads(message.data)
            if "id" in data and data["id"] in self._answers:
                self._answers.pop(data["id"]).set_result(data.get("result", {}))
            elif data.get("method") == "Fetch.requestPaused":
                await self._screen(data["params"])
            elif data.get("method") == "Runtime.exceptionThrown":
                self.errors.append(json.dumps(data["params"]["exceptionDetails"])[:2000])
            elif data.get("method") == "Runtime.consoleAPICalled" and data["params"]["type"] == "error":
                self.errors.append(json.dumps(data["params"]["args"])[:2000])
            elif data.get("method") == "Log.entryAdded" and data["params"]["entry"]["level"] == "error":
                # The browser's own errors: a load the Content-Security-Policy refused, a failed fetch.
                self.errors.append(str(data["params"]["entry"].get("text", ""))[:2000])

    async def _screen(self, params: dict[str, Any]) -> None:
        url = params["request"]["url"]
        self.requested.append(url)
        host = urlsplit(url).hostname or ""
        if url.startswith("data:") or host in ("127.0.0.1", "localhost", "::1"):
            await self._fire("Fetch.continueRequest", requestId=params["requestId"])
        else:
            self.blocked.append(url)
            await self._fire(
                "Fetch.failRequest", requestId=params["requestId"], errorReason="AddressUnreachable"
            )

    async def _fire(self, method: str, **params: Any) -> None:
        await self._ws.send_str(json.dumps({"id": next(self._ids), "method": method, "params": params}))


@asynccontextmanager
async def isolated_page(profile: Path) -> AsyncIterator[Page]:
    """A headless Chromium tab that can reach loopback only (resolver and interception)."""
    binary = chromium()
    assert binary is not None
    command = [
        binary, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        f"--user-data-dir={profile}", "--remote-debugging-port=0",
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost",
        "about:blank",
    ]  # fmt: skip
    process = subprocess.Popen(
        command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        port = await _devtools_port(profile, process)
        async with aiohttp.ClientSession() as session:
            async with session.get(f"http://127.0.0.1:{port}/json/list") as response:
                targets = await response.json()
            url = next(t["webSocketDebuggerUrl"] for t in targets if t["type"] == "page")
            async with session.ws_connect(url, max_msg_size=0) as ws:
                page = Page(ws)
                await page.send("Fetch.enable", patterns=[{"urlPattern": "*"}])
                await page.send("Runtime.enable")
                await page.send("Log.enable")
                yield page
    finally:
        process.terminate()
        process.wait(timeout=30)


async def _devtools_port(profile: Path, process: subprocess.Popen[bytes]) -> int:
    marker = profile / "DevToolsActivePort"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"chromium exited {process.returncode}")
        if marker.exists() and marker.read_text().strip():
            return int(marker.read_text().split()[0])
        await asyncio.sleep(0.1)
    raise TimeoutError("chromium did not open its DevTools port")
