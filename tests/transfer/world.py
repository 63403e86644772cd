"""Permanent dossiers ready to go to the historical archive, and the principals who move them."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import replace
from datetime import date

from archive.domain.access import Principal, Role
from archive.domain.archival import Dossier, Fonds, default_fonds_id, validate_fonds
from archive.domain.records import Classification, Page, Record, TextSource, TextStatus
from archive.services import archival
from archive.services.container import Services
from tests.retention.scenario import ADMIN, RM_A, RM_B, kept
from tests.support.dossiers import NOW, dossier, place

CLOSED_ON = date(2019, 6, 1)  # its deadline (2025-12-31) has passed whatever today is
RM_A_LOW = replace(RM_A, subject="rm-a-low", clearance=Classification.ORDINARY)
RM_A2 = replace(RM_A, subject="rm-a2")
READER_A = Principal(subject="reader-a", roles=frozenset({Role.READER}), agencies=frozenset({"A"}))

__all__ = ["ADMIN", "READER_A", "RM_A", "RM_A2", "RM_A_LOW", "RM_B", "fonds_of", "permanent"]


def fonds_of(services: Services, agency: str) -> Fonds:
    """The agency's default fonds (where its deposits land), created when missing."""
    found = services.archival.fonds(default_fonds_id(agency))
    if found is not None:
        return found
    fonds = Fonds(default_fonds_id(agency), agency, f"Phông {agency}", agency, created_at=NOW)
    services.archival.save_fonds(validate_fonds(fonds))
    return fonds


async def permanent(
    services: Services,
    agency: str = "A",
    *,
    documents: int = 2,
    level: Classification = Classification.ORDINARY,
    close: bool = True,
    maintenance: str = "01",
) -> tuple[Dossier, list[Record]]:
    """A dossier of ``agency`` with ``documents`` processed records, closed on CLOSED_ON."""
    fonds = fonds_of(services, agency)
    made = dossier(
        services,
        fonds,
        uuid.uuid4().hex[:8],
        "Hồ sơ xây dựng trụ sở",
        maintenance=maintenance,
        classification=level,
    )
    records = [
        await kept(services, uuid.uuid4().hex[:6], agency=agency, level=level) for _ in range(documents)
    ]
    for r in records:
        page = Page(1, "Văn bản lưu trữ vĩnh viễn", TextSource.TEXT_LAYER)
        await asyncio.to_thread(services.records.set_pages, r.id, [page], TextStatus.EXTRACTED)
    place(services, made, [r.id for r in records])
    if close:
        made = await asyncio.to_thread(archival.close_dossier, services, ADMIN, made.id, closed_on=CLOSED_ON)
    return made, records
