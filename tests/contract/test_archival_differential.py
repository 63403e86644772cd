"""The dossier and fonds rules (``can_read_dossier``, ``can_describe``, ``can_read_fonds``)
in Python against what the archival services and the SQL stores answer, and a dossier's
figures against ``can_read`` over its members: the differential for issue 12.

For every drawn principal and set of dossiers and records:

- ``get_dossier`` and ``list_dossiers`` show exactly the dossiers ``can_read_dossier``
  allows, and ``get_fonds`` exactly the fonds ``can_read_fonds`` allows;
- changing a dossier succeeds exactly when ``can_describe`` allows it; otherwise it is
  NOT_FOUND when the caller may not read it (as for a random id), else FORBIDDEN;
- a dossier's derived figures and its listed documents are those of the members
  ``can_read`` allows, in ordinal order: a hidden member changes no count.

Runs on SQLite, and on PostgreSQL (with Elasticsearch) when they are available.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archive.domain import archival as da
from archive.domain.access import (
    UNRESTRICTED,
    Principal,
    Readable,
    can_describe,
    can_read,
    can_read_dossier,
    can_read_fonds,
)
from archive.domain.errors import Forbidden, NotFound
from archive.domain.records import Classification, Record
from archive.services import archival
from archive.services.container import Services
from tests.support import strategies
from tests.support.access import make_record

AGENCIES = ["A", "B", "C"]
NOW = datetime(2025, 3, 1, 8, 30, tzinfo=UTC)

classifications = st.sampled_from(list(Classification))
shapes = st.tuples(st.sampled_from(AGENCIES), classifications, st.booleans())
principals = strategies.principals(AGENCIES)
members = st.lists(
    st.builds(
        lambda level, public, grants: make_record(
            agency="A", classification=level, public=public, grants=grants
        ),
        classifications,
        st.booleans(),
        st.sampled_from([(), ("user:p1",), ("agency:B",)]),
    ),
    max_size=5,
)
EXAMPLES = settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def new_fonds(services: Services, agency: str) -> da.Fonds:
    fonds = da.Fonds(
        id=str(uuid.uuid4()),
        code=f"F-{uuid.uuid4().hex[:12]}",
        name="Phông",
        agency_code=agency,
        created_at=NOW,
    )
    services.archival.save_fonds(fonds)
    return fonds


def new_dossier(services: Services, fonds: da.Fonds, level: Classification, public: bool) -> da.Dossier:
    """A dossier of the fonds's agency; its mode follows its classification and public flag."""
    mode = "03" if level is not Classification.ORDINARY else ("01" if public else "02")
    draft = da.Dossier(
        id=str(uuid.uuid4()),
        fonds_id=fonds.id,
        agency_code=fonds.agency_code,
        file_code=f"{fonds.agency_code}.2025.{uuid.uuid4().hex[:8]}",
        title="Hồ sơ",
        maintenance="04",
        mode=mode,
        classification=level,
        created_at=NOW,
        updated_at=NOW,
    )
    return services.archival.save_dossier(da.validate_dossier(draft), expected_version=None)


def facts(dossier: da.Dossier) -> Readable:
    """A non-public ordinary dossier here is of mode 02: read across agencies only by those
    who read every conditional-use record."""
    return Readable.of_dossier(dossier)


def record_facts(record: Record) -> Readable:
    return Readable.of(record)


def outcome(services: Services, principal: Principal, dossier_id: str, version: int) -> str:
    """What changing the dossier's title answers the caller."""
    try:
        archival.update_dossier(
            services, principal, dossier_id, {"title": "Đổi tên"}, expected_version=version
        )
    except (NotFound, Forbidden) as exc:
        return exc.code
    return "OK"


@EXAMPLES
@given(drawn=st.lists(shapes, min_size=1, max_size=5), callers=st.lists(principals, min_size=1, max_size=4))
async def test_who_reads_and_describes_a_dossier_and_a_fonds(
    services: Services, drawn: list[tuple[str, Classification, bool]], callers: list[Principal]
) -> None:
    made = []
    for agency, level, public in drawn:
        fonds = new_fonds(services, agency)
        made.append((fonds, new_dossier(services, fonds, level, public)))
    for principal in callers:
        listed = {d.id for d in archival.list_dossiers(services, principal, limit=1000)}
        for fonds, dossier in made:
            readable = can_read_dossier(principal, facts(dossier))
            assert (archival.get_dossier(services, principal, dossier.id) is not None) == readable
            assert (dossier.id in listed) == readable
            assert (archival.get_fonds(services, principal, fonds.id) is not None) == can_read_fonds(
                principal, fonds.agency_code
            )
            want = "OK" if readable and can_describe(principal, facts(dossier)) else (
                "FORBIDDEN" if readable else "NOT_FOUND"
            )  # fmt: skip
            current = services.archival.dossier(dossier.id, UNRESTRICTED)
            assert current is not None
            assert outcome(services, principal, dossier.id, current.row_version) == want
        # An id that does not exist answers like a dossier the caller may not read.
        assert outcome(services, principal, str(uuid.uuid4()), 1) == "NOT_FOUND"


@EXAMPLES
@given(drawn=members, callers=st.lists(principals, min_size=1, max_size=4))
async def test_a_dossiers_figures_count_only_readable_members(
    services: Services, drawn: list[Record], callers: list[Principal]
) -> None:
    fonds = new_fonds(services, "A")
    dossier = new_dossier(services, fonds, Classification.ORDINARY, public=True)
    for record in drawn:
        services.records.add(record)
    services.archival.place(dossier.id, [r.id for r in drawn], now=NOW)
    for principal in callers:
        visible = [r for r in drawn if can_read(principal, record_facts(r))]
        figures = archival.dossier_figures(services, principal, dossier)
        assert figures.total_doc == len(visible)
        first = min((r.metadata.issue_date for r in visible), default=None)
        assert figures.start_date == first
        assert archival.member_ids(services, principal, dossier.id) == [r.id for r in visible]
