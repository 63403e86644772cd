"""The refusal tally on a real SQLite audit log: bounded entries, exact counts, and a cap
on distinct keys that still counts everything."""

from __future__ import annotations

import types
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import cast

from archive.db.audit import SqlAuditLog
from archive.db.engine import create_db_engine
from archive.db.migrate import upgrade
from archive.services.audit import ClientInfo
from archive.services.container import Services
from archive.services.refusals import OVERFLOW, RefusalTally

T0 = datetime(2025, 3, 1, 8, 30, tzinfo=UTC)


async def test_many_clients_past_the_cap_are_counted_under_one_key(tmp_path: Path) -> None:
    engine = create_db_engine(f"sqlite:///{tmp_path / 'a.db'}")
    upgrade(engine)
    now = [T0]
    services = cast(Services, types.SimpleNamespace(clock=lambda: now[0], audit=SqlAuditLog(engine)))
    tally = RefusalTally(window_seconds=60, max_keys=3)
    for n in range(40):  # forty addresses, each twice
        for _ in range(2):
            await tally.refuse(services, ClientInfo(ip=f"10.0.0.{n}"), "DecodeError")
    assert len(list(services.audit.entries())) == 4  # three keys and the overflow, first of each
    assert tally.pending == 80 - 4
    now[0] = T0 + timedelta(minutes=1)
    assert await tally.flush(services, now=now[0]) == 4
    entries = list(services.audit.entries())
    assert sum(int(e.details["count"] or 0) for e in entries) == 80
    assert sum(int(e.details["count"] or 0) for e in entries if e.details["reason"] == OVERFLOW[1]) == 74
    assert tally.pending == 0 and await tally.flush(services) == 0
    engine.dispose()
