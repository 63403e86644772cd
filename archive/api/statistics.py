"""The statistics slice of the schema: counts for archivists under the read rules."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Annotated

import strawberry

from archive.api.context import Context
from archive.domain import statistics as ds
from archive.services import statistics

Info = strawberry.Info[Context, None]

strawberry.enum(ds.RecordDimension, description="What record counts are grouped by.")
strawberry.enum(ds.DossierDimension, description="What dossier counts are grouped by.")


@strawberry.type(description="One value of a dimension and how many readable records or dossiers have it.")
class CountBucket:
    value: str = strawberry.field(
        description=(
            "The value: an agency code, a type or tier code, a year, a classification name (ORDINARY, "
            "CONFIDENTIAL, SECRET, TOP_SECRET), a fonds id or a dossier status; empty when not set."
        )
    )
    count: int = strawberry.field(description="How many the caller may read.")


@strawberry.type(description="How many accesses of one kind in one month, to records the caller may read.")
class AccessBucket:
    year: int = strawberry.field(description="Year (UTC).")
    month: int = strawberry.field(description="Month 1-12 (UTC).")
    action: str = strawberry.field(
        description="record.read (a non-public record shown), download.issue or download.serve."
    )
    count: int = strawberry.field(description="Accesses, one per record an audit entry is about.")


def _counts(found: list[ds.CountBucket]) -> list[CountBucket]:
    return [CountBucket(value=b.value, count=b.count) for b in found]


@strawberry.type
class StatisticsQueries:
    @strawberry.field(
        description=(
            "Records the caller may read, counted by one dimension (Circular 01/2019/TT-BNV). "
            "A record the caller may not read changes no count."
        )
    )
    async def record_counts(
        self, info: Info, by: Annotated[ds.RecordDimension, strawberry.argument(description="Grouped by.")]
    ) -> list[CountBucket]:
        ctx = info.context
        return _counts(await asyncio.to_thread(statistics.record_counts, ctx.services, ctx.principal, by))

    @strawberry.field(description="Dossiers the caller may read, counted by one dimension.")
    async def dossier_counts(
        self, info: Info, by: Annotated[ds.DossierDimension, strawberry.argument(description="Grouped by.")]
    ) -> list[CountBucket]:
        ctx = info.context
        return _counts(await asyncio.to_thread(statistics.dossier_counts, ctx.services, ctx.principal, by))

    @strawberry.field(
        description=(
            "Accesses to records the caller may read, by month and kind, from the audit log; for "
            "archivists and admins (FORBIDDEN otherwise). Reads of public records are not audited and "
            "not counted; destroyed records are not counted."
        )
    )
    async def access_counts(
        self,
        info: Info,
        since: Annotated[datetime | None, strawberry.argument(description="From (inclusive).")] = None,
        until: Annotated[datetime | None, strawberry.argument(description="Until (exclusive).")] = None,
    ) -> list[AccessBucket]:
        ctx = info.context
        found = await asyncio.to_thread(
            lambda: statistics.access_counts(ctx.services, ctx.principal, since=since, until=until)
        )
        return [AccessBucket(year=b.year, month=b.month, action=b.action, count=b.count) for b in found]
