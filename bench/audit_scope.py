"""What a restricted caller's page of the audit log costs, against an unrestricted one.

Fills a fresh database (SQLite file, and PostgreSQL when ARCHIVE_TEST_POSTGRES_URL is
set) through the migrations with ``--records`` records (half of them SECRET) and
``--entries`` chained audit entries (two in three about a record), then reads
``--pages`` consecutive pages of 50 entries, newest first, per caller kind and prints
the median and the min–max in milliseconds. Not a test: nothing asserts a duration.
Run it on two commits to compare:

    python -m bench.audit_scope --entries 20000 --records 400 --pages 7
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from archive.db.access_tables import AuditHeadRow, AuditRow, AuditSubjectRow
from archive.db.audit import SqlAuditLog, audit_row, subject_rows
from archive.db.migrate import upgrade
from archive.domain.access import AuditScope, Principal, Role
from archive.domain.audit import AuditEntry, Outcome, chain_append
from archive.domain.ports.audit import AuditFilter
from archive.domain.records import Classification
from bench import synthetic

PAGE = 50
CALLERS = {
    "unrestricted (top-secret admin)": Principal(
        subject="admin", roles=frozenset({Role.ADMIN}), clearance=Classification.TOP_SECRET
    ),
    "restricted (ordinary archivist)": Principal(
        subject="archivist", roles=frozenset({Role.ARCHIVIST}), agencies=frozenset({"UBND-HN"})
    ),
}


def fill(engine: Engine, records: int, entries: int) -> None:
    """Records straight into ``records``; entries chained in memory, inserted in batches."""
    upgrade(engine)
    ids: list[str] = []
    for batch in synthetic.batches(synthetic.records(records, seed=11), 500):
        for number, item in enumerate(batch):
            if number % 2:
                item.row["classification"] = int(Classification.SECRET)
                item.row["is_public"] = False
            ids.append(str(item.row["id"]))
        synthetic.insert_rows(engine, batch)
    rng, prev, at = random.Random(5), None, datetime.now(UTC)
    for start in range(0, entries, 2000):
        chunk: list[AuditEntry] = []
        for index in range(start, min(entries, start + 2000)):
            about = index % 3 != 0
            prev = chain_append(
                prev,
                at=at,
                actor=f"user-{index % 17}",
                action="record.read" if about else "auth.login",
                target=rng.choice(ids) if about else f"user-{index % 17}",
                outcome=Outcome.OK,
            )
            chunk.append(prev)
        with engine.begin() as connection:
            connection.execute(sa.insert(AuditRow), [audit_row(e).model_dump() for e in chunk])
            subjects = [row.model_dump() for e in chunk for row in subject_rows(e)]
            connection.execute(sa.insert(AuditSubjectRow), subjects)
    assert prev is not None
    with engine.begin() as connection:
        connection.execute(sa.update(AuditHeadRow).values(seq=prev.seq, hash=prev.hash))
        if engine.dialect.name == "postgresql":
            connection.exec_driver_sql("ANALYZE")


def read_pages(log: SqlAuditLog, scope: AuditScope, pages: int) -> list[float]:
    """``pages`` consecutive pages (after one warm-up read), each timed in ms."""
    log.find(AuditFilter(), first=PAGE, scope=scope)
    times, after = [], None
    for _ in range(pages):
        started = time.perf_counter()
        found = log.find(AuditFilter(), first=PAGE, after_seq=after, scope=scope)
        times.append((time.perf_counter() - started) * 1000)
        after = found[-1].seq if found else None
    return times


def run(name: str, engine: Engine, records: int, entries: int, pages: int) -> None:
    started = time.perf_counter()
    fill(engine, records, entries)
    print(f"{name}: {entries} entries, {records} records, filled in {time.perf_counter() - started:.1f} s")
    log = SqlAuditLog(engine)
    for caller, principal in CALLERS.items():
        times = read_pages(log, AuditScope.for_principal(principal), pages)
        print(
            f"  {caller:32} median {statistics.median(times):7.2f} ms"
            f"  min–max {min(times):6.2f}–{max(times):6.2f} ms  ({pages} pages of {PAGE})"
        )


@contextmanager
def postgres_database(url: str) -> Iterator[Engine]:
    """A fresh database on the server ``url`` names, dropped afterwards."""
    admin_url = sa.engine.make_url(url)
    name = f"bench_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine = sa.create_engine(admin_url.set(database=name))
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def main(records: int, entries: int, pages: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        engine = sa.create_engine(f"sqlite:///{Path(tmp) / 'archive.db'}")
        run("sqlite", engine, records, entries, pages)
        engine.dispose()
    url = os.environ.get("ARCHIVE_TEST_POSTGRES_URL")
    if not url:
        print("postgresql: skipped (ARCHIVE_TEST_POSTGRES_URL is not set)")
        return
    with postgres_database(url) as engine:
        run("postgresql", engine, records, entries, pages)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--records", type=int, default=400)
    parser.add_argument("--entries", type=int, default=20_000)
    parser.add_argument("--pages", type=int, default=7)
    args = parser.parse_args()
    main(args.records, args.entries, args.pages)
