"""``can_import_package`` in Python against what importing a transfer package does (issue 13).

For every drawn principal and package (agency A or B; with or without a mode-03 document,
kept at the highest level), the import succeeds exactly when the rule allows it and is
FORBIDDEN otherwise, and a refused import stores nothing: no record, dossier or object.
Runs on SQLite, and on PostgreSQL + Elasticsearch + S3 when they are available.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archive.domain.access import UNRESTRICTED, Principal, Role, can_import_package
from archive.domain.errors import Forbidden
from archive.domain.package_import import classification_of
from archive.domain.records import Classification
from archive.services.container import Services
from archive.services.package_import import import_package
from tests.support.transfer import Doc, make_package, sample_pdf

AGENCIES = ["A", "B"]
principals = st.builds(
    lambda n, roles, agencies, clearance: Principal(
        subject=f"p{n}", roles=frozenset(roles), agencies=frozenset(agencies), clearance=clearance
    ),
    st.integers(0, 3),
    st.sets(st.sampled_from(list(Role)), max_size=2),
    st.sets(st.sampled_from(AGENCIES), max_size=2),
    st.sampled_from(list(Classification)),
)
SHAPES = [(agency, secret) for agency in AGENCIES for secret in (False, True)]


@pytest.fixture(scope="module")
def packages(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, bool], tuple[Path, list[str]]]:
    """One package per (agency, holds a secret document), with its documents' modes."""
    made = {}
    for n, (agency, secret) in enumerate(SHAPES):
        modes = ["01", "03" if secret else "02"]
        docs = [Doc(sample_pdf(f"{n}{i}"), mode=m, number=f"{n}{i}") for i, m in enumerate(modes)]
        path = tmp_path_factory.mktemp("packages") / f"{agency}-{secret}.zip"
        made[(agency, secret)] = (
            make_package(path, docs, agency=agency, fonds_code=f"F-{agency}", file_code=f"{agency}.2025.{n}"),
            modes,
        )
    return made


def outcome(services: Services, principal: Principal, path: Path) -> str:
    try:
        import_package(services, principal, path)
    except Forbidden as exc:
        return exc.code
    return "OK"


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(principal=principals, shape=st.sampled_from(SHAPES))
def test_import_succeeds_exactly_when_the_rule_allows_it(
    services: Services,
    packages: dict[tuple[str, bool], tuple[Path, list[str]]],
    principal: Principal,
    shape: tuple[str, bool],
) -> None:
    path, modes = packages[shape]
    before = services.records.count(UNRESTRICTED), sorted(services.blobs.list_keys("records/"))
    allowed = can_import_package(principal, shape[0], [classification_of(m) for m in modes])
    assert outcome(services, principal, path) == ("OK" if allowed else "FORBIDDEN")
    if not allowed:
        assert (services.records.count(UNRESTRICTED), sorted(services.blobs.list_keys("records/"))) == before
