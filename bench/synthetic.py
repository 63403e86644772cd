"""Synthetic records in bulk, for the search and GraphQL suites: metadata rows
inserted with plain SQL, and the matching index documents bulk-loaded, with no
deposit, blob or worker in between (10^5 records in a minute, not an hour)."""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from itertools import islice

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

from archive.db.archival import ensure_default_fonds
from archive.db.repository import SqlRecordRepository
from archive.db.tables import RecordFileRow, RecordRow
from archive.domain.archival import default_fonds_id
from archive.domain.files import FileRole
from archive.domain.records import Classification, Direction, Page, TextSource, type_code_of
from archive.domain.search import IndexDocument
from archive.domain.text import normalize_document_number
from archive.samples import _WORDS
from archive.services.container import Services

PROVINCES = (("HG", "Hà Giang"), ("HN", "Hà Nội"), ("DN", "Đà Nẵng"), ("CT", "Cần Thơ"), ("LC", "Lào Cai"))
AGENCIES = [(f"UBND-{code}", f"Ủy ban nhân dân tỉnh {name}") for code, name in PROVINCES]
TYPES = [("Quyết định", "QĐ"), ("Công văn", "CV"), ("Thông báo", "TB"), ("Kế hoạch", "KH"), ("Báo cáo", "BC")]
PHRASES = ["chữ ký số", "văn bản điện tử", "công tác văn thư", "đất đai", "ngân sách nhà nước"]


@dataclass(frozen=True)
class Synthetic:
    """One record: its row (column → value) and the document the index holds for it."""

    row: dict[str, object]
    document: IndexDocument


def records(count: int, *, seed: int) -> Iterator[Synthetic]:
    """``count`` varied records with one page of Vietnamese text each."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    for index in range(count):
        yield _record(rng, seed * 10_000_000 + index, now)


def _record(rng: random.Random, index: int, now: datetime) -> Synthetic:
    record_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    (agency, agency_name), (doc_type, short) = rng.choice(AGENCIES), rng.choice(TYPES)
    number, notation = str(index), f"{short}-{agency.split('-')[0]}"
    issued = date(rng.randint(2010, 2025), rng.randint(1, 12), rng.randint(1, 28))
    subject = f"Về việc {rng.choice(PHRASES)} " + " ".join(rng.choices(_WORDS, k=8))
    text = " ".join(rng.choices(_WORDS, k=120)) + f". {rng.choice(PHRASES)}."
    row = {
        "id": record_id, "agency_code": agency, "document_type": doc_type, "number": number,
        "notation": notation, "document_number_key": normalize_document_number(f"{number}/{notation}"),
        "issuing_agency_code": agency, "issuing_agency_name": agency_name, "issue_date": issued,
        "issue_place": "Hà Giang", "subject": subject, "signer_name": "Nguyễn Văn An",
        "signer_position": "Chủ tịch", "recipients": "[]", "urgency": "NORMAL",
        "classification": int(Classification.ORDINARY), "direction": Direction.OUTGOING.value,
        "language": '["01"]', "type_name": type_code_of(doc_type), "page_count": 1,
        "is_public": index % 3 == 0, "fonds_id": default_fonds_id(agency),
        "storage_key": f"records/{record_id[:2]}/{record_id}", "sha256": f"{index:064x}",
        "size": 1000, "media_type": "application/pdf", "original_filename": f"{index}.pdf",
        "text_status": "extracted", "created_at": now, "updated_at": now, "row_version": 1,
    }  # fmt: skip
    document = IndexDocument(
        record_id=record_id, row_version=1, document_number=f"{number}/{notation}", document_type=doc_type,
        agency_code=agency, issuing_agency_code=agency, issuing_agency_name=agency_name, issue_date=issued,
        subject=subject, signer_name="Nguyễn Văn An", direction=Direction.OUTGOING,
        classification=Classification.ORDINARY, is_public=index % 3 == 0,
        pages=(Page(1, text, TextSource.TEXT_LAYER),),
    )  # fmt: skip
    return Synthetic(row, document)


def batches(items: Iterator[Synthetic], size: int) -> Iterator[list[Synthetic]]:
    while batch := list(islice(items, size)):
        yield batch


def insert_rows(engine: Engine, batch: list[Synthetic]) -> None:
    """One multi-row INSERT per batch, straight into the records table (after the default
    fonds of each agency, which every record belongs to)."""
    with Session(engine) as session:
        for agency in sorted({s.row["agency_code"] for s in batch}):
            ensure_default_fonds(session, str(agency), datetime.now(UTC))
        session.commit()
    with engine.begin() as connection:
        connection.execute(sa.insert(RecordRow.__table__), [s.row for s in batch])  # type: ignore[arg-type]


def engine_of(services: Services) -> Engine:
    """The engine behind the services' SQL stores: a benchmark writes rows straight into it."""
    records = services.records
    assert isinstance(records, SqlRecordRepository)
    return records.engine


def insert_files(engine: Engine, batch: list[Synthetic]) -> None:
    """The ``record_files`` row of each record's main file (version 1), mirroring its
    ``records`` row as a deposit writes it: what fixity walks and reconcile merges in."""
    rows = [_file_row(s.row) for s in batch]
    with engine.begin() as connection:
        connection.execute(sa.insert(RecordFileRow.__table__), rows)  # type: ignore[arg-type]


def _file_row(row: dict[str, object]) -> dict[str, object]:
    return {
        "id": row["id"], "version": 1, "record_id": row["id"], "role": FileRole.MAIN.value, "ordinal": 0,
        "storage_key": row["storage_key"], "version_id": row.get("version_id"), "sha256": row["sha256"],
        "size": row["size"], "media_type": row["media_type"], "original_filename": row["original_filename"],
        "created_at": row["created_at"],
    }  # fmt: skip
