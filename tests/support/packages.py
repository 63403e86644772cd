"""Records whose bytes are really in the blob store, for package tests that skip the worker."""

from __future__ import annotations

import dataclasses
import hashlib
import io

from archive.domain.records import Record, StoredFile
from archive.samples import SampleDocument, render_pdf
from archive.services.container import Services
from tests.support.access import make_record, put


async def stored_records(services: Services, count: int, *, agency: str = "UBND-HG") -> list[Record]:
    """``count`` processed records of ``agency`` with distinct sample PDFs in the blob store."""
    records = []
    for n in range(1, count + 1):
        pdf = render_pdf(SampleDocument(number=str(n), subject=f"Văn bản số {n}"))
        record = make_record(agency=agency, subject=f"Văn bản số {n}")
        sha256 = hashlib.sha256(pdf).hexdigest()
        version = services.blobs.put(
            record.file.storage_key,
            io.BytesIO(pdf),
            size=len(pdf),
            sha256=sha256,
            media_type="application/pdf",
        )
        stored = StoredFile(
            record.file.storage_key, sha256, len(pdf), "application/pdf", "văn bản.pdf", version
        )
        records.append(dataclasses.replace(record, file=stored))
    await put(services, *records)
    return records
