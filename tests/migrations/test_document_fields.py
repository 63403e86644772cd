"""Migration 0012 gives the previous release's records the document fields of Circular
05/2025: a document-type code from the free text (32 Khác when it names none, the text
kept), language codes ("vi" becomes 01), a mode where the facts decide it, and the
confidence level from the pages' text sources; and the tables then match the models."""

from __future__ import annotations

import copy
import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from archive.db.migrate import upgrade
from archive.db.repository import SqlRecordRepository
from archive.domain.access import UNRESTRICTED
from tests.migrations.snapshot import load, release_files

# (document_type, language, classification, is_public, text_status, page sources) and what
# the upgrade must make of it: (type_name, languages, mode, confidence_level)
VARIANTS: list[tuple[tuple[str, str, int, bool, str, tuple[str, ...]], tuple[str, list[str], Any, Any]]] = [
    (("Quyết định", "vi", 0, True, "extracted", ("text_layer",)), ("02", ["01"], "01", "01")),
    (("cong van", "vi", 0, False, "ocr_done", ("ocr", "ocr")), ("22", ["01"], None, "02")),
    (("Tờ trình nội bộ", "en", 2, False, "ocr_done", ("text_layer", "ocr")), ("32", ["02"], "03", "03")),
    (("GIẤY MỜI", "xx", 1, False, "pending", ()), ("26", ["11"], "03", None)),
    (("Báo cáo", "Tiếng Pháp", 0, False, "pending_ocr", ("text_layer",)), ("14", ["03"], None, None)),
]


@pytest.fixture(params=release_files(), ids=lambda path: path.stem)
def snapshot(request: pytest.FixtureRequest) -> dict[str, Any]:
    path: Path = request.param
    return dict(json.loads(path.read_text(encoding="utf-8")))


def _with_variants(tables: dict[str, list[dict[str, Any]]]) -> list[str]:
    """The release's first record copied once per variant (new id, bytes and pages)."""
    template = tables["records"][0]
    ids = []
    for (doc_type, language, level, public, status, sources), _ in VARIANTS:
        row = copy.deepcopy(template)
        row.update(
            id=str(uuid.uuid4()), sha256=uuid.uuid4().hex * 2, document_type=doc_type, language=language,
            classification=level, is_public=public, text_status=status,
        )  # fmt: skip
        row["storage_key"] = f"records/{row['id'][:2]}/{row['id']}"
        tables["records"].append(row)
        tables["pages"] += [
            {"record_id": row["id"], "number": n, "text": "nội dung", "source": s, "confidence": None}
            for n, s in enumerate(sources, start=1)
        ]
        ids.append(row["id"])
    return ids


def test_old_records_get_codes_mode_and_confidence(engine: Engine, snapshot: dict[str, Any]) -> None:
    tables = snapshot["tables"]
    ids = _with_variants(tables)
    for head in snapshot["heads"]:
        upgrade(engine, head)
    load(engine, tables)

    upgrade(engine)

    records = SqlRecordRepository(engine)
    for record_id, (given, wanted) in zip(ids, VARIANTS, strict=True):
        record = records.get(record_id, UNRESTRICTED)
        assert record is not None
        m = record.metadata
        got = (m.type_name, list(m.languages), m.mode, record.confidence_level)
        assert got == wanted, given
        assert m.document_type == given[0]  # the free text stays what rules and search match
    for row in snapshot["tables"]["records"][: -len(VARIANTS)]:  # the release's own records
        record = records.get(row["id"], UNRESTRICTED)
        assert record is not None and record.metadata.languages == ("01",)


def test_the_records_table_matches_the_model_after_the_upgrade(engine: Engine) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext
    from sqlmodel import SQLModel

    upgrade(engine)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    assert [d for d in diff if "'records'" in repr(d)] == []
