"""The audit surface under attack, on both stacks: an auditor below a record's clearance
learns nothing about it from the audit log, and refused credentials cannot grow the
chain without bound while every refusal is still counted."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from archive.app import create_app
from archive.domain.records import Classification
from archive.settings import Settings
from tests.support.access import SigningKey, bearer_settings, make_record
from tests.support.audit_world import (
    FIXED_NOW,
    RECORD,
    SEARCH,
    World,
    add_records,
    add_tombstone,
    global_id,
    open_world,
)


@pytest.fixture
async def world(stack_settings: Settings, tmp_path: Path) -> AsyncIterator[World]:
    key = SigningKey.generate()
    async with open_world(bearer_settings(stack_settings, key, tmp_path), key) as built:
        yield built


async def test_an_ordinary_archivist_sees_no_trace_of_classified_records(world: World) -> None:
    """Finding 2: `record.read` and `search.read` named classified ids, and
    `retention.destroy` showed the number and SHA-256, to an ORDINARY archivist."""
    secret = make_record(agency="A", classification=Classification.TOP_SECRET)
    ordinary = make_record(agency="A")
    await add_records(world, secret, ordinary)
    add_tombstone(world, "0f0e0d0c-0b0a-4909-8807-060504030201", "A", Classification.SECRET)
    reader = world.token("reader-top", ["reader"], Classification.TOP_SECRET, ["A"])
    for record in (secret, ordinary):
        await world.post(RECORD, reader, id=global_id(record.id))
    await world.post(SEARCH, reader)

    archivist = world.token("arch-ord", ["archivist"], Classification.ORDINARY, ["B"])
    seen, _, errors = await world.audit_pages(archivist, first=50)
    assert errors is None
    text = json.dumps(seen)
    assert secret.id not in text and "0f0e0d0c-0b0a-4909-8807-060504030201" not in text
    assert "ab" * 32 not in text and "7/QĐ-UBND" not in text
    searches = [json.loads(e["details"]) for e in seen if e["action"] == "search.read"]
    assert searches == [{"count": 1, "ids": ordinary.id}]
    assert [e["target"] for e in seen if e["action"] == "record.read"] == [ordinary.id]
    by_target = await world.post(
        "query($f: AuditLogFilter) { auditLog(first: 10, filter: $f) { edges { node { seq } } } }",
        archivist,
        f={"target": secret.id},
    )
    assert by_target["data"]["auditLog"]["edges"] == []

    cleared = world.token("arch-top", ["archivist"], Classification.TOP_SECRET, [])
    everything, _, _ = await world.audit_pages(cleared, first=50)
    searches = [json.loads(e["details"]) for e in everything if e["action"] == "search.read"]
    assert searches == [{"count": 2, "ids": searches[0]["ids"]}]
    assert set(searches[0]["ids"].split(",")) == {secret.id, ordinary.id}
    assert any(e["action"] == "retention.destroy" for e in everything)


def denied(world: World) -> list[dict[str, Any]]:
    return [
        {"client": e.client, **dict(e.details)}
        for e in world.services.audit.entries()
        if e.action == "auth.denied"
    ]


async def test_refused_credentials_add_a_bounded_number_of_entries_whose_counts_add_up(world: World) -> None:
    """Finding 6: each refused credential appended its own entry under the head lock."""
    now = [FIXED_NOW]
    world.services.clock = lambda: now[0]
    app = create_app(services=world.services)
    transport = httpx.ASGITransport(app=app)
    garbage = {"Authorization": "Bearer garbage"}
    bad_key = {"X-API-Key": "ark_garbage"}
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as http:

        async def refuse(headers: dict[str, str], times: int) -> None:
            for _ in range(times):
                response = await http.post("/graphql", json={"query": "{ __typename }"}, headers=headers)
                assert response.status_code == 401

        await refuse(garbage, 150)
        await refuse(bad_key, 50)
        assert len(denied(world)) == 2  # the first of each reason, at once
        assert sum(d["count"] for d in denied(world)) == 2

        window = world.services.settings.audit_refusal_window_seconds
        now[0] = FIXED_NOW + timedelta(seconds=window)
        await refuse(garbage, 25)  # the first refusal of the new window closes the last one
    await app.state.refusals.flush(world.services)  # what the lifespan does at shutdown

    entries = denied(world)
    assert len(entries) <= 6
    assert sum(d["count"] for d in entries) == 225
    by_reason: dict[str, int] = {}
    for d in entries:
        by_reason[d["reason"]] = by_reason.get(d["reason"], 0) + d["count"]
    assert sorted(by_reason.values()) == [50, 175]
    assert all(json.loads(d["client"]).get("ip") == "127.0.0.1" for d in entries)


async def test_the_server_writes_the_pending_counts_when_it_stops(tmp_path: Path) -> None:
    """The lifespan flushes the tally at shutdown: no refusal is lost with the process."""
    from archive.db.audit import SqlAuditLog
    from archive.db.engine import create_db_engine
    from tests.conftest import embedded_settings

    settings = embedded_settings(tmp_path / "data", embedded_worker=False, dev_local_admin=False)
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as http:
            for _ in range(30):
                response = await http.post(
                    "/graphql", json={"query": "{ __typename }"}, headers={"X-API-Key": "ark_x"}
                )
                assert response.status_code == 401
    engine = create_db_engine(settings.resolved_database_url)
    entries = [e for e in SqlAuditLog(engine).entries() if e.action == "auth.denied"]
    engine.dispose()
    assert len(entries) == 2
    assert sum(int(e.details["count"] or 0) for e in entries) == 30
