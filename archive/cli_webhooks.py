"""``archive webhooks``: subscriptions, the delivery log and redelivery, as the acting
principal (admins), through the same services as GraphQL. Delivery itself runs in the
worker (``archive worker``, or the one ``archive serve`` embeds)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from archive.cli_identity import ApiKeyOption
from archive.cli_output import JsonOption, fail, line, print_json
from archive.settings import Settings

if TYPE_CHECKING:
    from archive.domain.access import Principal
    from archive.domain.webhooks import Delivery, Subscription
    from archive.services.container import Services

webhooks_app = typer.Typer(
    help="Webhook subscriptions and their delivery log (admins).", no_args_is_help=True
)

T = TypeVar("T")


def _acting(api_key: str | None, as_json: bool, act: Callable[[Services, Principal], T]) -> T:
    from archive.cli_identity import cli_services
    from archive.domain.errors import ArchiveError

    try:
        with cli_services(Settings(), api_key=api_key) as (services, principal):
            return act(services, principal)
    except ArchiveError as exc:
        raise fail(exc.code, exc.message, as_json=as_json) from exc


def _subscription(s: Subscription) -> dict[str, Any]:
    return {
        "id": s.id,
        "url": s.url,
        "eventTypes": sorted(s.event_types),
        "owner": s.owner.subject,
        "active": s.active,
        "createdAt": s.created_at,
        "createdBy": s.created_by,
        "description": s.description,
    }


def _delivery(d: Delivery) -> dict[str, Any]:
    return {
        "id": d.id,
        "subscriptionId": d.subscription_id,
        "eventType": d.event_type,
        "subjectId": d.subject_id,
        "status": d.status,
        "attempts": d.attempts,
        "nextAt": d.next_at,
        "lastAttemptAt": d.last_attempt_at,
        "lastStatusCode": d.last_status_code,
        "lastError": d.last_error,
    }


@webhooks_app.command("add")
def add(
    url: Annotated[str, typer.Argument(help="Where to POST deliveries (http or https).")],
    event: Annotated[list[str], typer.Option("--event", "-e", help="An event type; repeat for more.")],
    owner_api_key: Annotated[
        str | None, typer.Option("--owner-api-key", help="The portal key it acts for (default: you).")
    ] = None,
    description: Annotated[str, typer.Option("--description", help="Free text.")] = "",
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Make a subscription; prints its secret (whsec_...), shown only this once."""
    from archive.services.webhooks import NewSubscription, create_subscription

    wanted = NewSubscription(url, tuple(event), owner_api_key, description)
    made = _acting(api_key, as_json, lambda s, p: create_subscription(s, p, wanted))
    if as_json:
        print_json({**_subscription(made), "secret": made.secret})
    else:
        line(f"{made.id} {made.url} {','.join(sorted(made.event_types))}")
        line(f"secret: {made.secret}")


@webhooks_app.command("list")
def list_(api_key: ApiKeyOption = None, as_json: JsonOption = False) -> None:
    """Every subscription, oldest first."""
    from archive.services.webhooks import list_subscriptions

    found = _acting(api_key, as_json, list_subscriptions)
    if as_json:
        print_json({"subscriptions": [_subscription(s) for s in found]})
        return
    for s in found:
        state = "active" if s.active else "paused"
        line(f"{s.id} {state} {s.url} {','.join(sorted(s.event_types))} owner={s.owner.subject}")


def _set_active(subscription_id: str, active: bool, api_key: str | None, as_json: bool) -> None:
    from archive.services.webhooks import set_active

    changed = _acting(api_key, as_json, lambda s, p: set_active(s, p, subscription_id, active))
    if as_json:
        print_json(_subscription(changed))
    else:
        line(f"{changed.id} {'active' if changed.active else 'paused'}")


@webhooks_app.command("pause")
def pause(
    subscription_id: Annotated[str, typer.Argument(help="The subscription's id.")],
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Stop making new deliveries for a subscription."""
    _set_active(subscription_id, False, api_key, as_json)


@webhooks_app.command("resume")
def resume(
    subscription_id: Annotated[str, typer.Argument(help="The subscription's id.")],
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Deliver a paused subscription's events again (from now on)."""
    _set_active(subscription_id, True, api_key, as_json)


@webhooks_app.command("remove")
def remove(
    subscription_id: Annotated[str, typer.Argument(help="The subscription's id.")],
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Delete a subscription and its delivery log."""
    from archive.services.webhooks import remove_subscription

    _acting(api_key, as_json, lambda s, p: remove_subscription(s, p, subscription_id))
    if as_json:
        print_json({"removed": subscription_id})
    else:
        line(f"removed {subscription_id}")


@webhooks_app.command("deliveries")
def deliveries(
    subscription_id: Annotated[str | None, typer.Option("--subscription", help="Only this one's.")] = None,
    status: Annotated[
        str | None, typer.Option("--status", help="pending, delivered, parked or withheld.")
    ] = None,
    first: Annotated[int, typer.Option("--first", help="How many, newest first.")] = 50,
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """The delivery log, newest first."""
    from archive.domain.errors import MetadataInvalid
    from archive.domain.webhooks import DeliveryStatus
    from archive.services.webhooks import delivery_log

    if status is not None and status not in DeliveryStatus._value2member_map_:
        error = MetadataInvalid("status", "one of pending, delivered, parked, withheld")
        raise fail(error.code, error.message, as_json=as_json)
    wanted = None if status is None else DeliveryStatus(status)
    found, more = _acting(
        api_key,
        as_json,
        lambda s, p: delivery_log(s, p, subscription_id=subscription_id, status=wanted, first=first),
    )
    if as_json:
        print_json({"deliveries": [_delivery(d) for d in found], "hasMore": more})
        return
    for d in found:
        code = "-" if d.last_status_code is None else str(d.last_status_code)
        line(f"{d.id} {d.status.value} {d.event_type} {d.subject_id} attempts={d.attempts} last={code}")


@webhooks_app.command("redeliver")
def redeliver(
    delivery_id: Annotated[int, typer.Argument(help="A parked or withheld delivery's id.")],
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Send a parked delivery again, from attempt 1."""
    from archive.services.webhooks import redeliver as again

    found = _acting(api_key, as_json, lambda s, p: again(s, p, delivery_id))
    if as_json:
        print_json(_delivery(found))
    else:
        line(f"{found.id} {found.status.value}")
