"""Webhook subscriptions and the delivery log over GraphQL, on both stacks: admins only,
the secret shown once, validation errors with a code, an owner above the admin's
clearance refused, and a delivery log that shows each admin only what it may see."""

from __future__ import annotations

import asyncio
from typing import Any

from archive.domain.access import Principal, Role
from archive.domain.records import Classification
from archive.services import webhooks
from archive.services.container import Services
from tests.api.test_changes_feed import CLERK_HG, put
from tests.retention.scenario import call

ADMIN = Principal("admin-1", frozenset({Role.ADMIN}), clearance=Classification.TOP_SECRET)
ADMIN_LOW = Principal("admin-2", frozenset({Role.ADMIN}), clearance=Classification.ORDINARY)
CLERK = Principal("clerk", frozenset({Role.CLERK}), frozenset({"UBND-HG"}))

CREATE = """mutation($input: WebhookSubscriptionInput!) { createWebhookSubscription(input: $input) {
  secret subscription { id url eventTypes owner active createdBy } } }"""
LIST = "{ webhookSubscriptions { id url owner active } }"
PAUSE = "mutation($id: ID!, $a: Boolean!) { setWebhookSubscriptionActive(id: $id, active: $a) { id active } }"
DELETE = "mutation($id: ID!) { deleteWebhookSubscription(id: $id) }"
DELIVERIES = """query($s: ID, $st: WebhookDeliveryStatus) {
  webhookDeliveries(subscriptionId: $s, status: $st) {
  edges { node { id eventType subjectId status attempts } } pageInfo { hasNextPage } } }"""
REDELIVER = "mutation($id: ID!) { redeliverWebhook(deliveryId: $id) { id status } }"


def hook(**changes: Any) -> dict[str, Any]:
    return {"url": "https://portal.example.gov.vn/hook", "eventTypes": ["record.deposited"], **changes}


async def test_admins_manage_subscriptions(services: Services) -> None:
    data, codes = await call(services, ADMIN, CREATE, input=hook())
    assert codes == []
    made = data["createWebhookSubscription"]
    assert made["secret"].startswith("whsec_")
    sub = made["subscription"]
    assert sub["owner"] == "admin-1" and sub["active"] and sub["createdBy"] == "admin-1"
    listed, _ = await call(services, ADMIN, LIST)
    assert listed["webhookSubscriptions"] == [
        {"id": sub["id"], "url": sub["url"], "owner": "admin-1", "active": True}
    ]
    paused, _ = await call(services, ADMIN, PAUSE, id=sub["id"], a=False)
    assert paused["setWebhookSubscriptionActive"] == {"id": sub["id"], "active": False}
    for query, variables in ((LIST, {}), (CREATE, {"input": hook()}), (DELETE, {"id": sub["id"]})):
        data, codes = await call(services, CLERK, query, **variables)
        assert data is None and codes == ["FORBIDDEN"]
    deleted, _ = await call(services, ADMIN, DELETE, id=sub["id"])
    assert deleted == {"deleteWebhookSubscription": True}
    _, codes = await call(services, ADMIN, DELETE, id=sub["id"])
    assert codes == ["NOT_FOUND"]


async def test_bad_input_is_refused_with_a_code(services: Services) -> None:
    for bad in (hook(url="file:///etc/passwd"), hook(eventTypes=["record.exploded"]), hook(eventTypes=[])):
        data, codes = await call(services, ADMIN, CREATE, input=bad)
        assert data is None and codes == ["VALIDATION"]
    data, codes = await call(services, ADMIN, CREATE, input=hook(ownerApiKey="nope"))
    assert data is None and codes == ["VALIDATION"]
    key, _ = services.api_keys.create(
        name="p", agencies=["UBND-HG"], roles=[Role.READER], clearance=Classification.SECRET
    )
    data, codes = await call(services, ADMIN_LOW, CREATE, input=hook(ownerApiKey=key.id))
    assert data is None and codes == ["FORBIDDEN"]  # the key is cleared above the admin
    data, codes = await call(services, ADMIN, CREATE, input=hook(ownerApiKey=key.id))
    assert codes == [] and data["createWebhookSubscription"]["subscription"]["owner"] == f"apikey:{key.id}"


async def test_the_delivery_log_follows_each_admins_clearance(services: Services) -> None:
    data, _ = await call(services, ADMIN, CREATE, input=hook(url="http://127.0.0.1:9/closed"))
    sub = data["createWebhookSubscription"]["subscription"]["id"]
    plain = await put(services, "1", CLERK_HG)
    secret = await put(services, "2", CLERK_HG, classification=Classification.TOP_SECRET)
    await asyncio.to_thread(webhooks.fan_out, services)

    async def log(who: Principal) -> list[dict[str, Any]]:
        data, codes = await call(services, who, DELIVERIES, s=sub)
        assert codes == []
        return [e["node"] for e in data["webhookDeliveries"]["edges"]]

    assert [d["subjectId"] for d in await log(ADMIN)] == [secret.id, plain.id]
    assert [d["subjectId"] for d in await log(ADMIN_LOW)] == [plain.id]
    assert {d["status"] for d in await log(ADMIN)} == {"PENDING"}
    data, codes = await call(services, ADMIN, REDELIVER, id=(await log(ADMIN))[0]["id"])
    assert data is None and codes == ["NOT_FOUND"]  # pending: nothing to redeliver
    data, codes = await call(services, ADMIN_LOW, REDELIVER, id=(await log(ADMIN))[0]["id"])
    assert data is None and codes == ["NOT_FOUND"]  # above its clearance: as if it did not exist
    data, codes = await call(services, CLERK, DELIVERIES)
    assert data is None and codes == ["FORBIDDEN"]
