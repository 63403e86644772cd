"""0023: a database of every earlier release gains the readers' request table, and the
store reads and extends it (apart from test_upgrade.py, so the two grow without conflict)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy.engine import Engine

from archive.db.access_requests import SqlAccessRequestStore
from archive.db.migrate import current_revision, head_revision, upgrade
from archive.domain.access_requests import AccessRequest, RequestForm, RequestStatus
from tests.migrations.test_upgrade import Snapshot, at_release, snapshot

__all__ = ["snapshot"]  # a fixture, re-exported for pytest

AT = datetime(2026, 3, 1, 8, 30, tzinfo=UTC)


def test_the_request_table_comes_with_the_upgrade(engine: Engine, snapshot: Snapshot) -> None:
    at_release(engine, snapshot)
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    store = SqlAccessRequestStore(engine)
    assert store.list(reader=None, first=10) == []
    form = RequestForm(
        "PYC-1", date(2026, 3, 1), "01", "Đề tài", "Trần Thị Bình", ("a" * 8 + "-0000-0000-0000-" + "0" * 12,)
    )
    request = AccessRequest(id="0" * 8 + "-1111-2222-3333-" + "4" * 12, form=form, reader="r1", created_at=AT)
    store.add(request)
    assert store.get(request.id) == request
    decided = store.decide(request.id, status=RequestStatus.APPROVED, by="arch", at=AT, note="được")
    assert decided is not None and decided.status is RequestStatus.APPROVED and decided.decided_by == "arch"
    # A decision is made once: a second one finds nothing pending.
    assert store.decide(request.id, status=RequestStatus.REFUSED, by="x", at=AT, note="") is None
    assert store.list(reader="r1", first=10) == [decided] and store.list(reader="r2", first=10) == []
