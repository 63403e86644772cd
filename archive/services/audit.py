"""The audit trail as the services use it: one call to append, one to look up.

Retention, holds, disposition and fixity all write here. The chain itself
(hashing, verification) lives in ``archive.domain.audit``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from archive.db.audit import SqlAuditLog
from archive.domain.audit import AuditEntry, DetailValue, Outcome
from archive.services.container import Services


def append(
    services: Services,
    *,
    actor: str,
    action: str,
    target: str,
    outcome: Outcome = Outcome.OK,
    details: Mapping[str, DetailValue] | None = None,
    client: str = "",
) -> AuditEntry:
    """Append one entry, timestamped by the services' clock. Blocking."""
    return SqlAuditLog(services.engine).append(
        at=services.clock(),
        actor=actor,
        action=action,
        target=target,
        outcome=outcome,
        client=client,
        details=details,
    )


def find(services: Services, *, action: str, target: str) -> AuditEntry | None:
    """The first entry of ``action`` on ``target``: how idempotent steps know they already wrote."""
    return SqlAuditLog(services.engine).find(action=action, target=target)


def entries(services: Services) -> Iterator[AuditEntry]:
    """The whole chain, in order."""
    return SqlAuditLog(services.engine).entries()
