"""The ArchivalStore's placements on SQLite and PostgreSQL: ordinals stay unique and complete
under concurrent writers, and every move queues a re-index in the same transaction."""

from __future__ import annotations

import contextlib
import random
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from archive.db.archival import SqlArchivalStore
from archive.db.engine import create_db_engine
from archive.db.migrate import upgrade
from archive.db.repository import SqlRecordRepository
from archive.db.tables import JobRow, RecordRow
from archive.domain.access import UNRESTRICTED
from archive.domain.archival import Dossier, default_fonds_id
from archive.domain.errors import MetadataInvalid
from archive.domain.jobs import INDEX_KIND
from tests.support.access import make_record

NOW = datetime(2025, 6, 1, 9, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    url = (
        f"sqlite:///{tmp_path / 'archive.db'}"
        if request.param == "sqlite"
        else request.getfixturevalue("postgres_url")
    )
    built = create_db_engine(str(url))
    upgrade(built)
    yield built
    built.dispose()


def dossiers(store: SqlArchivalStore, count: int) -> list[str]:
    made = []
    for n in range(count):
        dossier = Dossier(
            id=str(uuid.uuid4()),
            fonds_id=default_fonds_id("A"),
            agency_code="A",
            file_code=f"A.2025.{n:02d}",
            title=f"Hồ sơ {n}",
            maintenance="04",
            created_at=NOW,
            updated_at=NOW,
        )
        made.append(store.save_dossier(dossier, expected_version=None).id)
    return made


def records(engine: Engine, count: int) -> list[str]:
    repo = SqlRecordRepository(engine)
    made = [make_record(agency="A") for _ in range(count)]
    for record in made:
        repo.add(record)
    return [r.id for r in made]


def places(engine: Engine) -> dict[str, list[tuple[str, int | None]]]:
    """Each record's (dossier, ordinal), by dossier."""
    with engine.connect() as db:
        rows = db.execute(sa.select(RecordRow.id, RecordRow.dossier_id, RecordRow.doc_ordinal)).all()  # type: ignore[call-overload]
    out: dict[str, list[tuple[str, int | None]]] = {}
    for record_id, dossier_id, ordinal in rows:
        if dossier_id is not None:
            out.setdefault(dossier_id, []).append((record_id, ordinal))
    return out


def test_placing_bumps_the_row_version_and_queues_an_index_job(engine: Engine) -> None:
    store = SqlArchivalStore(engine)
    ids = records(engine, 2)  # first: a deposit makes the agency's default fonds
    (d,) = dossiers(store, 1)
    before = SqlRecordRepository(engine).get(ids[0], UNRESTRICTED)
    assert before is not None

    assert store.place(d, [*ids, "no-such-record"], now=NOW) == ids
    after = SqlRecordRepository(engine).get(ids[0], UNRESTRICTED)
    assert after is not None and after.row_version == before.row_version + 1
    assert (after.dossier_id, after.doc_ordinal) == (d, 1)
    with engine.connect() as db:
        queued = db.execute(sa.select(JobRow.record_id).where(JobRow.kind == INDEX_KIND)).scalars().all()  # type: ignore[call-overload]
    assert sorted(queued) == sorted(ids)

    assert store.unplace([ids[0]], now=NOW) == [ids[0]]
    assert store.member_ids(d) == [ids[1]]


def test_reorder_names_every_member_once(engine: Engine) -> None:
    store = SqlArchivalStore(engine)
    ids = records(engine, 3)
    (d,) = dossiers(store, 1)
    store.place(d, ids, now=NOW)
    store.reorder(d, [ids[2], ids[0], ids[1]], now=NOW)
    assert store.member_ids(d) == [ids[2], ids[0], ids[1]]
    assert sorted(o or 0 for _, o in places(engine)[d]) == [1, 2, 3]
    with pytest.raises(MetadataInvalid):
        store.reorder(d, ids[:2], now=NOW)
    with pytest.raises(MetadataInvalid):
        store.reorder(d, [ids[0], ids[0], ids[1]], now=NOW)


def test_ordinals_stay_unique_and_complete_under_concurrent_writers(engine: Engine) -> None:
    """Four writers move the same twelve records between two dossiers and renumber them,
    at once. Afterwards every record is in exactly one dossier, with an ordinal that no
    other member of that dossier has, and a final renumbering gives 1..n."""
    if engine.dialect.name != "postgresql":
        pytest.skip("row locks and concurrent writers are PostgreSQL's; SQLite serialises every writer")
    store = SqlArchivalStore(engine)
    ids = records(engine, 12)
    first, second = dossiers(store, 2)
    store.place(first, ids, now=NOW)
    errors: list[BaseException] = []

    def writer(seed: int) -> None:
        rng = random.Random(seed)
        try:
            for _ in range(15):
                target = rng.choice([first, second])
                if rng.random() < 0.3:
                    members = store.member_ids(target)
                    rng.shuffle(members)
                    # A member that moved away between reading and renumbering: refused, not corrupted.
                    with contextlib.suppress(MetadataInvalid):
                        store.reorder(target, members, now=NOW)
                else:
                    store.place(target, rng.sample(ids, 3), now=NOW)
        except BaseException as exc:  # reported below, with the thread's failure
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(seed,)) for seed in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []

    found = places(engine)
    assert sorted(r for members in found.values() for r, _ in members) == sorted(ids)
    for members in found.values():
        ordinals = [o for _, o in members]
        assert None not in ordinals and len(set(ordinals)) == len(ordinals)
    for dossier_id in (first, second):
        store.reorder(dossier_id, store.member_ids(dossier_id), now=NOW)
        assert sorted(o or 0 for _, o in places(engine).get(dossier_id, [])) == list(
            range(1, len(places(engine).get(dossier_id, [])) + 1)
        )
