"""The ``IntakeStore`` contract, on every adapter (SQL on SQLite and on PostgreSQL): one row
per document key, the record a new package created, waiting updates and revocations in
arrival order, and marking them applied."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from archive.db.engine import create_db_engine
from archive.db.intake import SqlIntakeStore
from archive.db.migrate import upgrade
from archive.db.repository import SqlRecordRepository
from archive.domain.edxml import BusinessType, EnvelopeSignatureState, IntakeKey, TraceHop
from archive.domain.intake import Intake, IntakeStatus
from archive.domain.ports import IntakeStore
from tests.support.access import make_record

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
SENDER, DOC = "000.00.00.H10", "000.00.00.H10,2026/01/02,123/QĐ-UBND"
AT = datetime(2026, 1, 3, 8, tzinfo=UTC)


@pytest.fixture(params=BACKENDS)
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    url = (
        f"sqlite:///{tmp_path / 'meta.db'}"
        if request.param == "sqlite"
        else request.getfixturevalue("postgres_url")
    )
    built = create_db_engine(str(url))
    upgrade(built)
    yield built
    built.dispose()


@pytest.fixture
def store(engine: Engine) -> IntakeStore:
    found = SqlIntakeStore(engine)
    assert isinstance(found, IntakeStore)
    return found


def intake(
    engine: Engine, kind: BusinessType, *, n: int, status: IntakeStatus = IntakeStatus.APPLIED
) -> Intake:
    record = make_record()
    SqlRecordRepository(engine).add(record)
    return Intake(
        id=f"intake-{n}",
        key=IntakeKey(
            SENDER, DOC if kind in (BusinessType.NEW, BusinessType.REPLACE) else f"{DOC}#{n}", kind
        ),
        agency_code=record.agency_code,
        status=status,
        record_id=record.id,
        target_document_id="" if kind is BusinessType.NEW else DOC,
        received_at=AT + timedelta(minutes=n),
        received_by="local:test",
        package_sha256=f"{n:064d}",
        signature=EnvelopeSignatureState.ABSENT,
        trace=(TraceHop(SENDER, AT), TraceHop("000.00.00.G22", None)),
        reason="lý do",
    )


def test_one_row_per_key_read_back_whole(engine: Engine, store: IntakeStore) -> None:
    new = intake(engine, BusinessType.NEW, n=1)

    assert store.add(new) is True
    assert store.add(dataclasses.replace(new, id="other")) is False
    assert store.by_key(new.key) == new
    assert store.by_key(dataclasses.replace(new.key, business_type=BusinessType.UPDATE)) is None
    assert store.record_of(SENDER, DOC) == new.record_id
    assert store.record_of("someone else", DOC) is None
    assert store.of_record(new.record_id) == [new]


def test_waiting_updates_and_revocations_in_arrival_order(engine: Engine, store: IntakeStore) -> None:
    later = intake(engine, BusinessType.REVOKE, n=3, status=IntakeStatus.PENDING_TARGET)
    earlier = intake(engine, BusinessType.UPDATE, n=2, status=IntakeStatus.PENDING_TARGET)
    for item in (later, earlier):
        assert store.add(item)

    assert [i.id for i in store.pending_for(SENDER, DOC)] == [earlier.id, later.id]
    assert store.record_of(SENDER, DOC) is None  # only new and replacing packages create the document

    store.mark_applied(earlier.id)

    assert [i.id for i in store.pending_for(SENDER, DOC)] == [later.id]
    applied = store.by_key(earlier.key)
    assert applied is not None and applied.status is IntakeStatus.APPLIED
