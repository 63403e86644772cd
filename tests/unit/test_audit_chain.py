"""The audit hash chain: any edit, deletion, reordering or (with a head) truncation shows."""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from archive.domain.audit import (
    GENESIS_HASH,
    AuditEntry,
    Outcome,
    canonical_json,
    chain_append,
    entry_hash,
    verify_chain,
)

T0 = datetime(2025, 3, 1, 8, 30, 0, 123456, tzinfo=UTC)
ACTIONS = ["record.read", "record.download", "record.deposit", "access.denied", "retention.purge"]


def build_chain(length: int) -> list[AuditEntry]:
    entries: list[AuditEntry] = []
    for i in range(length):
        entries.append(
            chain_append(
                entries[-1] if entries else None,
                at=T0 + timedelta(seconds=i),
                actor=f"user-{i % 3}",
                action=ACTIONS[i % len(ACTIONS)],
                target=f"rec-{i}",
                outcome=Outcome.DENIED if i % 4 == 3 else Outcome.OK,
                client=f"203.0.113.{i}",
                details={"page": i, "public": i % 2 == 0, "trích yếu": "Quyết định", "x": None},
            )
        )
    return entries


def test_the_first_entry_starts_from_the_genesis_hash() -> None:
    first = build_chain(1)[0]

    assert first.seq == 1
    assert first.prev_hash == GENESIS_HASH == "0" * 64
    assert first.hash == entry_hash(first)
    assert len(first.hash) == 64


def test_each_entry_seals_the_one_before() -> None:
    chain = build_chain(5)

    assert [e.seq for e in chain] == [1, 2, 3, 4, 5]
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(chain))
    assert verify_chain(chain) == verify_chain(iter(chain))
    report = verify_chain(chain, expected_head=chain[-1].hash)
    assert (report.ok, report.checked, report.first_bad_seq, report.reason) == (True, 5, None, None)


def test_the_canonical_encoding_is_exactly_the_documented_one() -> None:
    entry = chain_append(
        None,
        at=T0,
        actor="user-1",
        action="record.read",
        target="rec-42",
        outcome="ok",
        client="203.0.113.7",
        details={"trích_yếu": "Quyết định", "page": 3, "public": False, "note": None},
    )
    expected = (
        '{"action":"record.read","actor":"user-1","at":"2025-03-01T08:30:00.123456+00:00",'
        '"client":"203.0.113.7",'
        '"details":{"note":null,"page":3,"public":false,"trích_yếu":"Quyết định"},'
        '"outcome":"ok","prev_hash":"' + "0" * 64 + '","seq":1,"target":"rec-42"}'
    ).encode()

    assert canonical_json(entry) == expected
    assert entry.hash == hashlib.sha256(expected).hexdigest()


def test_the_same_instant_in_another_zone_hashes_the_same() -> None:
    hanoi = timezone(timedelta(hours=7))
    utc_entry = build_chain(1)[0]
    local = dataclasses.replace(utc_entry, at=utc_entry.at.astimezone(hanoi))
    naive = dataclasses.replace(utc_entry, at=utc_entry.at.replace(tzinfo=None))  # as SQLite returns

    assert entry_hash(local) == entry_hash(naive) == utc_entry.hash


def test_a_naive_timestamp_is_refused_on_append() -> None:
    with pytest.raises(ValueError, match="timezone"):
        chain_append(None, at=datetime(2025, 3, 1), actor="a", action="b", target="c", outcome="ok")


@pytest.mark.parametrize("details", [{"ratio": 0.5}, {"nested": {"a": 1}}, {"list": [1]}, {1: "int key"}])
def test_details_outside_the_canonical_types_are_refused(details: dict[Any, Any]) -> None:
    with pytest.raises(TypeError):
        chain_append(None, at=T0, actor="a", action="b", target="c", outcome="ok", details=details)


def test_an_unknown_outcome_is_refused() -> None:
    with pytest.raises(ValueError):
        chain_append(None, at=T0, actor="a", action="b", target="c", outcome="maybe")


def test_an_appended_entry_cannot_be_changed_through_the_details_it_was_given() -> None:
    details: dict[str, str | int | bool | None] = {"page": 1}
    entry = chain_append(None, at=T0, actor="a", action="b", target="c", outcome="ok", details=details)
    details["page"] = 2

    assert entry.details == {"page": 1}
    assert verify_chain([entry]).ok


def test_a_chain_survives_a_json_round_trip_as_a_database_would_store_it() -> None:
    chain = build_chain(4)
    rows = [
        json.loads(json.dumps(dataclasses.asdict(e) | {"details": dict(e.details)}, default=str))
        for e in chain
    ]
    restored = [
        AuditEntry(**(row | {"at": datetime.fromisoformat(row["at"]), "outcome": row["outcome"]}))
        for row in rows
    ]

    assert verify_chain(restored, expected_head=chain[-1].hash).ok


# --- tampering --------------------------------------------------------------


def test_a_deleted_entry_is_named_by_its_seq() -> None:
    chain = build_chain(6)
    del chain[2]

    report = verify_chain(chain)

    assert (report.ok, report.checked, report.first_bad_seq) == (False, 2, 3)


def test_a_deleted_first_entry_is_seen() -> None:
    report = verify_chain(build_chain(4)[1:])

    assert (report.ok, report.first_bad_seq) == (False, 1)


def test_a_deletion_hidden_by_renumbering_is_still_seen() -> None:
    chain = build_chain(6)
    del chain[2]
    renumbered = [dataclasses.replace(e, seq=i + 1) for i, e in enumerate(chain)]

    report = verify_chain(renumbered)

    assert (report.ok, report.first_bad_seq) == (False, 3)
    assert report.reason is not None and "prev_hash" in report.reason


def test_reordered_entries_are_seen() -> None:
    chain = build_chain(6)
    chain[2], chain[3] = chain[3], chain[2]

    report = verify_chain(chain)

    assert (report.ok, report.first_bad_seq) == (False, 3)


def test_a_cut_tail_shows_only_against_the_expected_head() -> None:
    chain = build_chain(6)
    head = chain[-1].hash
    cut = chain[:4]

    assert verify_chain(cut).ok  # a shorter chain is still a valid chain
    report = verify_chain(cut, expected_head=head)
    assert (report.ok, report.checked, report.first_bad_seq) == (False, 4, 5)


def test_an_emptied_chain_shows_against_the_expected_head() -> None:
    head = build_chain(3)[-1].hash

    assert verify_chain([]).ok
    assert verify_chain([], expected_head=GENESIS_HASH).ok
    assert verify_chain([], expected_head=head).first_bad_seq == 1


def test_verification_resumes_from_a_checkpoint() -> None:
    chain = build_chain(8)
    checkpoint = chain[4]

    assert verify_chain(chain[5:], after=checkpoint, expected_head=chain[-1].hash).ok
    report = verify_chain(chain[6:], after=checkpoint)
    assert (report.ok, report.first_bad_seq) == (False, 6)


def _different(data: st.DataObject, entry: AuditEntry, name: str) -> Any:
    """A value for one field that differs from the entry's."""
    current = getattr(entry, name)
    hexes = st.text("0123456789abcdef", min_size=64, max_size=64)
    strategies: dict[str, st.SearchStrategy[Any]] = {
        "seq": st.integers(-5, 50),
        "at": st.integers(-(10**9), 10**9).map(lambda us: current + timedelta(microseconds=us)),
        "outcome": st.sampled_from(Outcome),
        "details": st.dictionaries(
            st.text(max_size=5), st.none() | st.booleans() | st.integers() | st.text(max_size=5)
        ),
        "prev_hash": hexes,
        "hash": hexes,
    }
    strategy = strategies.get(name, st.text(max_size=20))
    return data.draw(strategy.filter(lambda v: v != current))


FIELDS = [f.name for f in dataclasses.fields(AuditEntry)]


@settings(deadline=None)  # no timed assertions: the machine is shared
@given(data=st.data(), length=st.integers(1, 8))
def test_any_single_field_edit_anywhere_is_seen(data: st.DataObject, length: int) -> None:
    chain = build_chain(length)
    index = data.draw(st.integers(0, length - 1))
    name = data.draw(st.sampled_from(FIELDS))
    chain[index] = dataclasses.replace(chain[index], **{name: _different(data, chain[index], name)})

    report = verify_chain(chain)

    assert not report.ok
    assert report.first_bad_seq == index + 1
    assert report.checked == index


@settings(deadline=None)  # no timed assertions: the machine is shared
@given(data=st.data(), length=st.integers(1, 8))
def test_an_edit_with_a_recomputed_hash_is_seen_at_the_next_link_or_the_head(
    data: st.DataObject, length: int
) -> None:
    chain = build_chain(length)
    head = chain[-1].hash
    index = data.draw(st.integers(0, length - 1))
    name = data.draw(st.sampled_from([f for f in FIELDS if f != "hash"]))
    edited = dataclasses.replace(chain[index], **{name: _different(data, chain[index], name)})
    chain[index] = dataclasses.replace(edited, hash=entry_hash(edited))

    report = verify_chain(chain, expected_head=head)

    assert not report.ok
    assert report.first_bad_seq in (index + 1, index + 2)
