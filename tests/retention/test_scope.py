"""Who may destroy, hold and see what (issue 10, findings 1, 2 and 8), on both stacks.

Records managers are per agency and within their clearance; admins manage every
agency within theirs. A record a caller may not manage is never proposed, held,
counted, exported or shown as a tombstone to it, and an id it names answers like
an id that does not exist.
"""

from __future__ import annotations

import csv
import io
import uuid

import sqlalchemy as sa

from archive.db.tables import RecordRow
from archive.domain.access import UNRESTRICTED
from archive.domain.records import Classification
from archive.services import disposition
from archive.services.container import Services
from archive.settings import Mode
from tests.retention.scenario import (
    ADD,
    ADMIN,
    ADMIN_2,
    APPROVE,
    BATCHES,
    CATCH_ALL,
    EXPORT,
    HOLD,
    HOLDS,
    PLAN,
    RM_A,
    RM_B,
    RM_B_CLEARED,
    TOMBSTONE,
    call,
    kept,
)
from tests.support.db import engine_of


async def test_finding_1_another_agencys_manager_cannot_destroy_a_classified_record(
    services: Services,
) -> None:
    """B's ORDINARY records manager plans, approves his own plan and the purge runs: A's
    TOP_SECRET record, due under the same rule, is neither proposed nor destroyed."""
    assert (await call(services, ADMIN, CATCH_ALL))[1] == []
    secret = await kept(services, "1", agency="A", level=Classification.TOP_SECRET)
    own = await kept(services, "2", agency="B")

    planned, errors = await call(services, RM_B, PLAN)
    assert errors == []
    batch = planned["planDisposition"]
    assert [i["recordId"] for i in batch["items"]] == [own.id]
    approved, errors = await call(services, RM_B, APPROVE, id=batch["id"])  # development: one person may
    assert errors == [] and approved["approveDisposition"]["approvedBy"] == "rm-b"
    report = await disposition.run(services)

    assert report.destroyed == [own.id]
    assert services.records.get(secret.id, UNRESTRICTED) is not None
    assert services.blobs.exists(secret.file.storage_key)
    assert (await call(services, RM_B, TOMBSTONE, id=own.id))[0]["tombstone"]["recordId"] == own.id


async def test_approval_needs_a_manager_of_every_record_and_the_purge_rechecks(services: Services) -> None:
    assert (await call(services, ADMIN, CATCH_ALL))[1] == []
    secret = await kept(services, "1", agency="A", level=Classification.TOP_SECRET)
    own = await kept(services, "2", agency="B")
    planned, _ = await call(services, ADMIN, PLAN)
    batch_id = planned["planDisposition"]["id"]
    assert {i["recordId"] for i in planned["planDisposition"]["items"]} == {secret.id, own.id}

    refused, errors = await call(services, RM_B, APPROVE, id=batch_id)
    assert refused is None and errors == ["DISPOSITION_REFUSED"]
    cleared_for_a, errors = await call(services, RM_A, APPROVE, id=batch_id)
    assert cleared_for_a is None and errors == ["DISPOSITION_REFUSED"]

    approved, errors = await call(services, ADMIN_2, APPROVE, id=batch_id)
    assert errors == [] and approved["approveDisposition"]["approvedBy"] == "admin-2"
    report = await disposition.run(services)
    assert sorted(report.destroyed) == sorted([secret.id, own.id])


async def test_in_production_the_planner_may_not_approve_unless_turned_off(services: Services) -> None:
    services.settings.mode = Mode.PRODUCTION
    services.settings.retention_separate_approver = None
    # The two-person rule alone: no council here (tests/retention/test_council.py has one).
    services.settings.destruction_quorum = "0"
    assert services.settings.two_person_rule
    assert "two-person rule on (production default)" in services.settings.describe_two_person_rule()
    assert (await call(services, ADMIN, CATCH_ALL))[1] == []
    await kept(services, "2", agency="B")
    planned, _ = await call(services, RM_B, PLAN)
    batch_id = planned["planDisposition"]["id"]

    refused, errors = await call(services, RM_B, APPROVE, id=batch_id)
    assert refused is None and errors == ["DISPOSITION_REFUSED"]
    services.settings.retention_separate_approver = False
    assert "two-person rule OFF (ARCHIVE_RETENTION_SEPARATE_APPROVER)" in (
        services.settings.describe_two_person_rule()
    )
    approved, errors = await call(services, RM_B, APPROVE, id=batch_id)
    assert errors == [] and approved["approveDisposition"]["approvedBy"] == "rm-b"


async def test_finding_2_batches_and_exports_show_only_manageable_records(services: Services) -> None:
    assert (await call(services, ADMIN, CATCH_ALL))[1] == []
    secret = await kept(services, "1", agency="A", level=Classification.TOP_SECRET)
    own = await kept(services, "2", agency="B")
    planned, _ = await call(services, ADMIN, PLAN)
    batch_id = planned["planDisposition"]["id"]

    listed, errors = await call(services, RM_B, BATCHES)
    assert errors == []
    assert [[i["recordId"] for i in b["items"]] for b in listed["dispositionBatches"]] == [[own.id]]
    for fmt in ("csv", "json"):
        exported, errors = await call(services, RM_B, EXPORT, id=batch_id, f=fmt)
        assert errors == []
        text = exported["dispositionExport"]
        assert own.id in text and own.file.sha256 in text
        assert secret.id not in text and secret.file.sha256 not in text and "1/UBND-VP" not in text
    assert (await call(services, RM_A, BATCHES))[0]["dispositionBatches"][0]["items"] == [
        {"recordId": secret.id, "documentNumber": "1/UBND-VP", "documentType": "Công văn", "agencyCode": "A"}
    ]
    # A batch of nothing B may manage is, to B, a batch that does not exist.
    later = await kept(services, "4", agency="A")
    only_a, _ = await call(services, RM_A, PLAN)
    assert [i["recordId"] for i in only_a["planDisposition"]["items"]] == [later.id]
    listed_again, _ = await call(services, RM_B, BATCHES)
    assert listed_again == listed
    hidden = await call(services, RM_B, EXPORT, id=only_a["planDisposition"]["id"], f="csv")
    missing = await call(services, RM_B, EXPORT, id=str(uuid.uuid4()), f="csv")
    assert hidden[0] is None and missing[0] is None and hidden[1] == missing[1] == ["NOT_FOUND"]


async def test_finding_2_holds_by_id_are_no_existence_oracle(services: Services) -> None:
    secret = await kept(services, "1", agency="A", level=Classification.TOP_SECRET)
    other = await kept(services, "3", agency="A")
    own = await kept(services, "2", agency="B")
    random_id = str(uuid.uuid4())

    real, errors = await call(services, RM_B, HOLD, ids=[secret.id])
    assert errors == []
    fake, _ = await call(services, RM_B, HOLD, ids=[random_id])
    assert real["placeLegalHold"] == {"added": [], "refused": [secret.id], "hold": {"recordCount": 0}}
    assert fake["placeLegalHold"] == {"added": [], "refused": [random_id], "hold": {"recordCount": 0}}

    by_selector, _ = await call(services, RM_B, HOLD, sel={"everything": True})
    assert by_selector["placeLegalHold"] == {"added": [own.id], "refused": [], "hold": {"recordCount": 1}}
    assert services.holds.held_ids([secret.id, other.id, own.id]) == {own.id}

    # A's manager holds its own record; B sees the hold's count without it, and may not release it.
    a_hold, _ = await call(services, RM_A, HOLD, ids=[secret.id])
    assert a_hold["placeLegalHold"]["added"] == [secret.id]
    counts = {h["recordCount"] for h in (await call(services, RM_B, HOLDS))[0]["legalHolds"]}
    assert counts == {0, 1}
    hold_ids = [h["id"] for h in (await call(services, RM_A, HOLDS))[0]["legalHolds"]]
    added, _ = await call(services, RM_B, ADD, hold=hold_ids[0], ids=[other.id])
    assert added["addToLegalHold"]["refused"] == [other.id]
    release = """mutation($id: String!) { releaseLegalHold(holdId: $id, reason: "done") { active } }"""
    assert (await call(services, RM_B, release, id=hold_ids[0]))[1] == ["FORBIDDEN"]
    assert services.holds.held_ids([secret.id]) == {secret.id}


async def test_finding_2_a_tombstone_is_not_found_for_another_agencys_manager(services: Services) -> None:
    assert (await call(services, ADMIN, CATCH_ALL))[1] == []
    secret = await kept(services, "1", agency="A", level=Classification.SECRET)
    planned, _ = await call(services, RM_A, PLAN)
    await call(services, ADMIN, APPROVE, id=planned["planDisposition"]["id"])
    assert (await disposition.run(services)).destroyed == [secret.id]

    shown, _ = await call(services, RM_A, TOMBSTONE, id=secret.id)
    assert shown["tombstone"] == {"recordId": secret.id, "agencyCode": "A", "sha256": secret.file.sha256}
    hidden = await call(services, RM_B_CLEARED, TOMBSTONE, id=secret.id)  # cleared, but not A's
    never = await call(services, RM_B_CLEARED, TOMBSTONE, id=str(uuid.uuid4()))
    assert hidden == never == ({"tombstone": None}, [])


async def test_finding_8_export_cells_cannot_run_as_formulas(services: Services) -> None:
    assert (await call(services, ADMIN, CATCH_ALL.replace('["Công văn"]', "[]"))) == (
        {"upsertRetentionRule": {"codes": ["CV-10"]}},
        [],
    )
    hostile = ['=HYPERLINK("http://evil/","x")', "+1", "-1", "@SUM(A1)"]  # deposit strips \t and \r
    made = [await kept(services, str(n), agency="B", document_type=t) for n, t in enumerate(hostile)]
    planned, _ = await call(services, RM_B, PLAN)
    exported, _ = await call(services, RM_B, EXPORT, id=planned["planDisposition"]["id"], f="csv")
    rows = list(csv.DictReader(io.StringIO(exported["dispositionExport"])))
    types = {r["record_id"]: r["document_type"] for r in rows}
    assert {types[r.id] for r in made} == {"'" + t for t in hostile}
    for row in rows:
        assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in row.values())
    assert [disposition.spreadsheet_safe(v) for v in ("\tx", "\rx", "x=1", "")] == ["'\tx", "'\rx", "x=1", ""]


async def test_finding_8_retention_periods_are_bounded(services: Services) -> None:
    rule = """mutation($y: Int) { upsertRetentionRule(rule: {code: "X", title: "x", periodYears: $y}) {
      codes } }"""
    for years in (1_000_000, 201, 0, -5):
        data, errors = await call(services, ADMIN, rule, y=years)
        assert data is None and errors == ["VALIDATION"], years
    assert (await call(services, ADMIN, rule, y=200)) == ({"upsertRetentionRule": {"codes": ["X"]}}, [])
    huge = await call(services, RM_B, "mutation { planDisposition(limit: 100000) { id } }")
    assert huge == ({"planDisposition": None}, ["VALIDATION"])


async def test_the_purge_rechecks_the_record_as_it_stands_against_both_scopes(services: Services) -> None:
    """Reclassified above the planner's clearance after approval: skipped, not destroyed."""
    assert (await call(services, ADMIN, CATCH_ALL))[1] == []
    own = await kept(services, "2", agency="B")
    planned, _ = await call(services, RM_B, PLAN)
    approved, errors = await call(services, ADMIN, APPROVE, id=planned["planDisposition"]["id"])
    assert errors == [] and approved["approveDisposition"]["approvedBy"] == "admin-1"
    with engine_of(services).begin() as conn:
        conn.execute(
            sa.update(RecordRow)
            .where(RecordRow.id == own.id)  # type: ignore[arg-type]
            .values(classification=int(Classification.SECRET))
        )
    report = await disposition.run(services)
    assert report.skipped == [own.id] and report.destroyed == []
    assert services.records.get(own.id, UNRESTRICTED) is not None
    batch = services.disposition.get(planned["planDisposition"]["id"])
    assert batch is not None and batch.items[0].note == "outside the planner's retention scope"


async def test_finding_8_text_and_list_inputs_are_bounded_before_anything_is_written(
    services: Services,
) -> None:
    long_title = "x" * 301
    rule = (
        f'mutation {{ upsertRetentionRule(rule: {{code: "T", title: "{long_title}", periodYears: 5}}) '
        "{ codes } }"
    )
    assert (await call(services, ADMIN, rule)) == (None, ["VALIDATION"])
    dossier = f'mutation {{ upsertDossier(code: "{"d" * 61}", title: "t") {{ codes }} }}'
    assert (await call(services, ADMIN, dossier)) == (None, ["VALIDATION"])
    many = {"agencyCodes": [f"A{n}" for n in range(101)]}
    assert (await call(services, ADMIN, HOLD, sel=many)) == (None, ["VALIDATION"])
    assert (await call(services, ADMIN, HOLDS)) == ({"legalHolds": []}, [])
    ids = [str(uuid.uuid4()) for _ in range(10_001)]
    assert (await call(services, ADMIN, HOLD, ids=ids)) == (None, ["VALIDATION"])
    assert services.retention.rules() == [] and services.retention.dossiers() == []
