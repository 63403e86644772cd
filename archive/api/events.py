"""The events slice of the schema: webhook subscriptions and their delivery log (admins),
and the ``changes`` feed (everyone, under the read rule)."""

from __future__ import annotations

import asyncio
from datetime import datetime
from enum import Enum
from typing import Annotated

import strawberry

from archive.api.context import Context
from archive.api.types import PageInfo, to_global_id
from archive.domain import webhooks as domain
from archive.domain.errors import InvalidCursor
from archive.domain.events import SubjectKind
from archive.services import changes as feed
from archive.services import webhooks as service

Info = strawberry.Info[Context, None]

_GLOBAL_TYPES = {SubjectKind.RECORD: "Record", SubjectKind.DOSSIER: "Dossier"}


@strawberry.enum(description="Where a webhook delivery stands.")
class WebhookDeliveryStatus(Enum):
    PENDING = strawberry.enum_value("pending", description="Due now or after a backoff.")
    DELIVERED = strawberry.enum_value("delivered", description="The receiver answered 2xx.")
    PARKED = strawberry.enum_value(
        "parked", description="Failed ARCHIVE_WEBHOOK_MAX_ATTEMPTS times; redeliverWebhook sends it again."
    )
    WITHHELD = strawberry.enum_value(
        "withheld",
        description="Not sent: the owner may no longer read the subject, or the subscription is paused.",
    )


@strawberry.type(
    description="A webhook subscription: where events go, signed with its secret, for its owner."
)
class WebhookSubscription:
    id: strawberry.ID = strawberry.field(description="The subscription's id.")
    url: str = strawberry.field(description="Where deliveries are POSTed.")
    event_types: list[str] = strawberry.field(description="The event types it receives, sorted.")
    owner: str = strawberry.field(
        description=(
            "The principal it acts for (apikey:<id> or a subject): it hears only of what that one may read."
        )
    )
    active: bool = strawberry.field(description="Paused subscriptions get no new deliveries.")
    created_at: datetime = strawberry.field(description="When it was made (UTC).")
    created_by: str = strawberry.field(description="The admin who made it.")
    description: str = strawberry.field(description="Free text from the admin.")

    @classmethod
    def from_domain(cls, s: domain.Subscription) -> WebhookSubscription:
        return cls(
            id=strawberry.ID(s.id),
            url=s.url,
            event_types=sorted(s.event_types),
            owner=s.owner.subject,
            active=s.active,
            created_at=s.created_at,
            created_by=s.created_by,
            description=s.description,
        )


@strawberry.type(description="A new subscription and its signing secret, shown only this once.")
class WebhookSubscriptionCreated:
    subscription: WebhookSubscription = strawberry.field(description="The subscription.")
    secret: str = strawberry.field(
        description="The Standard Webhooks secret (whsec_...): give it to the receiver to verify signatures."
    )


@strawberry.input(description="A webhook subscription to make.")
class WebhookSubscriptionInput:
    url: str = strawberry.field(
        description="An http(s) URL without credentials; its host must be an allowed target."
    )
    event_types: list[str] = strawberry.field(
        description=(
            "Event types: record.deposited, record.processed, record.corrected, record.revoked, "
            "record.destroyed, dossier.closed, transfer.accepted."
        )
    )
    owner_api_key: str | None = strawberry.field(
        default=None,
        description="The id of the portal's API key the subscription acts for; null: the calling admin.",
    )
    description: str = strawberry.field(default="", description="Free text, at most 500 characters.")


@strawberry.type(description="One event owed to one subscription, and how its attempts went.")
class WebhookDelivery:
    id: strawberry.ID = strawberry.field(description="The delivery's id (for redeliverWebhook).")
    subscription_id: strawberry.ID = strawberry.field(description="The subscription.")
    event_type: str = strawberry.field(description="The event type, e.g. record.processed.")
    subject_id: str = strawberry.field(description="The id of the record, dossier or transfer.")
    status: WebhookDeliveryStatus = strawberry.field(description="Where it stands.")
    attempts: int = strawberry.field(description="HTTP attempts made so far.")
    next_at: datetime = strawberry.field(description="When it is due next, if pending (UTC).")
    created_at: datetime = strawberry.field(description="When the event was fanned out to it (UTC).")
    last_attempt_at: datetime | None = strawberry.field(description="The last attempt (UTC).")
    last_status_code: int | None = strawberry.field(description="The receiver's last HTTP status.")
    last_error: str | None = strawberry.field(description="Why the last attempt failed.")

    @classmethod
    def from_domain(cls, d: domain.Delivery) -> WebhookDelivery:
        return cls(
            id=strawberry.ID(str(d.id)),
            subscription_id=strawberry.ID(d.subscription_id),
            event_type=d.event_type,
            subject_id=d.subject_id,
            status=WebhookDeliveryStatus[d.status.name],
            attempts=d.attempts,
            next_at=d.next_at,
            created_at=d.created_at,
            last_attempt_at=d.last_attempt_at,
            last_status_code=d.last_status_code,
            last_error=d.last_error,
        )


@strawberry.type(description="One delivery in a page.")
class WebhookDeliveryEdge:
    cursor: str = strawberry.field(description="Pass as `after` to continue after this delivery.")
    node: WebhookDelivery = strawberry.field(description="The delivery.")


@strawberry.type(description="A page of the delivery log, newest first (Relay connection).")
class WebhookDeliveryConnection:
    edges: list[WebhookDeliveryEdge] = strawberry.field(description="The deliveries of this page.")
    page_info: PageInfo = strawberry.field(description="Paging.")


@strawberry.type(description="One change to a record or dossier, as the caller may see it.")
class Change:
    id: str = strawberry.field(
        description=(
            "The event's opaque id: the same as the webhook-id of its webhook, and a cursor for `changes`."
        )
    )
    type: str = strawberry.field(
        description="record.deposited, record.processed, record.corrected, record.revoked, record.destroyed "
        "or dossier.closed."
    )
    at: datetime = strawberry.field(description="When it happened (UTC).")
    subject_kind: str = strawberry.field(description="record or dossier.")
    subject_id: str = strawberry.field(description="The raw id of the record or dossier.")
    subject: strawberry.ID = strawberry.field(description="The Relay global id of the record or dossier.")
    deleted: bool = strawberry.field(
        description=(
            "True for a tombstone event (record.destroyed): drop your copy; only the tombstone remains."
        )
    )


@strawberry.type(description="One change in a page.")
class ChangeEdge:
    cursor: str = strawberry.field(description="Pass as `after` to continue after this change.")
    node: Change = strawberry.field(description="The change.")


@strawberry.type(description="A page of the changes feed, oldest first (Relay connection).")
class ChangeConnection:
    edges: list[ChangeEdge] = strawberry.field(description="The changes of this page.")
    page_info: PageInfo = strawberry.field(
        description=(
            "Paging. endCursor stays the `after` given when the page is empty: keep it and ask again later."
        )
    )


def _change(change: feed.Change) -> Change:
    event = change.event
    return Change(
        id=change.id,
        type=event.name,
        at=event.at,
        subject_kind=str(event.type.kind),
        subject_id=event.subject_id,
        subject=to_global_id(_GLOBAL_TYPES[event.type.kind], event.subject_id),
        deleted=event.type.deletion,
    )


def _delivery_before(after: str | None) -> int | None:
    if after is None:
        return None
    if not after.isdigit() or len(after) > 18:
        raise InvalidCursor("the cursor is malformed")
    return int(after)


@strawberry.type
class EventQueries:
    @strawberry.field(
        description=(
            "Changes to records and dossiers, oldest first, after `after` (null: from the start). "
            "Only changes about what the caller may read now; destroyed records appear as tombstone "
            "events (deleted: true) to those who may read the tombstone. Cursors are opaque and stable."
        )
    )
    async def changes(
        self,
        info: Info,
        first: Annotated[int, strawberry.argument(description="Page size, at most the page limit.")] = 50,
        after: Annotated[
            str | None, strawberry.argument(description="A cursor from an earlier page.")
        ] = None,
    ) -> ChangeConnection:
        ctx = info.context
        page = await feed.changes(ctx.services, ctx.principal, after=after, first=first)
        edges = [ChangeEdge(cursor=c.id, node=_change(c)) for c in page.changes]
        return ChangeConnection(
            edges=edges, page_info=PageInfo(has_next_page=page.has_next, end_cursor=page.end_cursor)
        )

    @strawberry.field(description="Every webhook subscription, oldest first. Admins only (else FORBIDDEN).")
    async def webhook_subscriptions(self, info: Info) -> list[WebhookSubscription]:
        ctx = info.context
        found = await asyncio.to_thread(service.list_subscriptions, ctx.services, ctx.principal)
        return [WebhookSubscription.from_domain(s) for s in found]

    @strawberry.field(
        description=(
            "The webhook delivery log, newest first. Admins only (else FORBIDDEN); each admin sees "
            "only deliveries about events it may see itself."
        )
    )
    async def webhook_deliveries(
        self,
        info: Info,
        subscription_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="Only this subscription's deliveries.")
        ] = None,
        status: Annotated[
            WebhookDeliveryStatus | None, strawberry.argument(description="Only deliveries in this state.")
        ] = None,
        first: Annotated[int, strawberry.argument(description="Page size.")] = 50,
        after: Annotated[str | None, strawberry.argument(description="Cursor to continue after.")] = None,
    ) -> WebhookDeliveryConnection:
        ctx = info.context
        found, more = await asyncio.to_thread(
            service.delivery_log,
            ctx.services,
            ctx.principal,
            subscription_id=None if subscription_id is None else str(subscription_id),
            status=None if status is None else domain.DeliveryStatus(status.name.lower()),
            first=first,
            before_id=_delivery_before(after),
        )
        edges = [WebhookDeliveryEdge(cursor=str(d.id), node=WebhookDelivery.from_domain(d)) for d in found]
        return WebhookDeliveryConnection(
            edges=edges,
            page_info=PageInfo(has_next_page=more, end_cursor=edges[-1].cursor if edges else None),
        )


@strawberry.type
class EventMutations:
    @strawberry.mutation(description="Make a webhook subscription. Admins only; the secret is shown once.")
    async def create_webhook_subscription(
        self, info: Info, input: WebhookSubscriptionInput
    ) -> WebhookSubscriptionCreated:
        ctx = info.context
        wanted = service.NewSubscription(
            url=input.url,
            event_types=tuple(input.event_types),
            owner_api_key=input.owner_api_key,
            description=input.description,
        )
        made = await asyncio.to_thread(service.create_subscription, ctx.services, ctx.principal, wanted)
        return WebhookSubscriptionCreated(
            subscription=WebhookSubscription.from_domain(made), secret=made.secret
        )

    @strawberry.mutation(description="Pause (false) or resume (true) a subscription. Admins only.")
    async def set_webhook_subscription_active(
        self, info: Info, id: strawberry.ID, active: bool
    ) -> WebhookSubscription:
        ctx = info.context
        changed = await asyncio.to_thread(service.set_active, ctx.services, ctx.principal, str(id), active)
        return WebhookSubscription.from_domain(changed)

    @strawberry.mutation(description="Delete a subscription and its delivery log. Admins only.")
    async def delete_webhook_subscription(self, info: Info, id: strawberry.ID) -> bool:
        ctx = info.context
        await asyncio.to_thread(service.remove_subscription, ctx.services, ctx.principal, str(id))
        return True

    @strawberry.mutation(description="Send a parked or withheld delivery again, from attempt 1. Admins only.")
    async def redeliver_webhook(self, info: Info, delivery_id: strawberry.ID) -> WebhookDelivery:
        ctx = info.context
        key = str(delivery_id)
        if not key.isdigit() or len(key) > 18:
            raise InvalidCursor("no such delivery id")
        again = await asyncio.to_thread(service.redeliver, ctx.services, ctx.principal, int(key))
        return WebhookDelivery.from_domain(again)
