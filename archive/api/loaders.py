"""Per-request batch loaders, so a page of search hits asking for processing,
signatures or thumbnails costs one query per kind, not one per hit."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import TypeVar

from strawberry.dataloader import DataLoader

from archive.domain.access import Principal
from archive.domain.disposition import DestructionReview
from archive.domain.holds import LegalHold
from archive.domain.jobs import Job
from archive.domain.processing import ExtractionReport
from archive.domain.retention import RecordRetention
from archive.domain.signatures import SignatureReport, SignatureSummary
from archive.services import destruction, holds, retention
from archive.services.container import Services

T = TypeVar("T")


def _loader(fetch: Callable[[Sequence[str]], Mapping[str, T]], default: T) -> DataLoader[str, T]:
    async def load(keys: list[str]) -> list[T]:
        found = await asyncio.to_thread(fetch, keys)
        return [found.get(key, default) for key in keys]

    return DataLoader(load_fn=load)


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
        )
