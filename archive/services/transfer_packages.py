"""The packages of a transfer batch: one Circular 05/2025 SIP_hoso per dossier.

``Packager`` is what the transfer workflow needs from packaging: build the packages of
these dossiers in this folder, as this principal, and say each one's name, size and
SHA-256. ``sip_packages`` is the SIP writer's batch export (``archive.services.packages``:
every dossier checked before the first is written, each package streamed to its zip and
audited as ``package.export``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from archive.domain.access import Principal
from archive.domain.archival import Dossier
from archive.domain.transfer import Package
from archive.services import packages
from archive.services.container import Services

Packager = Callable[[Services, Principal, Sequence[Dossier], Path], list[Package]]
"""(services, principal, dossiers, folder) -> one package per dossier, in the order given."""


def sip_packages(
    services: Services, principal: Principal, dossiers: Sequence[Dossier], folder: Path
) -> list[Package]:
    """One SIP_hoso zip per dossier in ``folder``; its size and SHA-256 as the minutes list them."""
    exported = packages.export_batch(services, principal, [d.id for d in dossiers], folder)
    return [
        Package(d.id, e.path.name, e.written.zip_size, e.written.zip_sha256)
        for d, e in zip(dossiers, exported, strict=True)
    ]
