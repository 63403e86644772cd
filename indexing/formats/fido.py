"""``FormatIdentifier`` by fido, run in its own virtualenv as a subprocess.

Why fido and a subprocess: siegfried (Go) is not served by the module proxy this
project builds from, and fido (PyPI: ``opf-fido``) ships PRONOM's signature files in
its wheel, so it identifies offline with nothing fetched at run time. It pins old
dependencies of its own, hence a virtualenv apart from the archive's (made by
``scripts/provision``). One process identifies every file of a package: fido takes
about half a second to load its signatures, then milliseconds a file.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from archive.domain.errors import ServiceUnavailable
from archive.domain.formats import FormatIdentification, FormatTool, unidentified

_RUNNER = Path(__file__).with_name("_fido_runner.py")
# When several formats match equally, fido lists them all; the first is fido's own
# priority order (PRONOM's "has priority over" relations already applied).
_TIMEOUT_SECONDS = 600
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
        """Each path's format, in one fido run for all of them."""
        answer = self._run([str(p) for p in paths])
        tool = self._tool = _tool_of(answer["tool"])
        files: dict[str, list[dict[str, Any]]] = answer["files"]
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
