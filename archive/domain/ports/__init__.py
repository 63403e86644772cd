"""The ports the domain talks to. Only ``archive.factory`` picks the adapters.

=================  ==========================  ==================================
port               embedded default            production
=================  ==========================  ==================================
RecordRepository   SQLite (sqlmodel, Alembic)  PostgreSQL
BlobStore          local directory             S3 server with Object Lock (minio)
SearchIndex        SQLite FTS5                 Elasticsearch
JobQueue           SQLite table                PostgreSQL (``SKIP LOCKED``)
AuditLog           SQLite table                PostgreSQL
ApiKeyStore        SQLite table                PostgreSQL
RetentionStore     SQLite tables               PostgreSQL
ArchivalStore      SQLite tables               PostgreSQL
HoldStore          SQLite tables               PostgreSQL
DispositionStore   SQLite tables               PostgreSQL
FixityStore        SQLite table                PostgreSQL
FormatIdentifier   fido (PRONOM signatures)    the same (``indexing.formats``)
AccessRequestStore SQLite table                PostgreSQL
ProcessingResults  SQLite tables               PostgreSQL
OcrBacklog         SQLite tables               PostgreSQL
VitalsSource       SQLite tables               PostgreSQL
ListingRenderer    PDF (fpdf2), XLSX, CSV      the same (``archive.exports``)
PackageWriter      TT05 / E-ARK CSIP zip       the same (``archive.packaging``, lxml)
DatabaseSnapshot   SQLite online backup        ``pg_dump``/``pg_restore``
SchemaRevisions    Alembic                     Alembic
TrustedDocumentStore  SQLite table             PostgreSQL
StatisticsStore    SQLite (GROUP BY)           PostgreSQL
SavedSearchStore   SQLite table                PostgreSQL
ResultExportStore  SQLite table                PostgreSQL
TransferStore      SQLite tables               PostgreSQL
IntakeStore        SQLite table                PostgreSQL
LifecycleStore     SQLite tables               PostgreSQL
WebhookStore       SQLite tables               PostgreSQL
WebhookSender      httpx (archive.outbound)    the same
=================  ==========================  ==================================

The first three are the design's three ports; the rest live in the metadata
database too (``archive.db``), each behind its own Protocol so that no service
holds an engine or builds a store (an import contract in ``pyproject.toml``,
run by ``scripts/check``, keeps it so). ``ProcessingResults`` is declared in
``archive.domain.processing``.

The database ports and ``BlobStore`` are synchronous (their drivers are);
callers on the event loop run them in a worker thread. ``SearchIndex`` is
asynchronous. Each port has one contract suite in ``tests/contract`` that every
adapter must pass.
"""

from archive.domain.ports.access_requests import AccessRequestStore
from archive.domain.ports.apikeys import ApiKeyStore
from archive.domain.ports.archival import ArchivalStore
from archive.domain.ports.audit import AuditFilter, AuditLog
from archive.domain.ports.blobs import BlobStore, Retention, RetentionMode
from archive.domain.ports.database import DatabaseSnapshot, SchemaRevisions
from archive.domain.ports.exports import ListingRenderer
from archive.domain.ports.fixity import FixityStore
from archive.domain.ports.formats import FormatIdentifier
from archive.domain.ports.intake import IntakeStore
from archive.domain.ports.jobs import JobQueue, OcrBacklog
from archive.domain.ports.lifecycle import LifecycleStore
from archive.domain.ports.packages import PackageWriter
from archive.domain.ports.records import RecordRepository
from archive.domain.ports.result_exports import ResultExportStore
from archive.domain.ports.retention import DispositionStore, HoldStore, RetentionStore
from archive.domain.ports.saved_searches import SavedSearchStore
from archive.domain.ports.search import SearchIndex
from archive.domain.ports.statistics import StatisticsStore
from archive.domain.ports.trusted_documents import TrustedDocumentStore
from archive.domain.ports.vitals import Vitals, VitalsSource
from archive.domain.ports.webhooks import WebhookSender, WebhookStore

__all__ = [
    "AccessRequestStore",
    "ApiKeyStore",
    "ArchivalStore",
    "AuditFilter",
    "AuditLog",
    "BlobStore",
    "DatabaseSnapshot",
    "DispositionStore",
    "FixityStore",
    "FormatIdentifier",
    "HoldStore",
    "IntakeStore",
    "JobQueue",
    "LifecycleStore",
    "ListingRenderer",
    "OcrBacklog",
    "PackageWriter",
    "RecordRepository",
    "ResultExportStore",
    "Retention",
    "RetentionMode",
    "RetentionStore",
    "SavedSearchStore",
    "SchemaRevisions",
    "SearchIndex",
    "StatisticsStore",
    "TrustedDocumentStore",
    "Vitals",
    "VitalsSource",
    "WebhookSender",
    "WebhookStore",
]
