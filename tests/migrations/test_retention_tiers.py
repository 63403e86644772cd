"""Migration 0013: rules gain a schedule and a legal basis, assignments their tier.

Rules written before keep working (the default schedule, an empty basis), the
tables match the models, and an assignment computed before the tiers is recomputed
under the count from the year after completion, never earlier than before.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

from archive.db.archival import ensure_default_fonds
from archive.db.migrate import upgrade
from archive.db.repository import record_row
from archive.db.retention import SqlRetentionStore
from archive.domain.records import Record
from archive.domain.retention import Assignment, RetentionRule, assign
from tests.support.access import make_record

NOW = datetime(2026, 11, 30, tzinfo=UTC)

LATER_COLUMNS = frozenset({"metadata_version"})  # records columns added after 0013 (0025)


def add_as_of_0012(engine: Engine, record: Record) -> None:
    """The record's row as the 0012 shape of ``records`` holds it (today's, less later columns)."""
    values = record_row(record).model_dump(exclude=set(LATER_COLUMNS))
    with Session(engine) as session:
        ensure_default_fonds(session, record.agency_code, record.created_at)
        session.commit()
    with engine.begin() as conn:
        conn.execute(sa.table("records", *(sa.column(name) for name in values)).insert().values(**values))


def test_old_rules_and_assignments_survive_and_the_tables_match_the_models(engine: Engine) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext
    from sqlmodel import SQLModel

    upgrade(engine, "0012")  # the revision before 0013 in the chain
    record = make_record()
    add_as_of_0012(engine, record)  # pages and files changed in 0024, metadata_version came in 0025
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO retention_rules (code, title, period_years, trigger, document_types,"
                " agencies, description, updated_at)"
                " VALUES ('CV-10', 'Công văn', 10, 'issue_date', '[]', '[]', '', :at)"
            ),
            {"at": NOW},
        )
        conn.execute(
            sa.text(
                "INSERT INTO record_retention (record_id, rule_code, disposal_date, computed_at)"
                " VALUES (:id, 'CV-10', :old, :at)"
            ),
            {"id": record.id, "old": date(2030, 6, 1), "at": NOW},
        )

    upgrade(engine)

    store = SqlRetentionStore(engine)
    [rule] = store.rules()
    assert (rule.code, rule.schedule, rule.legal_basis, rule.maintenance) == ("CV-10", "default", "", "06")
    stored = store.assignment(record.id)
    assert stored is not None and stored[0] == Assignment("CV-10", date(2030, 6, 1), None)
    assert store.uncomputed_ids() == [record.id]  # counted the old way: recomputed before planning
    [state] = store.states([record.id])
    fresh = assign([rule], state.facts)
    assert fresh.maintenance == "06" and fresh.disposal_date is not None
    assert fresh.disposal_date >= date(record.metadata.issue_date.year + 10, 12, 31)  # never earlier
    store.save({record.id: fresh}, now=NOW)
    assert store.uncomputed_ids() == []
    store.change_rules(
        [RetentionRule("TT10-1.1", "Quyết định", None, schedule="TT10-2022", legal_basis="TT 10, mục 1.1")],
        [],
        {},
        now=NOW,
    )
    assert {(r.code, r.schedule) for r in store.rules()} == {("CV-10", "default"), ("TT10-1.1", "TT10-2022")}
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    mine = [d for d in diff if "retention_rules" in repr(d) or "record_retention" in repr(d)]
    assert mine == []
