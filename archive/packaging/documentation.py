"""documentation/package.txt: what the package is, for the person who opens it.

CSIP60 requires a Documentation file group (TT05 makes documentation/ optional), so
every package carries this short plain-text summary.
"""

from __future__ import annotations

from archive.domain.packages import Package, vietnam_time

PATH = "documentation/package.txt"
MIME = "text/plain"


def summary(package: Package) -> bytes:
    """A UTF-8 summary: kind, identifier, time, submitter and what it describes."""
    lines = [
        f"Package: {package.kind.value} ({package.kind.oais_type})",
        f"OBJID: {package.objid}",
        f"Created: {vietnam_time(package.created)}",
        f"Record status: {package.record_status.value}",
        f"Submitting body: {package.submitter.name} ({package.submitter.agency_code})",
        f"Fonds: {package.submitter.fonds_code}",
        f"Software: {package.software.name} {package.software.version}",
        f"Label: {package.label}",
        f"Documents: {len(package.documents)}",
        "Format: Circular 05/2025/TT-BNV, an extension of E-ARK CSIP 2.0.4.",
        *package.notes,
    ]
    return ("\n".join(lines) + "\n").encode("utf-8")
