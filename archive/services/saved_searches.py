"""Saved searches: keep, list, run and delete, each through the rules in
``archive.domain.access`` (check, act, audit). Running one is a search by the RUNNER."""

from __future__ import annotations

import asyncio
import uuid

from archive.domain.access import (
    Principal,
    can_delete_saved_search,
    can_save_search,
    can_use_saved_search,
)
from archive.domain.errors import Forbidden, InvalidQuery, MetadataInvalid, NotFound
from archive.domain.saved_searches import PER_OWNER_MAX, SavedSearch, validate_saved_search
from archive.domain.search import SearchFilter
from archive.services.audit import ClientInfo, audit
from archive.services.container import Services
from archive.services.search import SearchPage, search


async def save(
    services: Services,
    principal: Principal,
    *,
    name: str,
    query: str | None,
    filter: SearchFilter,
    shared_with: str | None,
    client: ClientInfo,
) -> SavedSearch:
    """Keep a search for the caller (shared with one of its agencies, if asked)."""
    if not can_save_search(principal, shared_with):
        raise Forbidden("you may share a search only with one of your own agencies")
    if await asyncio.to_thread(services.saved_searches.count_owned, principal.subject) >= PER_OWNER_MAX:
        raise MetadataInvalid("name", f"you already keep {PER_OWNER_MAX} searches; delete one first")
    made = validate_saved_search(
        SavedSearch(
            id=str(uuid.uuid4()),
            owner=principal.subject,
            name=name,
            query=query,
            filter=filter,
            shared_with=shared_with,
            created_at=services.clock(),
        )
    )
    await asyncio.to_thread(services.saved_searches.add, made)
    details = {"name": made.name, "shared_with": made.shared_with or ""}
    await audit(services, principal, client, "search.save", made.id, details=details)
    return made


async def visible(services: Services, principal: Principal) -> list[SavedSearch]:
    """The caller's searches and those shared with its agencies, by name."""
    if principal.anonymous:
        return []
    found = await asyncio.to_thread(services.saved_searches.visible_to, principal.subject, principal.agencies)
    return [s for s in found if can_use_saved_search(principal, s.owner, s.shared_with)]


async def _usable(services: Services, principal: Principal, search_id: str) -> SavedSearch:
    found = await asyncio.to_thread(services.saved_searches.get, search_id)
    if found is None or not can_use_saved_search(principal, found.owner, found.shared_with):
        raise NotFound("no such saved search")  # one the caller may not see looks like none
    return found


async def run(
    services: Services, principal: Principal, search_id: str, *, first: int, after: str | None
) -> tuple[SavedSearch, SearchPage]:
    """One page of the saved search, under the runner's read rule."""
    found = await _usable(services, principal, search_id)
    page = await search(services, principal, query=found.query, filter=found.filter, first=first, after=after)
    return found, page


async def delete(services: Services, principal: Principal, search_id: str, *, client: ClientInfo) -> None:
    found = await _usable(services, principal, search_id)
    if not can_delete_saved_search(principal, found.owner):
        raise Forbidden("only its owner deletes a saved search")
    await asyncio.to_thread(services.saved_searches.delete, found.id)
    await audit(services, principal, client, "search.delete", found.id, details={"name": found.name})


async def dossier_ids(
    services: Services, principal: Principal, search_id: str, *, limit: int = 1000
) -> list[str]:
    """The dossiers holding the records a saved search finds for the caller (a selection
    to hand over: ``archive transfer export --saved-search``), in order of first hit.
    InvalidQuery when they are more than ``limit``."""
    found: list[str] = []
    after: str | None = None
    while True:
        _, page = await run(services, principal, search_id, first=100, after=after)
        for item in page.items:
            dossier = item.record.dossier_id
            if dossier is not None and dossier not in found:
                found.append(dossier)
        if len(found) > limit:
            raise InvalidQuery(f"the search selects more than {limit} dossiers: narrow it")
        if not page.result.has_next or not page.items:
            return found
        after = page.items[-1].cursor
