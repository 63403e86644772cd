"""The audit trail: writing it (who, what, when, from where, how it ended) and reading it.

Reading goes through ``query``, which checks the caller may read the audit log at
all and lists only the entries it may see (``can_read_audit_entry``), compiled
into the query so that paging never depends on the hidden ones.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from archive.domain.access import AuditScope, Principal, can_read_audit, can_seal_audit
from archive.domain.audit import (
    AuditEntry,
    ChainHead,
    DetailValue,
    Outcome,
    head_is_sealed,
    redacted,
    verify_chain,
)
from archive.domain.errors import Forbidden, IntegrityError, InvalidQuery
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


SEAL = "audit.seal"


# -- reading the log -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AuditPage:
    """Entries newest first, as the caller may see them, and whether older ones follow."""

    entries: tuple[AuditEntry, ...]
    has_next: bool


async def query(
    services: Services,
    principal: Principal,
    client: ClientInfo,
    filter: AuditFilter,
    *,
    first: int,
    after_seq: int | None = None,
) -> AuditPage:
    """A page of the audit log for ``principal``.

    Only archivists and admins read it. Each sees the entries about no record, and
    those about a record it may read (or, once destroyed, whose tombstone it may
    read); ids of records it may not read are taken out of the entries it sees.

    Raises:
        Forbidden: the caller may not read the audit log (the attempt is audited).
        InvalidQuery: ``first`` is outside 1..max_page_size.
    """
    if not can_read_audit(principal):
        await audit(services, principal, client, "audit.read", "audit_log", Outcome.DENIED)
        raise Forbidden("only archivists and admins may read the audit log")
    limit = services.settings.max_page_size
    if not 1 <= first <= limit:
        raise InvalidQuery(f"first must be between 1 and {limit}")
    scope = AuditScope.for_principal(principal)
    return await asyncio.to_thread(_page, services, scope, filter, first, after_seq)


def _page(
    services: Services, scope: AuditScope, filter: AuditFilter, first: int, after_seq: int | None
) -> AuditPage:
    found = services.audit.find(filter, first=first + 1, after_seq=after_seq, scope=scope)
    shown = found[:first]
    hidden = services.audit.hidden_subjects([e.seq for e in shown], scope)
    entries = tuple(redacted(e, hidden.get(e.seq, frozenset())) for e in shown)
    return AuditPage(entries=entries, has_next=len(found) > first)


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


def append_for(
    services: Services,
    principal: Principal,
    action: str,
    target: str,
    outcome: Outcome,
    details: Mapping[str, DetailValue],
    client: str,
) -> AuditEntry:
    """``append`` for what ``principal`` itself did (the actor is its subject). Blocking."""
    return append(
        services,
        actor=principal.subject,
        action=action,
        target=target,
        outcome=outcome,
        details=details,
        client=client,
    )


def seal(services: Services, principal: Principal) -> ChainHead:
    """Seal an unsealed head (a chain written before keying): verify every link up to the
    stored head, append an ``audit.seal`` entry, and seal the head with the audit key.
    Blocking.

    Raises:
        Forbidden: the principal may not seal the chain (the attempt is audited).
        IntegrityError: the chain is broken, does not end at the stored head, or its
            head carries a MAC that does not match (changed without the key): sealing
            it would vouch for whatever was done to it.
    """
    if not can_seal_audit(principal):
        append(services, actor=principal.subject, action=SEAL, target="audit_log", outcome=Outcome.DENIED)
        raise Forbidden("only admins may seal the audit chain")
    stored = services.audit.stored_head()
    if stored.mac is not None and not head_is_sealed(stored, services.settings.audit_mac_key):
        raise IntegrityError("the stored head's MAC does not match: the chain was changed without the key")
    report = verify_chain(services.audit.entries(), expected_head=stored.hash)
    if not report.ok:
        raise IntegrityError(f"audit chain broken at seq {report.first_bad_seq}: {report.reason}")
    append(
        services,
        actor=principal.subject,
        action=SEAL,
        target="audit_log",
        details={"verified": report.checked},
    )
    return services.audit.seal_head()


def find(services: Services, *, action: str, target: str) -> AuditEntry | None:
    """An entry of ``action`` on ``target``, if any: how idempotent steps know they already wrote."""
    found = services.audit.find(AuditFilter(action=action, target=target), first=1)
    return found[0] if found else None


def entries(services: Services) -> Iterator[AuditEntry]:
    """The whole chain, in ``seq`` order."""
    return services.audit.entries()
