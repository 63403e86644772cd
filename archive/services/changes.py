"""The changes feed: record and dossier events in order, as the caller may see them.

A portal keeps its own index in sync by calling ``changes(after, first)`` with the
cursor it got last. Each change is an event derived from the audit chain
(``archive.domain.events``): deposited, processed, corrected, revoked, destroyed (a
tombstone event: the portal deletes its copy), dossier closed.

What the caller may not read never shows, and never shows as a gap: cursors are the
events' opaque ids (``EventIds``), the page's end cursor is the last change the caller
was shown (so hidden changes after it do not move it), and ``has_next`` looks for a
further *visible* change. Visibility is decided when the feed is read, under
``can_see_event``; a record granted to the caller later shows its earlier changes on
a later read from an earlier cursor.
"""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass

from archive.domain.access import Principal
from archive.domain.errors import InvalidQuery
from archive.domain.events import FEED_KINDS, Event, EventIds
from archive.services.container import Services
from archive.services.events import FactsCache, may_see, visible_events


@dataclass(frozen=True, slots=True)
class Change:
    """One change as the feed shows it: its opaque id (also its cursor) and its event."""

    id: str
    event: Event


@dataclass(frozen=True, slots=True)
class ChangesPage:
    """Changes oldest first, and whether the caller may see more after them."""

    changes: tuple[Change, ...]
    has_next: bool
    end_cursor: str | None


def event_ids(services: Services) -> EventIds:
    """The keyed permutation behind event ids and cursors (keyed like the audit head)."""
    return EventIds(services.settings.audit_mac_key)


async def changes(services: Services, principal: Principal, *, after: str | None, first: int) -> ChangesPage:
    """A page of the changes feed for ``principal``.

    Raises:
        InvalidCursor: ``after`` is not a cursor this archive issued.
        InvalidQuery: ``first`` is outside 1..max_page_size.
    """
    limit = services.settings.max_page_size
    if not 1 <= first <= limit:
        raise InvalidQuery(f"first must be between 1 and {limit}")
    ids = event_ids(services)
    seq = 0 if after is None else ids.decode(after)
    return await asyncio.to_thread(_page, services, principal, ids, seq, first, after)


def _page(
    services: Services, principal: Principal, ids: EventIds, seq: int, first: int, after: str | None
) -> ChangesPage:
    cache = FactsCache(services)
    found = list(
        itertools.islice(
            visible_events(services, seq, lambda e: may_see(principal, cache.of(e)), kinds=FEED_KINDS),
            first + 1,
        )
    )
    shown = tuple(Change(ids.encode(e.seq), e) for e in found[:first])
    end = shown[-1].id if shown else after
    return ChangesPage(changes=shown, has_next=len(found) > first, end_cursor=end)
