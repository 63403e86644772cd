"""What a file is, in PRONOM's terms: the answer of a format identifier.

PRONOM (The National Archives, UK) is the registry digital archives use to name file
formats; a PUID such as ``fmt/276`` (PDF 1.7) is what PREMIS's ``formatRegistryKey``
carries. The identifier reads the bytes' signatures (magic numbers, trailers,
container contents), never the file name: a PDF saved as ``x.html`` is still a PDF.
Standard library only.
"""

from __future__ import annotations

from dataclasses import dataclass

PRONOM = "PRONOM"  # PREMIS formatRegistryName


@dataclass(frozen=True, slots=True)
class FormatTool:
    """The identifier that gave an answer, for PREMIS's agent and event detail."""

    name: str  # "fido"
    version: str  # the tool's own version
    signatures: str  # the signature set it matched against ("PRONOM v109")

    def describe(self) -> str:
        """``fido 1.6.1 (PRONOM v109)``."""
        return f"{self.name} {self.version} ({self.signatures})"


@dataclass(frozen=True, slots=True)
class FormatIdentification:
    """One file's format, or ``puid`` None when no signature matched.

    ``basis`` says how the match was made: ``signature`` (byte patterns) or
    ``container`` (the entries of a ZIP or OLE2 container); never the extension.
    """

    puid: str | None
    name: str
    version: str | None
    mime_type: str | None
    basis: str
    tool: FormatTool

    @property
    def identified(self) -> bool:
        """Whether a signature matched."""
        return self.puid is not None


def unidentified(tool: FormatTool) -> FormatIdentification:
    """What a file no signature matches is: an unknown format, said so plainly."""
    return FormatIdentification(None, "unidentified", None, None, "none", tool)
