"""A destroyed record reaches the changes feed as a tombstone event (``record.destroyed``,
``deleted: true``), for those who may read its tombstone, and the webhook of a
subscriber who may read it carries ``deleted: true`` too."""

from __future__ import annotations

import asyncio
import json
from datetime import date

from archive.domain.access import Principal, Role
from archive.domain.records import Classification
from archive.outbound.http import HttpWebhookSender
from archive.services import disposition, webhooks
from archive.services.container import Services
from archive.services.identity import DEV_ADMIN
from tests.api.test_changes_feed import CHANGES
from tests.retention.scenario import call
from tests.retention.support import Clock, archived
from tests.retention.test_disposition import ISSUED, approved_batch, schedule
from tests.support.receiver import receiving

RM_HG = Principal("rm-hg", frozenset({Role.RECORDS_MANAGER}), frozenset({"UBND-HG"}), Classification.SECRET)
ARCHIVIST = Principal("arch", frozenset({Role.ARCHIVIST}), clearance=Classification.SECRET)
READER_HG = Principal("reader-hg", frozenset({Role.READER}), frozenset({"UBND-HG"}))


async def feed(services: Services, who: Principal) -> list[tuple[str, str, bool]]:
    data, codes = await call(services, who, CHANGES, first=50)
    assert codes == []
    return [
        (e["node"]["type"], e["node"]["subjectId"], e["node"]["deleted"]) for e in data["changes"]["edges"]
    ]


async def test_a_destroyed_record_is_a_tombstone_event(embedded: Services, clock: Clock) -> None:
    await schedule(embedded)
    doomed = await archived(embedded, "1", issued=ISSUED)
    kept = await archived(embedded, "2", issued=date(2020, 1, 1))
    assert await feed(embedded, READER_HG) == [
        ("record.deposited", doomed.id, False),
        ("record.deposited", kept.id, False),
    ]
    clock.advance(50)
    await approved_batch(embedded)
    assert (await disposition.run(embedded)).destroyed == [doomed.id]

    expected = [
        ("record.deposited", doomed.id, False),
        ("record.deposited", kept.id, False),
        ("record.destroyed", doomed.id, True),
    ]
    assert await feed(embedded, RM_HG) == expected
    assert await feed(embedded, ARCHIVIST) == expected
    # A reader may not read tombstones: the destroyed record is gone from its feed entirely.
    assert await feed(embedded, READER_HG) == [("record.deposited", kept.id, False)]


async def test_the_destroyed_event_reaches_a_subscriber_as_deleted(embedded: Services, clock: Clock) -> None:
    await schedule(embedded)
    doomed = await archived(embedded, "1", issued=ISSUED)
    clock.advance(50)
    await approved_batch(embedded)
    sender = embedded.webhook_sender
    allowed = embedded.settings.model_copy(update={"webhook_allow_networks": "127.0.0.0/8"})
    embedded.webhook_sender = HttpWebhookSender(allowed.webhook_target_policy, timeout=5)
    try:
        with receiving() as receiver:
            wanted = webhooks.NewSubscription(url=receiver.url, event_types=("record.destroyed",))
            await asyncio.to_thread(webhooks.create_subscription, embedded, DEV_ADMIN, wanted)
            assert (await disposition.run(embedded)).destroyed == [doomed.id]
            await webhooks.dispatch_once(embedded)
            [request] = receiver.wait_for(1, timeout=10)
    finally:
        await embedded.webhook_sender.close()
        embedded.webhook_sender = sender
    body = json.loads(request.body)
    assert body["type"] == "record.destroyed"
    assert body["data"] == {
        "id": doomed.id,
        "kind": "record",
        "deleted": True,
        "eventId": body["data"]["eventId"],
    }
