"""The format identification port: PRONOM identification of files on disk."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Protocol, runtime_checkable

from archive.domain.formats import FormatIdentification, FormatTool


@runtime_checkable
class FormatIdentifier(Protocol):
    """Identifies files by their bytes' signatures (never their names). Blocking."""

    @property
    def tool(self) -> FormatTool:
        """The identifier and the signature set it uses."""
        ...

    def identify(self, paths: Sequence[Path]) -> dict[Path, FormatIdentification]:
        """Each path's format (``unidentified`` where nothing matched), in one run of the
        tool for all of them: starting the identifier costs more than a file does.

        Raises:
            ServiceUnavailable: the identifier is not installed or failed.
        """
        ...
