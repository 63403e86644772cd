"""The transfer rules (``can_transfer``, ``can_see_transfer``, ``can_read_dossier`` for the
deadline list) in Python against what the transfer service answers: the differential for
the handover of issue 13.

For every drawn principal and set of permanent closed dossiers of agencies A, B and C at
every classification:

- preparing a batch of all of them takes exactly the dossiers ``can_transfer`` allows; the
  others are refused as "no such dossier" when the caller may not read them (exactly like a
  random id) and "not yours to transfer" when it may read but not manage them;
- a batch holding them all is seen (``get``, ``listing``, ``send``) exactly when
  ``can_see_transfer`` allows it, and is otherwise NOT_FOUND and absent, like a batch that
  does not exist;
- the deadline list holds exactly the dossiers ``can_read_dossier`` allows.

Runs on SQLite, and on PostgreSQL (with Elasticsearch) when they are available.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archive.domain import archival as da
from archive.domain.access import Principal, Readable, can_read_dossier, can_see_transfer, can_transfer
from archive.domain.errors import Forbidden, NotFound
from archive.domain.records import Classification
from archive.domain.transfer import Package
from archive.services import transfer
from archive.services.container import Services
from archive.services.transfer import Selection
from tests.contract.test_archival_differential import NOW, new_fonds, principals
from tests.retention.scenario import ADMIN

AGENCIES = ["A", "B", "C"]
shapes = st.tuples(st.sampled_from(AGENCIES), st.sampled_from(list(Classification)))
EXAMPLES = settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def stand_in(
    services: Services, principal: Principal, dossiers: Sequence[da.Dossier], folder: Path
) -> list[Package]:
    """Packaging is not what is judged here (the dossiers are empty): a package per dossier."""
    return [Package(d.id, f"{d.id}.zip", 1, "0" * 64) for d in dossiers]


def closed_permanent(services: Services, agency: str, level: Classification) -> da.Dossier:
    fonds = new_fonds(services, agency)
    draft = da.Dossier(
        id=str(uuid.uuid4()),
        fonds_id=fonds.id,
        agency_code=agency,
        file_code=f"{agency}.2018.{uuid.uuid4().hex[:8]}",
        title="Hồ sơ",
        maintenance="01",
        mode="03" if level is not Classification.ORDINARY else "02",
        classification=level,
        status=da.DossierStatus.CLOSED,
        closed_on=date(2018, 5, 1),
        created_at=NOW,
        updated_at=NOW,
    )
    return services.archival.save_dossier(da.validate_dossier(draft), expected_version=None)


def facts(dossier: da.Dossier) -> Readable:
    return Readable.of_dossier(dossier)


def prepared(services: Services, principal: Principal, dossiers: list[da.Dossier]) -> transfer.Preparation:
    selection = Selection(dossier_ids=tuple(d.id for d in dossiers))
    return transfer.prepare(services, principal, selection, archive_name="Lưu trữ lịch sử", packager=stand_in)


@EXAMPLES
@given(drawn=st.lists(shapes, min_size=1, max_size=4), callers=st.lists(principals, min_size=1, max_size=3))
async def test_who_prepares_sees_and_is_warned_about_what(
    services: Services, drawn: list[tuple[str, Classification]], callers: list[Principal]
) -> None:
    for principal in callers:
        dossiers = [closed_permanent(services, agency, level) for agency, level in drawn]
        try:
            done = prepared(services, principal, dossiers)
        except Forbidden:  # only a caller outside the retention roles is refused outright
            assert not any(can_transfer(principal, facts(d)) for d in dossiers)
        else:
            taken = [] if done.batch is None else [i.dossier_id for i in done.batch.items]
            assert taken == [d.id for d in dossiers if can_transfer(principal, facts(d))]
            refused = {u.file_code: u.reason for u in done.refused}
            for d in dossiers:
                if not can_read_dossier(principal, facts(d)):
                    assert refused[d.id] == "no such dossier"
                elif not can_transfer(principal, facts(d)):
                    assert refused[d.file_code] == "not yours to transfer"

        due = {d.dossier.id for d in transfer.due(services, principal)}
        for d in dossiers:
            assert (d.id in due) == (can_read_dossier(principal, facts(d)) and not _taken(services, d))

        whole = [closed_permanent(services, agency, level) for agency, level in drawn]
        batch = prepared(services, ADMIN, whole).batch
        assert batch is not None
        sees = can_see_transfer(principal, [facts(d) for d in whole])
        assert (batch.id in {b.id for b in transfer.listing(services, principal)}) == sees
        for action in (transfer.get, transfer.send):
            try:
                action(services, principal, batch.id)
            except NotFound:
                assert not sees
            else:
                assert sees
        with pytest.raises(NotFound):  # a random id answers exactly as a batch the caller may not see
            transfer.get(services, principal, str(uuid.uuid4()))


def _taken(services: Services, dossier: da.Dossier) -> bool:
    return dossier.id in services.transfers.dossiers_in_open_batches()
