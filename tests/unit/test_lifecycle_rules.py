"""The pure parts of issue 14: relation kinds and status, references, diffs, the metadata
codec of the version table, and the correction and relation rules of the access module."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta

import pytest

from archive.db.lifecycle import decode_metadata, encode_metadata
from archive.domain.access import Principal, Readable, Role, can_amend, can_correct, can_relate, widens
from archive.domain.records import Classification, Urgency
from archive.domain.relations import (
    ExternalReference,
    RecordStatus,
    Relation,
    RelationKind,
    status_of,
)
from archive.domain.versions import diff
from tests.support.access import make_record

T0 = datetime(2025, 3, 1, tzinfo=UTC)
CLERK_A = Principal("clerk", frozenset({Role.CLERK}), frozenset({"A"}), Classification.SECRET)
READER_A = Principal("reader", frozenset({Role.READER}), frozenset({"A"}), Classification.TOP_SECRET)
ADMIN = Principal("admin", frozenset({Role.ADMIN}), frozenset(), Classification.TOP_SECRET)
ORDINARY_A = Readable("A", Classification.ORDINARY, False)


def relation(kind: RelationKind, subject: str, target: str | None, minutes: int = 0) -> Relation:
    return Relation("r", subject, kind, target, None, T0 + timedelta(minutes=minutes), "x")


def test_every_kind_has_an_inverse_and_only_revoke_and_replace_change_a_status() -> None:
    for kind in RelationKind:
        assert kind.inverse.inverse is kind and kind.inverse is not kind
    assert {k for k in RelationKind if k.changes_status} == {
        RelationKind.REPLACES, RelationKind.REPLACED_BY, RelationKind.REVOKES, RelationKind.REVOKED_BY,
    }  # fmt: skip


def test_the_status_comes_from_the_relations_that_change_the_record() -> None:
    assert status_of("x", [relation(RelationKind.AMENDS, "y", "x")]).status is RecordStatus.ACTIVE
    replaced = relation(RelationKind.REPLACES, "y", "x")
    assert status_of("x", [replaced]).status is RecordStatus.REPLACED
    assert status_of("y", [replaced]).status is RecordStatus.ACTIVE  # the replacing one is in force
    revoked = relation(RelationKind.REVOKED_BY, "x", None, minutes=5)  # by a note, no document
    mark = status_of("x", [replaced, revoked])
    assert mark.status is RecordStatus.REVOKED and mark.at == T0 + timedelta(minutes=5)


def test_a_reference_names_a_record_by_issuer_number_and_date() -> None:
    record = make_record(agency="A")
    m = record.metadata
    assert ExternalReference("A", m.document_number.lower(), None).matches(record)
    assert ExternalReference("A", m.document_number, m.issue_date).matches(record)
    assert not ExternalReference("A", m.document_number, date(2000, 1, 1)).matches(record)
    assert not ExternalReference("B", m.document_number, m.issue_date).matches(record)


def test_a_diff_names_each_changed_field_with_both_values_as_text() -> None:
    before = make_record().metadata
    after = dataclasses.replace(before, subject="Mới", urgency=Urgency.FLASH, recipients=("Sở A", "Sở B"))
    assert [(c.field, c.after) for c in diff(before, after)] == [
        ("subject", "Mới"), ("recipients", "Sở A; Sở B"), ("urgency", "Hỏa tốc"),
    ]  # fmt: skip
    assert diff(before, before) == ()


def test_the_version_table_keeps_metadata_exactly() -> None:
    m = dataclasses.replace(
        make_record(classification=Classification.SECRET).metadata,
        recipients=("Sở Nội vụ",),
        due_date=date(2025, 5, 1),
        urgency=Urgency.URGENT,
    )
    assert decode_metadata(encode_metadata(m)) == m


@pytest.mark.parametrize(
    ("principal", "after", "allowed"),
    [
        (CLERK_A, Readable("A", Classification.CONFIDENTIAL, False), True),  # narrowing, within clearance
        (CLERK_A, Readable("A", Classification.TOP_SECRET, False), False),  # out of its own reach
        (CLERK_A, Readable("A", Classification.ORDINARY, True), False),  # publishing widens
        (CLERK_A, Readable("B", Classification.ORDINARY, False), False),  # another agency: a transfer
        (READER_A, Readable("A", Classification.ORDINARY, False), False),  # not a writer
        (ADMIN, Readable("A", Classification.ORDINARY, True), True),  # an admin's decision
    ],
)
def test_the_correction_rule(principal: Principal, after: Readable, allowed: bool) -> None:
    assert can_correct(principal, ORDINARY_A, after) is allowed


def test_down_classifying_widens_and_is_an_admins() -> None:
    secret = Readable("A", Classification.SECRET, False)
    lowered = Readable("A", Classification.CONFIDENTIAL, False)
    assert widens(secret, lowered) and not widens(lowered, secret)
    assert not can_correct(CLERK_A, secret, lowered) and can_correct(ADMIN, secret, lowered)
    conditional = Readable("A", Classification.ORDINARY, False, conditional=True)
    assert widens(conditional, ORDINARY_A)


def test_relating_needs_the_subject_writable_and_a_changed_target_too() -> None:
    other = Readable("B", Classification.ORDINARY, True)  # public: readable, not writable by A's clerk
    assert can_amend(CLERK_A, ORDINARY_A) and not can_amend(CLERK_A, other)
    assert can_relate(CLERK_A, ORDINARY_A, other, changes_target=False)
    assert not can_relate(CLERK_A, ORDINARY_A, other, changes_target=True)  # may not revoke B's record
    assert can_relate(CLERK_A, ORDINARY_A, None, changes_target=True)  # a reference: pending
    assert not can_relate(READER_A, ORDINARY_A, None, changes_target=False)
