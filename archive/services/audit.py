"""Writing the audit trail from request handlers: who, what, when, from where, and how it ended."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from archive.domain.access import Principal
from archive.domain.audit import AuditEntry, DetailValue, Outcome
from archive.domain.ports import AuditFilter
from archive.services.container import Services


@dataclass(frozen=True, slots=True)
class ClientInfo:
    """What the API layer knows of the caller's client."""

    ip: str = ""
    user_agent: str = ""
    api_key_id: str = ""

    def describe(self) -> str:
        """The ``client`` field of an audit entry: compact JSON, keys sorted, empty ones left out."""
        fields = {"ip": self.ip, "user_agent": self.user_agent[:300], "api_key": self.api_key_id}
        kept = {k: v for k, v in fields.items() if v}
        return json.dumps(kept, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


async def audit(
    services: Services,
    actor: Principal | str,
    client: ClientInfo,
    action: str,
    target: str,
    outcome: Outcome = Outcome.OK,
    details: Mapping[str, DetailValue] | None = None,
) -> None:
    """Append one entry to the audit chain (off the event loop)."""
    subject = actor if isinstance(actor, str) else actor.subject
    await asyncio.to_thread(
        services.audit.append,
        at=services.clock(),
        actor=subject,
        action=action,
        target=target[:200],
        outcome=outcome,
        client=client.describe(),
        details=details,
    )


# -- for services that act on their own (retention, holds, disposition, fixity) ---------------


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
    return services.audit.append(
        at=services.clock(),
        actor=actor,
        action=action,
        target=target[:200],
        outcome=outcome,
        client=client,
        details=details,
    )


def find(services: Services, *, action: str, target: str) -> AuditEntry | None:
    """An entry of ``action`` on ``target``, if any: how idempotent steps know they already wrote."""
    found = services.audit.find(AuditFilter(action=action, target=target), first=1)
    return found[0] if found else None


def entries(services: Services) -> Iterator[AuditEntry]:
    """The whole chain, in ``seq`` order."""
    return services.audit.entries()
