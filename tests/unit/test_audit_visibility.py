"""The audit-entry rule in its three forms agree (``can_read_audit_entry``, ``AuditScope``
and, in tests/contract/test_audit_differential.py, its SQL), and the helpers that find
an entry's records and take hidden ids out of it."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from archive.domain.access import (
    ANONYMOUS,
    AuditScope,
    Principal,
    Readable,
    Role,
    can_read,
    can_read_audit_entry,
    is_external_subject,
)
from archive.domain.audit import Outcome, chain_append, record_subjects, redacted
from archive.domain.records import Classification

A = "3b1f6a52-8c1d-4f7e-9a0b-1c2d3e4f5a6b"
B = "9c8b7a65-4d3e-4f2a-8b1c-0d9e8f7a6b5c"

levels = st.sampled_from(list(Classification))
principals = st.one_of(
    st.just(ANONYMOUS),
    st.builds(
        lambda roles, agencies, clearance: Principal(
            subject="p", roles=frozenset(roles), agencies=frozenset(agencies), clearance=clearance
        ),
        st.sets(st.sampled_from(list(Role)), max_size=3),
        st.sets(st.sampled_from(["A", "B"]), max_size=2),
        levels,
    ),
)
subjects = st.one_of(
    st.none(),
    st.builds(
        Readable,
        st.sampled_from(["A", "B", "C"]),
        levels,
        st.booleans(),
        st.sets(st.sampled_from(["agency:A", "user:p"]), max_size=2).map(lambda s: tuple(sorted(s))),
    ),
)


@given(principal=principals, subject=subjects, destroyed=st.booleans())
def test_the_scope_agrees_with_the_rule(
    principal: Principal, subject: Readable | None, destroyed: bool
) -> None:
    scope = AuditScope.for_principal(principal)
    assert scope.allows(subject, destroyed=destroyed) == can_read_audit_entry(
        principal, subject, destroyed=destroyed
    )


@given(principal=principals)
def test_an_unknown_id_is_shown_only_to_those_who_could_read_any_record(principal: Principal) -> None:
    """An id that names nothing must look like a hidden record to anyone who might not read one."""
    strictest = Readable("nowhere", Classification.TOP_SECRET, False)
    scope = AuditScope.for_principal(principal)
    if scope.allows_unknown():
        assert can_read_audit_entry(principal, strictest) and can_read(principal, strictest)
        assert can_read_audit_entry(principal, strictest, destroyed=True)


def test_record_subjects_come_from_record_actions_and_the_ids_detail() -> None:
    assert record_subjects("record.read", A, {}) == (A,)
    assert record_subjects("search.read", "search", {"ids": f"{B},{A}", "count": 2}) == (A, B)
    assert record_subjects("record.deposit", "agency:UBND-HG", {}) == ()
    assert record_subjects("grant.add", "made-up", {}) == ()
    assert record_subjects("legal_hold.add", "hold-1", {}, extra=[A, "junk"]) == (A,)
    assert record_subjects("auth.denied", "/graphql", {"reason": "DecodeError"}) == ()
    assert record_subjects("legal_hold.add", "hold-1", {"added": 1, "first": A}) == (A,)


def test_redacted_takes_hidden_ids_out_and_recounts() -> None:
    e = chain_append(
        None, at=datetime(2025, 1, 1, tzinfo=UTC), actor="x", action="search.read", target="search",
        outcome=Outcome.OK, details={"ids": f"{A},{B}", "count": 2},
    )  # fmt: skip
    shown = redacted(e, {B})
    assert dict(shown.details) == {"ids": A, "count": 1}
    assert shown.hash == e.hash and redacted(e, set()) is e
    hold = chain_append(
        None, at=datetime(2025, 1, 1, tzinfo=UTC), actor="x", action="legal_hold.add", target="h",
        outcome=Outcome.OK, details={"added": 2, "first": B},
    )  # fmt: skip
    assert dict(redacted(hold, {B}).details) == {"added": 2, "first": None}
    assert dataclasses.replace(shown, details=e.details) == e


def test_external_subjects() -> None:
    assert is_external_subject("f3c1d2e4-5b6a-4c7d-8e9f-0a1b2c3d4e5f")
    for bad in ("", " a", "a b", "a\u200fb", "Dev-Admin", "LOCAL:me", "system", "x" * 201):
        assert not is_external_subject(bad), bad
