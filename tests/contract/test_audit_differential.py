"""The audit log through the read rule: for every principal, the entries it sees (and how
they page) are the same whether or not a record it may not read exists, is deposited,
read, searched, downloaded and granted. Runs on SQLite + FTS5, and on PostgreSQL +
Elasticsearch + S3 when they are available.

Two archives run the same script; only the first holds the hidden record (H: TOP_SECRET,
agency A; or C: agency A, ORDINARY, mode 02, which other agencies' archivists may not
read without a grant) and the requests that find it. Requests about H's id in the second archive
find nothing, as they would for any id that never existed. Each principal then pages
through the audit log of both; everything but the entries' places in the global chain
(seq, hash, cursors) must be equal. A gap in seq tells an auditor that entries it may
not see exist, never what they are about (README, access and audit).
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from archive.domain.access import Principal, Readable, Role, can_read, can_read_audit, can_read_tombstone
from archive.domain.records import Classification, Record
from archive.settings import Settings
from tests.conftest import embedded_settings, production_settings
from tests.support.access import SigningKey, bearer_settings, make_record
from tests.support.audit_world import (
    DOWNLOAD,
    GRANT,
    RECORD,
    SEARCH,
    World,
    add_records,
    add_tombstone,
    global_id,
    open_world,
    projection,
)
from tests.support.db import fresh_database

V1 = make_record(agency="A", classification=Classification.ORDINARY)
V2 = make_record(agency="B", classification=Classification.CONFIDENTIAL)
V3 = make_record(agency="A", public=True)
H = make_record(agency="A", classification=Classification.TOP_SECRET)
_C = make_record(agency="A")
C = replace(_C, metadata=replace(_C.metadata, mode="02"))
# The hidden record, the grantee its clerk names (H: refused, the clerk may not read
# it; C: someone outside the viewers, so agency B stays without a grant), its grants
# after the script, and how many viewers at least must compare.
HIDDEN = {
    "top-secret": (H, "agency:B", ("user:reader-a",), 20),
    "conditional": (C, "user:someone-else", ("user:reader-a", "user:someone-else"), 4),
}
DESTROYED = ("7d7e1c52-3f1e-4a5e-9a55-2f8b1c1d0e01", "A", Classification.SECRET)
ROLES = [Role.READER, Role.CLERK, Role.ARCHIVIST, Role.RECORDS_MANAGER, Role.ADMIN]


def readable(record: Any) -> Readable:
    return Readable.of(record)


@pytest.fixture
async def worlds(
    stack: str, tmp_path: Path, request: pytest.FixtureRequest
) -> AsyncIterator[tuple[World, World]]:
    key = SigningKey.generate()

    def settings_for(name: str, database_url: str | None) -> Settings:
        (tmp_path / name).mkdir()
        if database_url is None:
            base = embedded_settings(tmp_path / name / "data")
        else:
            base = production_settings(tmp_path / name / "data", database_url)
        return bearer_settings(base, key, tmp_path / name)

    if stack == "embedded":
        async with (
            open_world(settings_for("with", None), key) as a,
            open_world(settings_for("without", None), key) as b,
        ):
            yield a, b
        return
    first_url = str(request.getfixturevalue("postgres_url"))
    with fresh_database(first_url) as second_url:
        async with (
            open_world(settings_for("with", first_url), key) as a,
            open_world(settings_for("without", second_url), key) as b,
        ):
            yield a, b


async def script(world: World, hidden: Record, grantee: str, *, present: bool) -> None:
    """The same requests in both worlds; only the first holds the hidden record (and its
    deposit entry)."""
    await add_records(world, V1, V2, V3, *([hidden] if present else []))
    if present:
        world.services.audit.append(
            at=world.services.clock(), actor="clerk-top", action="record.deposit", target=hidden.id,
            outcome="ok", details={"agency": "A"},  # type: ignore[arg-type]
        )  # fmt: skip
    add_tombstone(world, *DESTROYED)
    reader = world.token("reader-a", ["reader"], Classification.ORDINARY, ["A"])
    admin = world.token("admin-top", ["admin"], Classification.TOP_SECRET, [])
    clerk = world.token("clerk-a", ["clerk"], Classification.ORDINARY, ["A"])
    for token in (reader, admin):
        for record in (V1, V2, V3, hidden):
            await world.post(RECORD, token, id=global_id(record.id))
        await world.post(SEARCH, token)
        await world.post(DOWNLOAD, token, id=global_id(V1.id))
    await world.post(DOWNLOAD, admin, id=global_id(hidden.id))
    await world.post(GRANT, clerk, id=global_id(V1.id), g="agency:B")
    await world.post(GRANT, clerk, id=global_id(hidden.id), g=grantee)
    for record in (V1, hidden):
        await world.post(GRANT, admin, id=global_id(record.id), g="user:reader-a")


def viewers() -> list[Principal]:
    """Every role at every clearance, for agency A and for B; and every pair of roles."""
    single = [
        Principal(
            subject=f"{role.value}-{level.name}", roles=frozenset({role}), agencies=agencies, clearance=level
        )
        for role, level, agencies in itertools.product(
            ROLES, list(Classification), [frozenset({"A"}), frozenset({"B"})]
        )
    ]
    pairs = [
        Principal(
            subject=f"{a.value}+{b.value}",
            roles=frozenset({a, b}),
            agencies=frozenset({"A"}),
            clearance=level,
        )
        for (a, b), level in itertools.product(
            itertools.combinations(ROLES, 2), [Classification.CONFIDENTIAL, Classification.SECRET]
        )
    ]
    return single + pairs


@pytest.mark.parametrize("case", HIDDEN)
async def test_the_audit_log_a_principal_sees_does_not_depend_on_records_it_may_not_read(
    worlds: tuple[World, World], case: str
) -> None:
    hidden, grantee, grants_after, at_least = HIDDEN[case]
    with_hidden, without = worlds
    await script(with_hidden, hidden, grantee, present=True)
    await script(without, hidden, grantee, present=False)
    h_after = replace(hidden, grants=grants_after)
    destroyed = Readable(DESTROYED[1], DESTROYED[2], False)
    compared = 0
    for viewer in viewers():
        roles = [r.value for r in viewer.roles]
        token_a = with_hidden.token(viewer.subject, roles, viewer.clearance, sorted(viewer.agencies))
        token_b = without.token(viewer.subject, roles, viewer.clearance, sorted(viewer.agencies))
        seen_a, pages_a, errors_a = await with_hidden.audit_pages(token_a, first=3)
        seen_b, pages_b, errors_b = await without.audit_pages(token_b, first=3)
        if not can_read_audit(viewer):
            assert errors_a == errors_b == ["FORBIDDEN"]
            continue
        shown = {e["target"] for e in seen_a}
        assert (DESTROYED[0] in shown) == can_read_tombstone(viewer, destroyed), viewer
        if can_read(viewer, readable(h_after)) or can_read(viewer, readable(hidden)):
            assert hidden.id in shown  # sanity: a principal cleared for it sees its entries
            continue
        assert [projection(e) for e in seen_a] == [projection(e) for e in seen_b], viewer
        assert pages_a == pages_b, viewer
        assert all(hidden.id not in str(e) for e in seen_a), viewer
        compared += 1
    assert compared >= at_least
