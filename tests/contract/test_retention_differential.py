"""The retention rule, ``can_manage``, in Python and compiled into the SQL stores, and
what the retention surfaces show a caller: the differential for issue 10.

For every drawn principal and set of records:

- ``ManageScope.allows``, ``RetentionStore.manageable``, ``HoldStore.select_ids`` and
  ``DispositionStore.candidates`` pick exactly the records ``can_manage`` allows;
- a batch's items and its CSV export, and a hold's count, are the same as for a batch
  or hold naming only the records the caller may manage: a record it may not manage
  is shown exactly as a record that does not exist;
- holding an id it may not manage answers like holding a random id;
- a tombstone it may not read (``can_read_tombstone``) is None, like a random id's;
- duplicates (``DispositionStore.duplicates``) are exactly the ones ``can_manage`` allows,
  each naming a kept copy the caller may manage too;
- a council vote (``can_vote``), a seat (``can_convene_council``) and a record's review
  (``can_read``, ``can_see_review_details``) answer as the rules say, and a batch the
  caller may not vote on or manage answers exactly like a batch that does not exist;
- a dossier's review counts only the documents the caller may read, and planning a
  dossier it may not manage answers like a dossier that does not exist.

Runs on SQLite, and on PostgreSQL when it is available.
"""

from __future__ import annotations

import dataclasses
import uuid
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from functools import partial

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archive.domain.access import (
    MANAGE_ALL,
    ManageScope,
    Principal,
    Readable,
    Role,
    can_convene_council,
    can_manage,
    can_read,
    can_read_dossier,
    can_read_tombstone,
    can_vote,
    manages_retention,
)
from archive.domain.archival import Dossier, default_fonds_id
from archive.domain.council import CouncilMember, Vote
from archive.domain.disposition import BatchItem, BatchStatus, DispositionBatch, ItemState
from archive.domain.errors import DispositionRefused, Forbidden, NotFound
from archive.domain.holds import LegalHold, RecordSelector
from archive.domain.records import Classification, Record
from archive.domain.retention import Assignment
from archive.services import destruction, disposition, holds, retention
from archive.services.container import Services
from tests.support.access import make_record

AGENCIES = ["A", "B", "C"]
NOW = datetime(2025, 3, 1, 8, 30, tzinfo=UTC)
DUE = date(2001, 1, 1)

classifications = st.sampled_from(list(Classification))
records = st.builds(
    lambda agency, level: make_record(agency=agency, classification=level),
    st.sampled_from(AGENCIES),
    classifications,
)
principals = st.builds(
    lambda n, roles, agencies, clearance: Principal(
        subject=f"p{n}", roles=frozenset(roles), agencies=frozenset(agencies), clearance=clearance
    ),
    st.integers(0, 3),
    st.sets(st.sampled_from(list(Role)), max_size=2),
    st.sets(st.sampled_from(AGENCIES), max_size=2),
    classifications,
)
EXAMPLES = settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def readable(record: Record) -> Readable:
    return Readable(record.agency_code, record.metadata.classification, is_public=False)


def stored(services: Services, drawn: list[Record]) -> list[Record]:
    """The records, each of this example's own document type, stored and due for disposal."""
    tag = f"ex-{uuid.uuid4().hex[:10]}"
    batch = [replace(r, metadata=replace(r.metadata, document_type=tag)) for r in drawn]
    for record in batch:
        services.records.add(record)
    services.retention.save({r.id: Assignment("R", DUE) for r in batch}, now=NOW)
    return batch


def item_of(record: Record) -> BatchItem:
    return BatchItem(
        batch_id="",
        record_id=record.id,
        state=ItemState.PENDING,
        document_number=f"{record.metadata.number}/{record.metadata.notation}",
        document_type=record.metadata.document_type,
        agency_code=record.agency_code,
        classification=int(record.metadata.classification),
        rule_code="R",
        disposal_date=DUE,
        sha256=record.file.sha256,
        storage_key=record.file.storage_key,
    )


def new_batch(services: Services, items: list[BatchItem]) -> str:
    batch_id = str(uuid.uuid4())
    services.disposition.create(
        DispositionBatch(
            id=batch_id,
            status=BatchStatus.PROPOSED,
            planned_by="system",
            planned_at=NOW,
            cutoff=DUE,
            items=tuple(dataclasses.replace(i, batch_id=batch_id) for i in items),
            planner_scope=MANAGE_ALL,
        )
    )
    return batch_id


def new_hold(services: Services, record_ids: list[str]) -> str:
    hold_id = str(uuid.uuid4())
    services.holds.create(LegalHold(hold_id, "h", "r", "a", "system", NOW))
    for record_id in record_ids:
        assert services.holds.add_record(hold_id, record_id, actor="system", now=NOW)
    return hold_id


def item_ids(services: Services, principal: Principal, batch_id: str) -> list[str]:
    return [i.record_id for i in disposition.get(services, principal, batch_id).items]


def seen(call: object, *args: object) -> object:
    """What a caller gets back: the value, or the error's class and code."""
    try:
        return call(*args)  # type: ignore[operator]
    except (Forbidden, NotFound) as exc:
        return (type(exc).__name__, exc.code)


@EXAMPLES
@given(drawn=st.lists(records, min_size=1, max_size=6), callers=st.lists(principals, min_size=1, max_size=4))
async def test_the_stores_compile_can_manage(
    services: Services, drawn: list[Record], callers: list[Principal]
) -> None:
    batch = stored(services, drawn)
    ids = [r.id for r in batch]
    selector = RecordSelector(document_types=(batch[0].metadata.document_type,))
    for principal in callers:
        scope = ManageScope.for_principal(principal)
        expected = {r.id for r in batch if can_manage(principal, readable(r))}
        assert {r.id for r in batch if scope.allows(readable(r))} == expected
        assert services.retention.manageable(ids, scope) == expected
        assert set(services.holds.select_ids(selector, scope)) == expected
        proposed = services.disposition.candidates(date(2025, 1, 1), scope, limit=100_000)
        assert {i.record_id for i in proposed} & set(ids) == expected


@EXAMPLES
@given(drawn=st.lists(records, min_size=1, max_size=6), callers=st.lists(principals, min_size=1, max_size=4))
async def test_record_retention_follows_can_read_and_record_holds_can_manage(
    services: Services, drawn: list[Record], callers: list[Principal]
) -> None:
    batch = stored(services, drawn)
    ids = [r.id for r in batch]
    new_hold(services, ids)
    for principal in callers:
        scope = ManageScope.for_principal(principal)
        expected = {r.id for r in batch if can_manage(principal, readable(r))}
        named = services.holds.naming(ids, scope)
        assert set(named) == expected  # Record.holds
        assert all([h.record_count for h in found] == [len(expected)] for found in named.values())
        assert set(holds.naming(services, principal, ids)) == expected
        read = {
            r.id
            for r in batch
            if can_read(principal, Readable(r.agency_code, r.classification, r.is_public, r.grants))
        }
        assert set(retention.of_records(services, principal, ids)) == read  # Record.retention


@EXAMPLES
@given(drawn=st.lists(records, min_size=1, max_size=6), callers=st.lists(principals, min_size=1, max_size=4))
async def test_batches_exports_and_holds_show_hidden_records_as_absent(
    services: Services, drawn: list[Record], callers: list[Principal]
) -> None:
    batch = stored(services, drawn)
    everything = new_batch(services, [item_of(r) for r in batch])
    full_hold = new_hold(services, [r.id for r in batch])
    for principal in callers:
        visible = [r for r in batch if can_manage(principal, readable(r))]
        # The same batch and hold, as if the records the caller may not manage did not exist.
        twin = new_batch(services, [item_of(r) for r in visible]) if visible else str(uuid.uuid4())
        twin_hold = new_hold(services, [r.id for r in visible])
        for fmt in ("csv", "json"):
            got = seen(disposition.export, services, principal, everything, fmt)
            want = seen(disposition.export, services, principal, twin, fmt)
            if fmt == "json" and isinstance(got, str) and isinstance(want, str):
                got, want = got.replace(everything, "ID"), want.replace(twin, "ID")
            assert got == want
        assert seen(item_ids, services, principal, everything) == seen(item_ids, services, principal, twin)
        if not manages_retention(principal):
            assert seen(holds.listing, services, principal) == ("Forbidden", "FORBIDDEN")
            continue
        counts = {h.id: h.record_count for h in holds.listing(services, principal)}
        assert counts[full_hold] == counts[twin_hold] == len(visible)
        assert holds.add_to_hold(services, principal, full_hold).hold.record_count == len(visible)
        listed = {b.id: [i.record_id for i in b.items] for b in disposition.listing(services, principal)}
        assert listed.get(everything) == ([r.id for r in sorted(visible, key=lambda r: r.id)] or None)


@EXAMPLES
@given(drawn=st.lists(records, min_size=1, max_size=4), callers=st.lists(principals, min_size=1, max_size=4))
async def test_holding_or_reading_the_tombstone_of_a_hidden_record_is_like_a_random_id(
    services: Services, drawn: list[Record], callers: list[Principal]
) -> None:
    batch = stored(services, drawn)
    for principal in callers:
        for record in batch:
            if not manages_retention(principal) or can_manage(principal, readable(record)):
                continue
            random_id = str(uuid.uuid4())
            real = holds.place_hold(
                services, principal, name="n", reason="r", authority="a", record_ids=[record.id]
            )
            fake = holds.place_hold(
                services, principal, name="n", reason="r", authority="a", record_ids=[random_id]
            )
            assert (real.added, real.refused, real.hold.record_count) == ((), (record.id,), 0)
            assert (fake.added, fake.refused, fake.hold.record_count) == ((), (random_id,), 0)
    batch_id = new_batch(services, [item_of(r) for r in batch])
    stored_batch = services.disposition.get(batch_id)
    assert stored_batch is not None
    for item in stored_batch.items:
        services.disposition.tombstone(stored_batch, item, now=NOW)
    for principal in callers:
        for record in batch:
            shown = disposition.tombstone(services, principal, record.id)
            if can_read_tombstone(principal, readable(record)):
                assert shown is not None and shown.sha256 == record.file.sha256
            else:
                assert shown is None
                assert disposition.tombstone(services, principal, str(uuid.uuid4())) is None


# -- destruction under Circular 06/2025: duplicates, the council, a record's review ----------


def refused(call: object, *args: object, **kwargs: object) -> object:
    """Like ``seen``, and a refusal of the batch's rules too."""
    try:
        return call(*args, **kwargs)  # type: ignore[operator]
    except (Forbidden, NotFound, DispositionRefused) as exc:
        return (type(exc).__name__, exc.code)


def member(subject: str) -> CouncilMember:
    return CouncilMember(subject=subject, name="n", role="r", seated_by="system", seated_at=NOW)


@EXAMPLES
@given(drawn=st.lists(records, min_size=1, max_size=5), callers=st.lists(principals, min_size=1, max_size=4))
async def test_the_duplicates_store_compiles_can_manage_and_names_a_manageable_kept_copy(
    services: Services, drawn: list[Record], callers: list[Principal]
) -> None:
    originals, copies = [], []
    for record in drawn:
        unique = replace(record.metadata, number=uuid.uuid4().hex[:8])
        original = replace(record, metadata=unique)
        copy = replace(
            make_record(agency=record.agency_code, classification=record.classification), metadata=unique
        )
        copy = replace(copy, created_at=original.created_at + timedelta(seconds=1))
        originals.append(original)
        copies.append(copy)
    for record in originals + copies:
        services.records.add(record)
    services.retention.save({r.id: Assignment("KEEP", None) for r in originals + copies}, now=NOW)
    kept_of = {c.id: o.id for o, c in zip(originals, copies, strict=True)}
    for principal in callers:
        scope = ManageScope.for_principal(principal)
        found = services.disposition.duplicates(NOW.date(), scope, limit=100_000)
        mine = {i.record_id: i.duplicate_of for i in found if i.record_id in kept_of}
        assert set(mine) == {c.id for c in copies if can_manage(principal, readable(c))}
        assert all(kept_of[d] == k for d, k in mine.items())
        kept_facts = {o.id: readable(o) for o in originals}
        assert all(can_manage(principal, kept_facts[k]) for k in mine.values() if k is not None)


@EXAMPLES
@given(drawn=st.lists(records, min_size=1, max_size=5), callers=st.lists(principals, min_size=1, max_size=4))
async def test_council_seats_votes_and_reviews_follow_the_rules(
    services: Services, drawn: list[Record], callers: list[Principal]
) -> None:
    batch = stored(services, drawn)
    facts = [readable(r) for r in batch]
    batch_id = new_batch(services, [item_of(r) for r in batch])
    for principal in callers:
        services.disposition.seat(batch_id, member(principal.subject))
    members = [p.subject for p in callers]
    reviews = services.disposition.reviews([r.id for r in batch])
    for principal in callers:
        random_id = str(uuid.uuid4())
        # A vote: a tally for who may vote, else exactly what a batch that does not exist answers.
        voted = refused(destruction.vote, services, principal, batch_id, Vote.APPROVE)
        if can_vote(principal, members, facts):
            assert not isinstance(voted, tuple)
        else:
            assert voted == refused(destruction.vote, services, principal, random_id, Vote.APPROVE)
        listed = [b.id for b in destruction.council_batches(services, principal)]
        assert (batch_id in listed) == can_vote(principal, members, facts)
        # Seating: who convenes, who sees part of the batch (refused), who sees none of it (absent).
        seat = partial(destruction.seat, services, principal, subject="x", name="n", role="r")
        answer = refused(seat, batch_id)
        if can_convene_council(principal, facts):
            assert not isinstance(answer, tuple)
        elif any(can_manage(principal, f) for f in facts):
            assert answer == ("DispositionRefused", "DISPOSITION_REFUSED")
        else:
            assert answer == refused(seat, random_id)
        # What a record shows of its review.
        for record, fact in zip(batch, facts, strict=True):
            full = Readable(record.agency_code, record.classification, record.is_public, record.grants)
            shown = destruction.review_shown(principal, full, reviews[record.id])
            if not can_read(principal, full):
                assert shown is None
            elif can_manage(principal, fact):
                assert shown is not None and shown.batch_id == batch_id and shown.reason is not None
            else:
                assert shown is not None and (shown.batch_id, shown.reason, shown.duplicate_of) == (None,) * 3


@EXAMPLES
@given(
    drawn=st.lists(records, min_size=1, max_size=5),
    callers=st.lists(principals, min_size=1, max_size=4),
    level=classifications,
)
async def test_a_dossier_plan_and_review_never_count_or_name_a_hidden_record(
    services: Services, drawn: list[Record], callers: list[Principal], level: Classification
) -> None:
    batch = stored(services, drawn)
    dossier = Dossier(
        id=str(uuid.uuid4()),
        fonds_id=default_fonds_id("A"),
        agency_code="A",
        file_code=f"A.2001.{uuid.uuid4().hex[:8]}",
        title="Hồ sơ",
        maintenance="06",
        classification=level,
        created_at=NOW,
        updated_at=NOW,
    )
    services.archival.save_dossier(dossier, expected_version=None)
    services.archival.place(dossier.id, [r.id for r in batch], now=NOW)
    batch_id = new_batch(services, [replace(item_of(r), dossier_id=dossier.id) for r in batch])
    facts = Readable("A", level, is_public=False)
    for principal in callers:
        full = [Readable(r.agency_code, r.classification, r.is_public, r.grants) for r in batch]
        readable_members = [f for f in full if can_read(principal, f)]
        shown = destruction.dossier_review(services, principal, dossier.id)
        if not can_read_dossier(principal, facts) or not readable_members:
            assert shown is None
        else:
            assert shown is not None and shown.records == len(readable_members)
            managed = any(
                can_manage(principal, readable(r))
                for r, f in zip(batch, full, strict=True)
                if f in readable_members
            )
            assert shown.batch_ids == ((batch_id,) if managed else ())
        planned = refused(disposition.plan, services, principal, dossier_id=dossier.id)
        random = refused(disposition.plan, services, principal, dossier_id=str(uuid.uuid4()))
        if not manages_retention(principal):
            assert planned == random == ("Forbidden", "FORBIDDEN")
        elif not can_manage(principal, facts):
            assert planned == random == ("NotFound", "NOT_FOUND")
        else:  # its documents are all in an open batch already: refused, naming none
            assert planned == ("DispositionRefused", "DISPOSITION_REFUSED")
