"""0015: a database of every earlier release gains the trusted-document table, and the
store reads and extends it (apart from test_upgrade.py, so the two grow without conflict)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.engine import Engine

from archive.db.migrate import current_revision, head_revision, upgrade
from archive.db.trusted_documents import SqlTrustedDocumentStore
from archive.domain.trusted_documents import TrustedDocument, document_id
from tests.migrations.test_upgrade import Snapshot, at_release, snapshot

__all__ = ["snapshot"]  # a fixture, re-exported for pytest


def test_the_trusted_document_table_comes_with_the_upgrade(engine: Engine, snapshot: Snapshot) -> None:
    at_release(engine, snapshot)
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    trusted = SqlTrustedDocumentStore(engine)
    assert trusted.all() == []
    listed = TrustedDocument(document_id("{ a }"), "{ a }", "A", datetime(2025, 3, 1, tzinfo=UTC), "test")
    assert trusted.add([listed]) == 1 and trusted.add([listed]) == 0
    assert trusted.get(listed.id) == listed and trusted.all() == [listed]
