"""Events from audit entries, opaque event ids, Standard Webhooks signing (against the
specification's published test vector), URL and target checks, and the event rule."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from ipaddress import ip_address

import pytest
from hypothesis import given
from hypothesis import strategies as st

from archive.domain.access import Principal, Readable, Role, can_read, can_read_tombstone, can_see_event
from archive.domain.audit import chain_append, record_subjects
from archive.domain.errors import InvalidCursor, MetadataInvalid
from archive.domain.events import ACTION_EVENTS, EventIds, event_of, payload_bytes
from archive.domain.records import Classification
from archive.domain.webhooks import TargetPolicy, check_event_types, check_url, new_secret, signature

AT = datetime(2025, 3, 1, 8, 30, tzinfo=UTC)


def test_only_mapped_actions_that_succeeded_are_events() -> None:
    deposit = event_of(
        chain_append(None, at=AT, actor="a", action="record.deposit", target="r-1", outcome="ok")
    )
    assert deposit is not None and deposit.name == "record.deposited" and deposit.subject_id == "r-1"
    destroyed = event_of(
        chain_append(None, at=AT, actor="a", action="retention.destroy", target="r", outcome="ok")
    )
    assert destroyed is not None and destroyed.type.deletion
    assert (
        event_of(chain_append(None, at=AT, actor="a", action="record.deposit", target="r", outcome="denied"))
        is None
    )
    assert (
        event_of(chain_append(None, at=AT, actor="a", action="record.read", target="r", outcome="ok")) is None
    )
    assert {t.name for t in ACTION_EVENTS.values()} == {
        "record.deposited",
        "record.processed",
        "record.corrected",
        "record.revoked",
        "record.destroyed",
        "dossier.closed",
        "transfer.accepted",
    }


def test_the_payload_names_the_subject_only() -> None:
    event = event_of(
        chain_append(None, at=AT, actor="a", action="record.processed", target="r-1", outcome="ok")
    )
    assert event is not None
    body = json.loads(payload_bytes(event, "evt_x"))
    assert body == {
        "type": "record.processed",
        "timestamp": "2025-03-01T08:30:00.000000+00:00",
        "data": {"id": "r-1", "kind": "record", "eventId": "evt_x"},
    }


@given(st.integers(min_value=0, max_value=2**63 - 1))
def test_event_ids_round_trip(seq: int) -> None:
    ids = EventIds(b"key")
    assert ids.decode(ids.encode(seq)) == seq


def test_event_ids_are_unrelated_for_neighbours_and_refused_when_forged() -> None:
    ids, other = EventIds(b"key"), EventIds(b"another key")
    a, b = ids.encode(41), ids.encode(42)
    assert a != b and a[:8] != b[:8]
    with pytest.raises(InvalidCursor):
        other.decode(a)  # another archive's key
    for bad in ("", "evt_", "evt_!!!", a[:-1] + ("A" if a[-1] != "A" else "B"), "41"):
        with pytest.raises(InvalidCursor):
            ids.decode(bad)


def test_signing_reproduces_the_standard_webhooks_test_vector() -> None:
    """The vector published with the Standard Webhooks specification."""
    signed = signature(
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        "msg_p5jXN8AQM9LWM0D4loKWxJek",
        1614265330,
        b'{"test": 2432232314}',
    )
    assert signed == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    assert new_secret().startswith("whsec_") and new_secret() != new_secret()


def test_urls_and_event_types_are_checked() -> None:
    assert check_url("https://portal.example.gov.vn/hooks?x=1") == "https://portal.example.gov.vn/hooks?x=1"
    for bad in ("ftp://x/", "https://", "https://u:p@x/", "http://x/\n", "x" * 2001, "javascript:alert(1)"):
        with pytest.raises(MetadataInvalid):
            check_url(bad)
    assert check_event_types(["record.processed"]) == frozenset({"record.processed"})
    for wrong in ([], ["record.exploded"]):
        with pytest.raises(MetadataInvalid):
            check_event_types(wrong)


def test_the_target_policy() -> None:
    default = TargetPolicy.parse("", "")
    for refused in (
        "169.254.169.254",
        "fe80::1",
        "127.0.0.1",
        "::1",
        "0.0.0.0",
        "224.0.0.1",
        "::ffff:127.0.0.1",
    ):
        assert not default.allows(ip_address(refused)), refused
    for allowed in ("10.1.2.3", "192.168.1.10", "203.113.1.1", "2001:db8::1"):
        assert default.allows(ip_address(allowed)), allowed
    tests = TargetPolicy.parse("127.0.0.0/8", "10.0.0.0/8")
    assert tests.allows(ip_address("127.0.0.1")) and not tests.allows(ip_address("10.1.2.3"))
    assert not TargetPolicy.parse("169.254.0.0/16", "169.254.169.254/32").allows(
        ip_address("169.254.169.254")
    )


levels = st.sampled_from(list(Classification))
facts = st.builds(
    Readable, st.sampled_from(["A", "B"]), levels, st.booleans(), st.sampled_from([(), ("agency:B",)])
)
callers = st.builds(
    lambda roles, agencies, level, anonymous: Principal(
        "anonymous" if anonymous else "p", frozenset() if anonymous else frozenset(roles),
        frozenset() if anonymous else frozenset(agencies), level, anonymous
    ),
    st.sets(st.sampled_from(list(Role)), max_size=2),
    st.sets(st.sampled_from(["A", "B"]), max_size=2),
    levels,
    st.booleans(),
)  # fmt: skip


@given(caller=callers, subject=facts)
def test_the_event_rule_is_the_read_rule_and_the_tombstone_rule(caller: Principal, subject: Readable) -> None:
    assert can_see_event(caller, subject) == can_read(caller, subject)
    assert can_see_event(caller, subject, destroyed=True) == can_read_tombstone(caller, subject)
    assert not can_see_event(caller, None)
    assert can_see_event(caller, None, transfer=True) == (Role.ADMIN in caller.roles and not caller.anonymous)


def test_the_processed_entry_is_about_its_record() -> None:
    """So the audit log shows it only to auditors who may read the record."""
    record_id = "0b6f6a7e-5f1c-4f7e-9d2a-1c2b3c4d5e6f"
    assert record_subjects("record.processed", record_id, {"job": 3, "text": "ok"}) == (record_id,)
