"""``FormatIdentifier`` by fido, run in its own virtualenv as a subprocess.

Why fido and a subprocess: siegfried (Go) is not served by the module proxy this
project builds from, and fido (PyPI: ``opf-fido``) ships PRONOM's signature files in
its wheel, so it identifies offline with nothing fetched at run time. It pins old
dependencies of its own, hence a virtualenv apart from the archive's (made by
``scripts/provision``). A few processes identify every file of a package: fido takes
about half a second to load its signatures, then about 12 ms of CPU a PDF.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from archive.domain.errors import ServiceUnavailable
from archive.domain.formats import FormatIdentification, FormatTool, unidentified

_RUNNER = Path(__file__).with_name("_fido_runner.py")
# When several formats match equally, fido lists them all; the first is fido's own
# priority order (PRONOM's "has priority over" relations already applied).
_TIMEOUT_SECONDS = 600
_MAX_WORKERS = 4
_MIN_CHUNK = 50
_ENV = {"PATH": "/usr/bin:/bin", "LC_ALL": "C.UTF-8", "PYTHONIOENCODING": "utf-8"}


class FidoIdentifier:
    """Identifies files with fido; ``python`` is the interpreter of fido's virtualenv."""

    def __init__(self, python: Path) -> None:
        self._python = python
        self._tool: FormatTool | None = None

    @property
    def tool(self) -> FormatTool:
        """fido's version and its PRONOM signature release (asked of fido once)."""
        if self._tool is None:
            self._tool = _tool_of(self._run([])["tool"])
        return self._tool

    def identify(self, paths: Sequence[Path]) -> dict[Path, FormatIdentification]:
        """Each path's format: one fido run for a few files, one per core for many (fido
        spends about 12 ms of CPU on a PDF, so a 500-document dossier takes seconds)."""
        chunks = _chunks([str(p) for p in paths], workers=min(os.cpu_count() or 1, _MAX_WORKERS))
        with ThreadPoolExecutor(max_workers=max(len(chunks), 1)) as pool:
            answers = list(pool.map(self._run, chunks))
        files: dict[str, list[dict[str, Any]]] = {}
        for answer in answers:
            self._tool = _tool_of(answer["tool"])
            files.update(answer["files"])
        tool = self.tool
        return {p: _first(files.get(str(p), []), tool) for p in paths}

    def _run(self, paths: list[str]) -> dict[str, Any]:
        if not self._python.is_file():
            raise ServiceUnavailable(
                f"format identification: fido is not installed at {self._python} (run scripts/provision)"
            )
        try:
            done = subprocess.run(  # noqa: S603 - our own runner, paths passed as JSON on stdin
                [str(self._python), "-I", str(_RUNNER)],
                input=json.dumps(paths).encode(),
                capture_output=True,
                timeout=_TIMEOUT_SECONDS,
                env=_ENV,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as error:
            raise ServiceUnavailable(f"format identification failed: {error}") from error
        if done.returncode != 0:
            tail = done.stderr.decode(errors="replace").strip().splitlines()[-1:] or ["no output"]
            raise ServiceUnavailable(f"format identification failed: {tail[0]}")
        parsed: dict[str, Any] = json.loads(done.stdout)
        return parsed


def _chunks(paths: list[str], *, workers: int) -> list[list[str]]:
    """``paths`` split for ``workers`` processes, none with fewer than ``_MIN_CHUNK`` files
    (starting fido costs about half a second); at least one chunk, even if empty."""
    count = max(1, min(workers, len(paths) // _MIN_CHUNK))
    return [paths[i::count] for i in range(count)]


def _tool_of(raw: dict[str, str]) -> FormatTool:
    return FormatTool(name="fido", version=raw["version"], signatures=f"PRONOM v{raw['pronom']}")


def _first(matches: list[dict[str, Any]], tool: FormatTool) -> FormatIdentification:
    if not matches:
        return unidentified(tool)
    best = matches[0]
    return FormatIdentification(
        puid=best["puid"],
        name=best["name"] or best["puid"],
        version=best["version"],
        mime_type=best["mime"],
        basis=best["basis"] or "signature",
        tool=tool,
    )
