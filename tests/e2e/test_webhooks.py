"""Webhooks end to end, on both stacks, against a real HTTP receiver on loopback: the
signed ``record.processed`` event (its signature checked here independently, with
``hmac``), the retry after a 500, parking after N failures and redelivery, and a
subscriber that never hears of a record its owner may not read."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import io
import json
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from archive.domain.access import Principal, Role
from archive.domain.records import Classification, Record
from archive.domain.webhooks import DeliveryStatus, TargetPolicy
from archive.outbound.http import HttpWebhookSender
from archive.samples import SampleDocument, render_pdf
from archive.services import webhooks
from archive.services.changes import event_ids
from archive.services.container import Services
from archive.services.deposit import deposit
from archive.services.identity import DEV_ADMIN
from archive.services.worker import drain, work_forever
from archive.settings import Settings
from tests.e2e.documents import metadata_for
from tests.support.graphql import open_services
from tests.support.receiver import Received, Receiver, receiving

HG = "UBND-HG"
CLERK_HG = Principal("clerk-hg", frozenset({Role.CLERK}), frozenset({HG}), Classification.TOP_SECRET)
CLERK_LC = Principal("clerk-lc", frozenset({Role.CLERK}), frozenset({"UBND-LC"}), Classification.TOP_SECRET)


@pytest.fixture
def stack_settings(stack_settings: Settings) -> Settings:
    """The stack, with loopback allowed as a target and short retry delays."""
    return stack_settings.model_copy(
        update={
            "webhook_allow_networks": "127.0.0.0/8",
            "webhook_retry_base_seconds": 0.05,
            "webhook_retry_cap_seconds": 0.1,
            "webhook_max_attempts": 3,
            "webhook_poll_seconds": 0.05,
        }
    )


@pytest.fixture
async def services(stack_settings: Settings) -> AsyncIterator[Services]:
    """Built after the settings above, so the sender's target policy allows loopback."""
    async with open_services(stack_settings) as built:
        yield built


def verify(secret: str, request: Received, *, tolerance: int = 300) -> dict[str, object]:
    """Standard Webhooks verification, written from the convention, not from our code."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    msg_id, stamp = request.headers["webhook-id"], request.headers["webhook-timestamp"]
    signed = f"{msg_id}.{stamp}.".encode() + request.body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    offered = [
        s.partition(",")[2] for s in request.headers["webhook-signature"].split() if s.startswith("v1,")
    ]
    assert any(hmac.compare_digest(expected, o) for o in offered), "signature does not verify"
    assert abs(time.time() - int(stamp)) <= tolerance
    body: dict[str, object] = json.loads(request.body)
    return body


async def put(services: Services, number: str, *, by: Principal = CLERK_HG, **changes: object) -> Record:
    doc = SampleDocument(number=number, subject=f"Về việc số {number}")
    metadata = replace(metadata_for(doc, agency=min(by.agencies)), **changes)
    return await asyncio.to_thread(
        deposit, services, by, io.BytesIO(render_pdf(doc)), filename=f"{number}.pdf", metadata=metadata
    )


async def subscribe(services: Services, receiver: Receiver, *types: str, owner_key: str | None = None) -> str:
    wanted = webhooks.NewSubscription(url=receiver.url, event_types=types, owner_api_key=owner_key)
    made = await asyncio.to_thread(webhooks.create_subscription, services, DEV_ADMIN, wanted)
    return made.id


async def dispatch_until(services: Services, done: Callable[[], bool], *, rounds: int = 200) -> None:
    """Run outbox rounds until ``done()`` holds (retries are due after a short backoff)."""
    for _ in range(rounds):
        await webhooks.dispatch_once(services)
        if done():
            return
        await asyncio.sleep(0.05)
    pytest.fail("the outbox did not get there")


def log(services: Services) -> list[webhooks.Delivery]:
    found, _ = webhooks.delivery_log(services, DEV_ADMIN, first=100)
    return found


async def test_the_worker_delivers_a_signed_record_processed_event(services: Services) -> None:
    with receiving() as receiver:
        subscription = await subscribe(services, receiver, "record.deposited", "record.processed")
        secret = services.webhooks.get(subscription).secret  # type: ignore[union-attr]
        record = await put(services, "1")
        assert await drain(services) == 1
        stop = asyncio.Event()
        worker = asyncio.create_task(work_forever(services, stop, "test-worker"))
        try:
            got = await asyncio.to_thread(receiver.wait_for, 2)
            # The worker writes each attempt's outcome after the receiver answered it.
            for _ in range(600):
                if {d.status for d in log(services)} == {DeliveryStatus.DELIVERED}:
                    break
                await asyncio.sleep(0.05)
        finally:
            stop.set()
            await worker
    bodies = [verify(secret, r) for r in got]
    assert [b["type"] for b in bodies] == ["record.deposited", "record.processed"]
    processed, request = bodies[1], got[1]
    data = processed["data"]
    assert isinstance(data, dict) and data["id"] == record.id and data["kind"] == "record"
    assert data["eventId"] == request.headers["webhook-id"]
    assert event_ids(services).decode(request.headers["webhook-id"]) > 0  # a feed cursor too
    assert request.headers["content-type"] == "application/json"
    assert datetime.fromisoformat(str(processed["timestamp"])) <= datetime.now(UTC)
    assert {d.status for d in log(services)} == {DeliveryStatus.DELIVERED}


async def test_a_500_is_retried_with_the_same_id_and_then_delivered(services: Services) -> None:
    with receiving() as receiver:
        receiver.answers = [500]
        subscription = await subscribe(services, receiver, "record.deposited")
        secret = services.webhooks.get(subscription).secret  # type: ignore[union-attr]
        record = await put(services, "2")
        await dispatch_until(services, lambda: len(receiver.requests()) >= 2)
        got = receiver.requests()
    assert [verify(secret, r)["data"] for r in got] == [verify(secret, got[0])["data"]] * 2
    assert got[0].headers["webhook-id"] == got[1].headers["webhook-id"]
    [delivery] = log(services)
    assert delivery.status is DeliveryStatus.DELIVERED and delivery.attempts == 2
    assert delivery.subject_id == record.id and delivery.last_status_code == 204


async def test_parked_after_n_failures_then_redelivered(services: Services) -> None:
    with receiving() as receiver:
        receiver.default = 500
        await subscribe(services, receiver, "record.deposited")
        await put(services, "3")
        await dispatch_until(services, lambda: [d.status for d in log(services)] == [DeliveryStatus.PARKED])
        [parked] = log(services)
        assert parked.attempts == 3 and parked.last_status_code == 500 and len(receiver.requests()) == 3
        await webhooks.dispatch_once(services)
        assert len(receiver.requests()) == 3  # parked: no more attempts

        receiver.default = 200
        again = await asyncio.to_thread(webhooks.redeliver, services, DEV_ADMIN, parked.id)
        assert again.status is DeliveryStatus.PENDING and again.attempts == 0
        await dispatch_until(services, lambda: log(services)[0].status is DeliveryStatus.DELIVERED)
        assert len(receiver.requests()) == 4


async def test_a_subscriber_never_hears_of_a_record_its_owner_may_not_read(services: Services) -> None:
    """The subscription belongs to a portal's API key (agency HG, ordinary clearance):
    another agency's record and a confidential one of its own agency stay silent, and
    so does a record that was readable at the event but no longer is when it is sent."""
    key, _ = services.api_keys.create(
        name="portal", agencies=[HG], roles=[Role.READER], clearance=Classification.ORDINARY
    )
    with receiving() as receiver:
        await subscribe(services, receiver, "record.deposited", "record.processed", owner_key=key.id)
        readable = await put(services, "10")
        await put(services, "11", by=CLERK_LC)
        await put(services, "12", classification=Classification.CONFIDENTIAL)
        assert await drain(services) == 3
        await dispatch_until(services, lambda: len(receiver.requests()) >= 2)
        await asyncio.sleep(0.2)
        await webhooks.dispatch_once(services)
        got = receiver.requests()
    ids = {json.loads(r.body)["data"]["id"] for r in got}
    assert ids == {readable.id}
    assert sorted(json.loads(r.body)["type"] for r in got) == ["record.deposited", "record.processed"]
    assert {d.subject_id for d in log(services)} == {readable.id}  # hidden events leave no delivery


async def test_a_key_revoked_before_sending_withholds_the_event(services: Services) -> None:
    key, _ = services.api_keys.create(
        name="portal", agencies=[HG], roles=[Role.READER], clearance=Classification.ORDINARY
    )
    with receiving() as receiver:
        await subscribe(services, receiver, "record.deposited", owner_key=key.id)
        await put(services, "20")
        await asyncio.to_thread(webhooks.fan_out, services)
        assert [d.status for d in log(services)] == [DeliveryStatus.PENDING]
        services.api_keys.revoke(key.id)
        await webhooks.deliver_due(services)
        assert receiver.requests() == []
    assert [d.status for d in log(services)] == [DeliveryStatus.WITHHELD]


async def test_metadata_and_loopback_targets_are_refused_by_default() -> None:
    """With the default policy, no connection is made to link-local or loopback targets."""
    from ipaddress import ip_address

    from archive.settings import Settings as Fresh

    policy = Fresh(_env_file=None).webhook_target_policy  # type: ignore[call-arg]
    assert not policy.allows(ip_address("169.254.169.254"))
    assert not policy.allows(ip_address("::ffff:169.254.169.254"))
    assert not policy.allows(ip_address("127.0.0.1")) and not policy.allows(ip_address("::1"))
    assert policy.allows(ip_address("10.20.30.40"))
    sender = HttpWebhookSender(policy, timeout=2)
    try:
        with receiving() as receiver:
            result = await sender.send(receiver.url, {}, b"{}")
            assert receiver.requests() == []
        assert result.status_code is None and result.error is not None and "not allowed" in result.error
        metadata = await sender.send("http://169.254.169.254/latest/meta-data/", {}, b"{}")
        assert metadata.status_code is None and "not allowed" in (metadata.error or "")
    finally:
        await sender.close()


async def test_a_redirect_is_a_failure_and_is_not_followed() -> None:
    sender = HttpWebhookSender(TargetPolicy.parse("127.0.0.0/8", ""), timeout=5)
    try:
        with receiving() as receiver:
            receiver.default, receiver.location = 307, receiver.url + "/elsewhere"
            result = await sender.send(receiver.url, {"webhook-id": "evt_x"}, b"{}")
            assert len(receiver.requests()) == 1
    finally:
        await sender.close()
    assert not result.ok and result.status_code == 307 and result.error == "redirects are not followed"
