"""Fonds and dossiers for tests, made through the archival store.

Kept in one place so that, once the dossier services exist, these helpers can create
them through the services instead (the lead switches the bodies, not the tests).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

from archive.domain.archival import Dossier, Fonds, default_fonds_id, validate_dossier, validate_fonds
from archive.domain.records import Classification
from archive.services.container import Services

NOW = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def agency_fonds(services: Services, agency: str, name: str) -> Fonds:
    """The agency's default fonds (the one its deposits land in), named ``name``."""
    fonds = validate_fonds(Fonds(id=default_fonds_id(agency), code=agency, name=name, agency_code=agency))
    services.archival.save_fonds(fonds)
    return fonds


def dossier(
    services: Services,
    fonds: Fonds,
    number: str,
    title: str,
    *,
    year: int = 2026,
    maintenance: str = "06",
    compiler: str = "Văn phòng",
    heading: str = "",
    description: str = "",
    classification: Classification = Classification.ORDINARY,
    mode: str = "02",
) -> Dossier:
    """A new open dossier of ``fonds`` for ``year``, file code ``<fonds>.<year>.<number>``;
    conditional use (02, not public) unless ``mode`` or a classification says otherwise."""
    made = validate_dossier(
        Dossier(
            id=str(uuid.uuid4()),
            fonds_id=fonds.id,
            agency_code=fonds.agency_code,
            file_code=f"{fonds.code}.{year}.{number.replace('/', '-')}",
            file_number=number,
            title=title,
            maintenance=maintenance,
            mode=mode if classification is Classification.ORDINARY else "03",
            classification=classification,
            year=year,
            compiler=compiler,
            heading=heading,
            description=description,
            created_at=NOW,
            updated_at=NOW,
        )
    )
    return services.archival.save_dossier(made, expected_version=None)


def place(services: Services, target: Dossier, record_ids: Sequence[str]) -> list[str]:
    """Append records to ``target`` in the given order."""
    return services.archival.place(target.id, record_ids, now=NOW)
