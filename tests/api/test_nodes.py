"""``nodes(ids)``: several objects in one call, in the order asked, each under its own read
rule; an unreadable id answers null exactly like an id that names nothing, and the call's
cost grows with the number of ids."""

from __future__ import annotations

import asyncio
import uuid

from archive.api.types import to_global_id
from archive.domain.access import Principal, Role
from archive.domain.records import Classification
from archive.services.container import Services
from tests.retention.scenario import ADMIN, call
from tests.support.access import make_record

READER_A = Principal(subject="reader-a", roles=frozenset({Role.READER}), agencies=frozenset({"A"}))
NODES = """query($ids: [ID!]!) { nodes(ids: $ids) {
  __typename id ... on Record { recordId subject } ... on Fonds { code } } }"""


async def test_nodes_answers_in_order_and_hides_what_the_caller_may_not_read(services: Services) -> None:
    own = make_record(agency="A", subject="Của A")
    public = make_record(agency="B", public=True, subject="Công khai của B")
    hidden = make_record(agency="B", subject="Riêng của B")
    secret = make_record(agency="A", classification=Classification.SECRET, subject="Mật của A")
    for record in (own, public, hidden, secret):
        await asyncio.to_thread(services.records.add, record)
    missing = str(uuid.uuid4())
    ids = [to_global_id("Record", r) for r in (hidden.id, own.id, missing, public.id, secret.id, own.id)]
    ids.append("not a global id")

    data, errors = await call(services, READER_A, NODES, ids=ids)
    assert errors == []
    got = [None if n is None else n["recordId"] for n in data["nodes"]]
    assert got == [None, own.id, None, public.id, None, own.id, None]
    assert data["nodes"][1]["subject"] == "Của A"

    everything, errors = await call(services, ADMIN, NODES, ids=ids)
    assert errors == []
    seen = [None if n is None else n["recordId"] for n in everything["nodes"]]
    assert seen == [hidden.id, own.id, None, public.id, secret.id, own.id, None]

    # The reader's read of its own non-public record is audited once; the public one is not.
    reads = [e for e in services.audit.entries() if e.action == "record.read" and e.actor == "reader-a"]
    assert [e.target for e in reads] == [own.id]


async def test_nodes_refuses_more_ids_than_a_page(services: Services) -> None:
    limit = services.settings.max_page_size
    ids = [to_global_id("Record", str(uuid.uuid4())) for _ in range(limit + 1)]
    data, errors = await call(services, ADMIN, NODES, ids=ids)
    assert errors == ["INVALID_QUERY"] and data is None
