"""Per-request batch loaders, so a page of search hits asking for processing,
signatures, thumbnails or relations costs one query per kind, not one per hit."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import TypeVar

from strawberry.dataloader import DataLoader

from archive.domain.access import Principal, ReadScope
from archive.domain.disposition import DestructionReview
from archive.domain.holds import LegalHold
from archive.domain.jobs import Job
from archive.domain.processing import ExtractionReport
from archive.domain.records import Record
from archive.domain.relations import Relation
from archive.domain.retention import RecordRetention
from archive.domain.signatures import SignatureReport, SignatureSummary
from archive.services import destruction, holds, retention
from archive.services.container import Services
from archive.services.relations import RelationReads

T = TypeVar("T")


def _loader(
    fetch: Callable[[Sequence[str]], Mapping[str, T]], default: T, *, cache: bool = True
) -> DataLoader[str, T]:
    async def load(keys: list[str]) -> list[T]:
        found = await asyncio.to_thread(fetch, keys)
        return [found.get(key, default) for key in keys]

    return DataLoader(load_fn=load, cache=cache)


@dataclass(frozen=True)
class Loaders:
    """One set per request: a DataLoader caches, and a cache must not outlive its caller."""

    jobs: DataLoader[str, Job | None]
    extractions: DataLoader[str, ExtractionReport | None]
    signatures: DataLoader[str, list[SignatureReport]]
    summaries: DataLoader[str, SignatureSummary | None]
    thumbnails: DataLoader[str, dict[int, bytes]]
    retention: DataLoader[str, RecordRetention | None]  # None: the caller may not read the record
    holds: DataLoader[str, list[LegalHold] | None]  # None: the caller may not manage the record
    reviews: DataLoader[str, DestructionReview | None]  # unfiltered: see services.destruction
    # Relations change within a request (relate, revoke, replace, a deposit that links a
    # pending reference, run one after another in a mutation): these two batch the
    # records of one page but never cache, so a later field never reads an earlier state.
    relations: DataLoader[str, list[Relation]]  # both directions
    readable: DataLoader[str, Record | None]  # None: missing, or the caller may not read it

    @classmethod
    def for_request(cls, services: Services, principal: Principal) -> Loaders:
        """The loaders of one caller: retention and holds are decided by its rights."""
        results = services.results
        return cls(
            jobs=_loader(services.jobs.for_records, None),
            extractions=_loader(results.extractions, None),
            signatures=_loader(results.signatures_of, []),
            summaries=_loader(results.signature_summaries, None),
            thumbnails=_loader(results.thumbnails_of, {}),
            retention=_loader(lambda ids: retention.of_records(services, principal, ids), None),
            holds=_loader(lambda ids: holds.naming(services, principal, ids), None),
            reviews=_loader(partial(destruction.reviews, services), None),
            relations=_loader(services.lifecycle.relations_of, [], cache=False),
            readable=_loader(
                partial(_readable, services, ReadScope.for_principal(principal)), None, cache=False
            ),
        )

    def relation_reads(self) -> RelationReads:
        """What ``Record.relations`` and ``Record.lifecycle`` read, batched across a page."""

        async def readable(ids: list[str]) -> Mapping[str, Record]:
            found = await self.readable.load_many(ids)
            return {i: r for i, r in zip(ids, found, strict=True) if r is not None}

        return RelationReads(relations_of=self.relations.load, readable=readable)


def _readable(services: Services, scope: ReadScope, ids: Sequence[str]) -> dict[str, Record]:
    return services.records.get_many(ids, scope, with_pages=False)
