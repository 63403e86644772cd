"""Destroying a record destroys every file of it and every version: nothing stays under
its keys (archive.domain.files), while a record kept beside it keeps all of its files."""

from __future__ import annotations

import asyncio
import io
from datetime import date

from archive.domain.access import UNRESTRICTED
from archive.domain.files import FileRole, record_prefix
from archive.domain.retention import RetentionRule
from archive.services import disposition, retention
from archive.services.container import Services
from archive.services.deposit import Upload, deposit
from archive.services.indexing import index_document
from tests.retention.support import APPROVER, CLERK, PLANNER, RM, Clock, make_pdf, metadata

CV_10 = RetentionRule("CV-10", "Công văn", 10, document_types=("Công văn",))


def with_files(services: Services, number: str, issued: date) -> str:
    others = [
        Upload(io.BytesIO(make_pdf(f"{number}-pl")), "phu-luc.pdf", FileRole.APPENDIX),
        Upload(io.BytesIO(b'<?xml version="1.0"?><edXML/>'), "goc.edxml", FileRole.SOURCE),
    ]
    record = deposit(
        services,
        CLERK,
        io.BytesIO(make_pdf(number)),
        filename=f"{number}.pdf",
        metadata=metadata(number, issued=issued),
        others=others,
    )
    retention.seal(services, record.id)
    return record.id


async def test_a_purge_deletes_every_file_and_version(embedded: Services, clock: Clock) -> None:
    await asyncio.to_thread(retention.change_rules, embedded, RM, upserts=[CV_10])
    doomed = await asyncio.to_thread(with_files, embedded, "1", date(2014, 3, 1))
    kept = await asyncio.to_thread(with_files, embedded, "2", date(2020, 1, 1))
    for record in embedded.records.get_many([doomed, kept], UNRESTRICTED).values():
        await embedded.index.upsert(index_document(record))
    assert len(list(embedded.blobs.list_keys(record_prefix(doomed)))) == 3
    clock.advance(50)
    batch = await asyncio.to_thread(disposition.plan, embedded, PLANNER)
    assert batch is not None and [i.record_id for i in batch.items] == [doomed]
    await asyncio.to_thread(disposition.approve, embedded, APPROVER, batch.id, decision_ref="QĐ 15/QĐ-UBND")
    report = await disposition.run(embedded)
    assert report.destroyed == [doomed]
    assert list(embedded.blobs.list_keys(record_prefix(doomed))) == []
    assert len(list(embedded.blobs.list_keys(record_prefix(kept)))) == 3
