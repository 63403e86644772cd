"""The intake rule (``can_run_intake``) against what ``import_package`` does, for every drawn
principal: a package is taken in exactly when the rule allows it; otherwise FORBIDDEN and
nothing of it is written. The differential for issue 14's edXML intake.

Runs on SQLite, and on PostgreSQL (with Elasticsearch) when they are available.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archive.domain.access import Principal, Role, can_run_intake
from archive.domain.edxml import BusinessType, IntakeKey
from archive.domain.errors import Forbidden
from archive.domain.records import Classification
from archive.samples import SampleDocument, render_pdf
from archive.services.container import Services
from archive.services.intake import Received, import_package
from tests.support.edxml import EdxmlSpec, pdf_attachment

AGENCY = "H10"


principals = st.builds(
    lambda roles, agencies, anonymous: Principal(
        subject="anonymous" if anonymous else "p1",
        roles=frozenset() if anonymous else frozenset(roles),
        agencies=frozenset() if anonymous else frozenset(agencies),
        clearance=Classification.TOP_SECRET,
        anonymous=anonymous,
    ),
    st.sets(st.sampled_from(list(Role)), max_size=2),
    st.sets(st.sampled_from([AGENCY, "B"]), max_size=2),
    st.booleans(),
)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(principal=principals, number=st.integers(100, 10_000))
async def test_who_may_run_intake_is_what_the_rule_says(
    services: Services, principal: Principal, number: int
) -> None:
    spec = EdxmlSpec(
        number=str(number),
        attachments=(pdf_attachment(render_pdf(SampleDocument(number=str(number))), f"{number}.pdf"),),
    )
    allowed = can_run_intake(principal, AGENCY)
    try:
        outcome = await import_package(services, principal, Received(spec.build()), agency_code=AGENCY)
    except Forbidden:
        assert not allowed
        assert services.intakes.by_key(IntakeKey(spec.sender, spec.the_document_id, BusinessType.NEW)) is None
        return
    assert allowed and outcome.created
