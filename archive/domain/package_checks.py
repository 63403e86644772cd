"""What a transfer package received from another system must pass before anything of it is stored.

A package (a SIP of Circular 05/2025/TT-BNV, an extension of E-ARK CSIP 2.0.4) comes
from outside, so every part of it is hostile until checked: the zip (entry count,
sizes, compression ratio, paths that escape the package folder), the XML (no DTD, no
entities, no network), the METS (a known profile and schema version, every listed
file present with the stated size and SHA-256) and the schemas the package ships
(every XML validates against them, and only against local copies).

Each problem is a ``Failure`` naming the part (an entry path, a METS element) and what
is wrong with it. A package with any failure is refused whole (``PackageInvalid``),
and nothing of it is stored.
"""

from __future__ import annotations

from dataclasses import dataclass

from archive.domain.errors import ArchiveError

MIB = 1024 * 1024
GIB = 1024 * MIB


@dataclass(frozen=True, slots=True)
class Failure:
    """One failed check: ``part`` names where (``PACKAGE/METS.xml``, ``METS.xml: file[@ID='x']``),
    ``problem`` says what is wrong, ``check`` names the rule (stable, for machines)."""

    check: str
    part: str
    problem: str

    def __str__(self) -> str:
        return f"{self.part}: {self.problem}"


# The names of the checks, as reported in ``Failure.check`` (and in ``--json``).
ZIP = "zip"  # not a zip, encrypted, an unsupported compression, duplicate names
ZIP_LIMIT = "zip_limit"  # entry count, entry size, total size, compression ratio
PATH = "path"  # escapes the package folder: ../, absolute, a drive letter, a link
LAYOUT = "layout"  # not one folder named after the OBJID, METS.xml missing
XML = "xml"  # not well-formed, or carrying a DTD or entities
PROFILE = "profile"  # an unknown METS profile, schema version or package type
REFERENCE = "reference"  # a file a METS lists: missing, outside the package, no checksum
SIZE = "size"
CHECKSUM = "checksum"
SCHEMA = "schema"  # does not validate, or names a schema the package does not ship
METADATA = "metadata"  # the descriptive metadata cannot become an archive's dossier/records


@dataclass(frozen=True, slots=True)
class PackageLimits:
    """How much a package may unpack to: beyond any of these it is refused as a zip bomb.

    ``max_ratio`` applies to entries larger than ``ratio_floor_bytes`` (a 200-byte XML
    file compresses 30-fold and harms nobody)."""

    max_entries: int = 20_000
    max_entry_bytes: int = 4 * GIB
    max_total_bytes: int = 32 * GIB
    max_ratio: int = 200
    ratio_floor_bytes: int = MIB


class PackageInvalid(ArchiveError):
    """A package failed one or more checks and was refused whole; ``failures`` lists them."""

    code = "PACKAGE_INVALID"

    def __init__(self, failures: tuple[Failure, ...] | list[Failure]) -> None:
        failures = tuple(failures)
        first = str(failures[0]) if failures else "the package was refused"
        more = f" (and {len(failures) - 1} more)" if len(failures) > 1 else ""
        super().__init__(f"{first}{more}")
        self.failures = failures


def is_sha256_hex(value: str) -> bool:
    """64 hexadecimal digits (METS writes them upper-case; case is checked separately)."""
    return len(value) == 64 and all(c in "0123456789abcdefABCDEF" for c in value)
