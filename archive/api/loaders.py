"""Per-request batch loaders, so a page of search hits asking for processing,
signatures or thumbnails costs one query per kind, not one per hit."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import TypeVar

from strawberry.dataloader import DataLoader

from archive.domain.disposition import DestructionReview
from archive.domain.jobs import Job
from archive.domain.processing import ExtractionReport
from archive.domain.signatures import SignatureReport, SignatureSummary
from archive.services import destruction
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
    reviews: DataLoader[str, DestructionReview | None]  # unfiltered: see services.destruction

    @classmethod
    def for_request(cls, services: Services) -> Loaders:
        results = services.results
        return cls(
            jobs=_loader(services.jobs.for_records, None),
            extractions=_loader(results.extractions, None),
            signatures=_loader(results.signatures_of, []),
            summaries=_loader(results.signature_summaries, None),
            thumbnails=_loader(results.thumbnails_of, {}),
            reviews=_loader(partial(destruction.reviews, services), None),
        )
