"""The record-file rules (``can_read`` for every file and version, ``can_add_file_version``
for a new version) in Python against what the services answer: the differential for
several files per record and file versions (issue 14).

For every drawn principal and record (with a main file and an appendix):

- the record, with its files, is returned exactly when ``can_read`` allows it;
- a download link to the appendix (current or first version) is issued exactly when
  ``can_read`` allows it; otherwise it is NOT_FOUND, as for a random record or file id;
- adding a version succeeds exactly when ``can_add_file_version`` allows it; otherwise
  it is NOT_FOUND when the caller may not read the record (as for a random id, and
  with no audit entry), else FORBIDDEN; nothing is stored for a refusal.

Runs on SQLite + local storage, and on PostgreSQL + S3 (with Elasticsearch) when they are
available.
"""

from __future__ import annotations

import hashlib
import io
import uuid
from dataclasses import replace

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archive.domain.access import (
    UNRESTRICTED,
    Principal,
    Readable,
    ReadScope,
    Role,
    can_add_file_version,
    can_read,
)
from archive.domain.errors import Forbidden, NotFound
from archive.domain.files import FileRole, FileVersion, RecordFile, file_key
from archive.domain.records import Classification, Record, StoredFile
from archive.samples import SampleDocument, render_pdf
from archive.services.audit import ClientInfo
from archive.services.container import Services
from archive.services.download import issue_link
from archive.services.files import add_file_version
from tests.support.access import make_record

AGENCIES = ["A", "B"]
classifications = st.sampled_from(list(Classification))
principals = st.builds(
    lambda n, roles, agencies, clearance, anonymous: Principal(
        subject="anonymous" if anonymous else f"p{n}",
        roles=frozenset() if anonymous else frozenset(roles),
        agencies=frozenset() if anonymous else frozenset(agencies),
        clearance=clearance,
        anonymous=anonymous,
    ),
    st.integers(0, 3),
    st.sets(st.sampled_from(list(Role)), max_size=2),
    st.sets(st.sampled_from(AGENCIES), max_size=2),
    classifications,
    st.booleans(),
)
shapes = st.tuples(classifications, st.booleans(), st.sampled_from([(), ("user:p1",), ("agency:B",)]))
EXAMPLES = settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
APPENDIX = render_pdf(SampleDocument(number="5", subject="Phụ lục"))
CORRECTED = render_pdf(SampleDocument(number="6", subject="Phụ lục đính chính"))


def with_appendix(services: Services, record: Record) -> Record:
    """``record`` (agency A) with its main file and one appendix, both really stored."""
    main_key = file_key(record.id, record.id, 1)
    pdf = render_pdf(SampleDocument(number=str(uuid.uuid4().int % 10_000)))
    main = _stored(services, main_key, pdf, "main.pdf")
    appendix_id = str(uuid.uuid4())
    appendix = _stored(services, file_key(record.id, appendix_id, 1), APPENDIX, "phu-luc.pdf")
    files = (
        RecordFile(record.id, record.id, FileRole.MAIN, 0, (FileVersion(1, main, record.created_at),)),
        RecordFile(
            appendix_id, record.id, FileRole.APPENDIX, 1, (FileVersion(1, appendix, record.created_at),)
        ),
    )
    return replace(record, file=main, files=files)


def _stored(services: Services, key: str, data: bytes, name: str) -> StoredFile:
    sha = hashlib.sha256(data).hexdigest()
    version = services.blobs.put(
        key, io.BytesIO(data), size=len(data), sha256=sha, media_type="application/pdf"
    )
    return StoredFile(key, sha, len(data), "application/pdf", name, version)


async def link_answer(
    services: Services, principal: Principal, record_id: str, file_id: str, version: int | None
) -> str:
    try:
        await issue_link(
            services, principal, record_id, client=ClientInfo(), file_id=file_id, version=version
        )
    except NotFound as exc:
        return exc.code
    return "OK"


def version_answer(services: Services, principal: Principal, record_id: str, file_id: str) -> str:
    try:
        add_file_version(
            services,
            principal,
            record_id,
            file_id,
            io.BytesIO(CORRECTED),
            filename="dinh-chinh.pdf",
            reason="đính chính",
        )
    except (NotFound, Forbidden) as exc:
        return exc.code
    return "OK"


@EXAMPLES
@given(shape=shapes, callers=st.lists(principals, min_size=1, max_size=4))
async def test_who_reads_downloads_and_corrects_a_record_file(
    services: Services, shape: tuple[Classification, bool, tuple[str, ...]], callers: list[Principal]
) -> None:
    level, public, grants = shape
    public = public and level is Classification.ORDINARY
    record = with_appendix(
        services, make_record(agency="A", classification=level, public=public, grants=grants)
    )
    services.records.add(record)
    appendix = record.files[1].id
    for principal in callers:
        readable = can_read(principal, Readable.of(record))
        found = services.records.get(record.id, ReadScope.for_principal(principal))
        assert (found is not None) == readable
        if found is not None:
            assert [f.id for f in found.files] == [record.id, appendix]
        expected_link = "OK" if readable else "NOT_FOUND"
        assert await link_answer(services, principal, record.id, appendix, None) == expected_link
        assert await link_answer(services, principal, record.id, appendix, 1) == expected_link
        assert await link_answer(services, principal, record.id, str(uuid.uuid4()), None) == "NOT_FOUND"
        assert await link_answer(services, principal, str(uuid.uuid4()), appendix, None) == "NOT_FOUND"

        before = list(services.audit.entries())
        answer = version_answer(services, principal, record.id, appendix)
        allowed = can_add_file_version(principal, Readable.of(record))
        assert answer == ("OK" if allowed else "NOT_FOUND" if not readable else "FORBIDDEN")
        assert version_answer(services, principal, str(uuid.uuid4()), appendix) == "NOT_FOUND"
        if not readable:  # a hidden record leaves no trace of the attempt, like a missing one
            assert list(services.audit.entries()) == before
        if allowed:
            return  # the file changed: later callers would face a different record
    stored = services.records.get(record.id, UNRESTRICTED)
    assert stored is not None and [len(f.versions) for f in stored.files] == [
        1,
        1,
    ]  # nothing stored for a refusal
