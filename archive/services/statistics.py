"""Statistics for archivists (Circular 01/2019/TT-BNV): record and dossier counts under
the read rules, access counts from the audit log for those who read it."""

from __future__ import annotations

from datetime import datetime

from archive.domain.access import AuditScope, Principal, ReadScope, can_read_audit
from archive.domain.errors import Forbidden
from archive.domain.statistics import (
    ACCESS_ACTIONS,
    AccessBucket,
    CountBucket,
    DossierDimension,
    RecordDimension,
)
from archive.services.container import Services


def record_counts(services: Services, principal: Principal, by: RecordDimension) -> list[CountBucket]:
    """The records the caller may read, counted by ``by``. Blocking."""
    return services.statistics.record_counts(ReadScope.for_principal(principal), by)


def dossier_counts(services: Services, principal: Principal, by: DossierDimension) -> list[CountBucket]:
    """The dossiers the caller may read, counted by ``by``. Blocking."""
    return services.statistics.dossier_counts(ReadScope.for_principal(principal), by)


def access_counts(
    services: Services, principal: Principal, *, since: datetime | None = None, until: datetime | None = None
) -> list[AccessBucket]:
    """Accesses to records the caller may read, by month and kind; only for those who read
    the audit log (``can_read_audit``), and counted over the entries it would show them.
    Blocking."""
    if not can_read_audit(principal):
        raise Forbidden("only archivists and admins read access statistics")
    return services.statistics.access_counts(
        AuditScope.for_principal(principal), ACCESS_ACTIONS, since, until
    )
