"""The event rule (``can_see_event``) in Python against what the changes feed and the
webhook fan-out actually deliver: the differential for issue 15.

For every drawn set of records and dossiers (agencies, classifications, public flags,
grants) and every drawn principal:

- the ``changes`` feed shows exactly the events whose subject ``can_see_event`` allows;
- a subscription owned by that principal gets a delivery for exactly those events.

Runs on SQLite, and on PostgreSQL (with Elasticsearch) when they are available.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archive.domain.access import Principal, Readable, can_see_event
from archive.domain.events import EVENT_TYPES
from archive.domain.records import Classification, Record
from archive.domain.webhooks import Owner, Subscription, new_secret
from archive.services import webhooks
from archive.services.audit import append
from archive.services.changes import changes
from archive.services.container import Services
from tests.contract.test_archival_differential import facts, new_dossier, new_fonds, principals
from tests.support.access import make_record

NOW = datetime(2025, 3, 1, 8, 30, tzinfo=UTC)
AGENCIES = ["A", "B", "C"]

records = st.lists(
    st.builds(
        lambda agency, level, public, grants: make_record(
            agency=agency, classification=level, public=public, grants=grants
        ),
        st.sampled_from(AGENCIES),
        st.sampled_from(list(Classification)),
        st.booleans(),
        st.sampled_from([(), ("user:p1",), ("agency:B",)]),
    ),
    max_size=5,
)
dossiers = st.lists(
    st.tuples(st.sampled_from(AGENCIES), st.sampled_from(list(Classification)), st.booleans()), max_size=3
)
EXAMPLES = settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def record_facts(record: Record) -> Readable:
    return Readable(record.agency_code, record.classification, record.is_public, record.grants)


async def feed_ids(services: Services, principal: Principal, made: set[str]) -> list[str]:
    seen: list[str] = []
    after = None
    while True:
        page = await changes(services, principal, after=after, first=100)
        seen.extend(c.event.subject_id for c in page.changes if c.event.subject_id in made)
        if not page.has_next:
            return seen
        after = page.end_cursor


def subscribe(services: Services, owner: Principal) -> str:
    subscription = Subscription(
        id=str(uuid.uuid4()),
        url="http://127.0.0.1:9/never",
        event_types=EVENT_TYPES,
        secret=new_secret(),
        owner=Owner.of(owner),
        active=True,
        created_at=NOW,
        created_by="test",
        after_seq=services.audit.head()[0],
    )
    services.webhooks.add(subscription)
    return subscription.id


@EXAMPLES
@given(drawn=records, units=dossiers, callers=st.lists(principals, min_size=1, max_size=4))
async def test_the_feed_and_the_fan_out_follow_the_event_rule(
    services: Services,
    drawn: list[Record],
    units: list[tuple[str, Classification, bool]],
    callers: list[Principal],
) -> None:
    webhooks.fan_out(services)  # events of earlier examples are not this one's
    owners = [None if p.anonymous else subscribe(services, p) for p in callers]
    expected: dict[str, Readable] = {}
    for record in drawn:
        services.records.add(record)
        append(services, actor="system:test", action="record.deposit", target=record.id)
        expected[record.id] = record_facts(record)
    for agency, level, public in units:
        dossier = new_dossier(services, new_fonds(services, agency), level, public)
        append(services, actor="system:test", action="dossier.close", target=dossier.id)
        expected[dossier.id] = facts(dossier)
    # A refused action is no event, for anyone.
    append(services, actor="system:test", action="record.deposit", target=str(uuid.uuid4()), outcome="denied")
    while webhooks.fan_out(services) or services.webhooks.cursor() < services.audit.head()[0]:
        pass

    for principal, owned in zip(callers, owners, strict=True):
        allowed = [i for i, f in expected.items() if can_see_event(principal, f)]
        assert await feed_ids(services, principal, set(expected)) == allowed
        if owned is None:
            continue  # subscriptions act for an admin or an API key, never for the anonymous caller
        delivered = services.webhooks.deliveries(
            subscription_id=owned, status=None, before_id=None, limit=1000
        )
        assert sorted(d.subject_id for d in delivered) == sorted(allowed)
