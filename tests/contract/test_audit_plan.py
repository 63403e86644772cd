"""How PostgreSQL runs a restricted caller's page of the audit log: it walks ``audit_log``
backwards by seq and probes ``audit_records`` per entry, instead of hashing the whole of
``audit_records`` for every page (which made the page cost grow with the log; the
figures are in ``python -m bench.audit_scope``). The plan is asserted, never a time."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa

from archive.db.access_tables import AuditRow, AuditSubjectRow
from archive.db.audit import AuditFilter, SqlAuditLog, audit_row, subject_rows
from archive.db.engine import create_db_engine
from archive.db.migrate import upgrade
from archive.domain.access import AuditScope, Principal, Role
from archive.domain.audit import Outcome, chain_append

pytestmark = pytest.mark.postgres

ARCHIVIST = Principal(subject="archivist", roles=frozenset({Role.ARCHIVIST}), agencies=frozenset({"UBND-HN"}))


@pytest.fixture
def engine(postgres_url: str) -> Iterator[sa.Engine]:
    engine = create_db_engine(postgres_url)
    upgrade(engine)
    yield engine
    engine.dispose()


def fill(engine: sa.Engine, count: int) -> None:
    """``count`` chained entries, two in three about a record (ids that name no stored
    record), inserted in bulk as appends write them: enough rows that PostgreSQL would
    rather hash ``audit_records`` than scan it per entry."""
    entries, prev = [], None
    for n in range(count):
        about = n % 3 != 0
        prev = chain_append(
            prev,
            at=datetime.now(UTC),
            actor=f"user-{n % 5}",
            action="record.read" if about else "auth.login",
            target=str(uuid.uuid4()) if about else f"user-{n % 5}",
            outcome=Outcome.OK,
        )
        entries.append(prev)
    with engine.begin() as connection:
        connection.execute(sa.insert(AuditRow), [audit_row(e).model_dump() for e in entries])
        subjects = [row.model_dump() for e in entries for row in subject_rows(e)]
        connection.execute(sa.insert(AuditSubjectRow), subjects)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("ANALYZE")


def page_plan(engine: sa.Engine, log: SqlAuditLog, scope: AuditScope) -> str:
    """The plan PostgreSQL picks for the very statement ``find`` sends."""
    sent: list[tuple[str, Any]] = []

    def capture(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "audit_log" in statement:
            sent.append((statement, parameters))

    sa.event.listen(engine, "before_cursor_execute", capture)
    try:
        log.find(AuditFilter(), first=50, after_seq=2500, scope=scope)
    finally:
        sa.event.remove(engine, "before_cursor_execute", capture)
    assert len(sent) == 1, sent
    statement, parameters = sent[0]
    with engine.connect() as connection:
        rows = connection.exec_driver_sql("EXPLAIN " + statement, parameters).all()
    return "\n".join(str(row[0]) for row in rows)


def test_a_restricted_page_probes_audit_records_per_entry(engine: sa.Engine) -> None:
    fill(engine, 5000)
    log = SqlAuditLog(engine)
    plan = page_plan(engine, log, AuditScope.for_principal(ARCHIVIST))
    assert "Index Scan Backward using pk_audit_log on audit_log" in plan, plan
    assert "hashed SubPlan" not in plan, plan
    assert "Seq Scan on audit_records" not in plan, plan
    assert "using pk_audit_records on audit_records" in plan, plan
