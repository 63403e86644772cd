"""Helpers for the retention tests: a clock to travel with, and quick deposits."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from archive.domain.access import Principal, Role
from archive.domain.records import Classification, Direction, Record, RecordMetadata
from archive.samples import SampleDocument, render_pdf
from archive.services.container import Services
from archive.services.deposit import deposit

CLERK = Principal(subject="clerk", roles=frozenset({Role.CLERK}), agencies=frozenset({"UBND-HG"}))


class Clock:
    """A settable clock: the archive's (and the local store's) notion of now."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, days: int) -> None:
        self.now += timedelta(days=days)


def metadata(
    number: str, *, document_type: str = "Công văn", issued: date, code: str | None = None
) -> RecordMetadata:
    return RecordMetadata(
        document_type=document_type,
        number=number,
        notation="UBND-VP",
        issuing_agency_code="UBND-HG",
        issuing_agency_name="Ủy ban nhân dân tỉnh Hà Giang",
        issue_date=issued,
        subject=f"Về việc số {number}",
        signer_name="Nguyễn Văn An",
        signer_position="Chủ tịch",
        direction=Direction.OUTGOING,
        retention_code=code,
    )


def make_pdf(number: str) -> bytes:
    return render_pdf(replace(SampleDocument(), number=number, subject=f"Về việc số {number}"))


def put(
    services: Services, number: str, *, issued: date, document_type: str = "Công văn", code: str | None = None
) -> Record:
    """Deposit a small PDF with the given metadata (blocking)."""
    return deposit(
        services,
        CLERK,
        io.BytesIO(make_pdf(number)),
        filename=f"{number}.pdf",
        metadata=metadata(number, document_type=document_type, issued=issued, code=code),
    )


def start_of(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 12, tzinfo=UTC)


async def archived(
    services: Services, number: str, *, issued: date, document_type: str = "Công văn", code: str | None = None
) -> Record:
    """Deposit, seal and index one record, as the worker would (without extraction)."""
    import asyncio

    from archive.services.indexing import index_document
    from archive.services.retention import seal

    record = await asyncio.to_thread(
        put, services, number, issued=issued, document_type=document_type, code=code
    )
    await asyncio.to_thread(seal, services, record.id)
    await services.index.upsert(index_document(record))
    return record


async def indexed_ids(services: Services) -> set[str]:
    return {record_id async for record_id, _ in services.index.get_versions()}


# Who acts in the retention tests that are not about who may act: admins cleared for
# everything, under the names the assertions use. Per-agency records managers are in
# tests/retention/test_scope.py.
RM = Principal(subject="rm", roles=frozenset({Role.ADMIN}), clearance=Classification.TOP_SECRET)
PLANNER = Principal(subject="planner", roles=frozenset({Role.ADMIN}), clearance=Classification.TOP_SECRET)
APPROVER = Principal(subject="approver", roles=frozenset({Role.ADMIN}), clearance=Classification.TOP_SECRET)
CHIEF = Principal(subject="chief", roles=frozenset({Role.ADMIN}), clearance=Classification.TOP_SECRET)
