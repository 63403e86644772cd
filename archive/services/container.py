"""The ports and settings one running service holds, built by ``archive.factory``.

Every field is typed by a port (a Protocol in ``archive.domain.ports``), never by
an adapter: services reach the database only through these stores, and hold no
engine. What must be released on close is the factory's ``dispose`` callable.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from archive.auth.tokens import TokenVerifier
from archive.domain.heartbeats import HeartbeatStore
from archive.domain.ports import (
    AccessRequestStore,
    ApiKeyStore,
    ArchivalStore,
    AuditLog,
    BlobStore,
    DatabaseSnapshot,
    DispositionStore,
    FixityStore,
    FormatIdentifier,
    HoldStore,
    IntakeStore,
    JobQueue,
    LifecycleStore,
    ListingRenderer,
    OcrBacklog,
    PackageWriter,
    RecordRepository,
    ResultExportStore,
    RetentionStore,
    SavedSearchStore,
    SchemaRevisions,
    SearchIndex,
    StatisticsStore,
    TrustedDocumentStore,
    VitalsSource,
    WebhookSender,
    WebhookStore,
)
from archive.domain.ports.package_reader import PackageImportStore, PackageReader
from archive.domain.ports.transfer import TransferStore
from archive.domain.processing import ProcessingResults
from archive.observability.metrics import Metrics
from archive.services.links import DownloadLinks
from archive.settings import Settings


def utc_now() -> datetime:
    return datetime.now(UTC)


def _nothing_to_dispose() -> None:
    return None


@dataclass
class Services:
    """Everything a request, a CLI command or a worker needs, typed."""

    settings: Settings
    records: RecordRepository
    jobs: JobQueue
    blobs: BlobStore
    index: SearchIndex
    links: DownloadLinks
    audit: AuditLog
    api_keys: ApiKeyStore
    tokens: TokenVerifier | None  # None: bearer tokens are not accepted
    results: ProcessingResults
    heartbeats: HeartbeatStore
    retention: RetentionStore
    archival: ArchivalStore  # fonds, dossiers and each record's place in them
    holds: HoldStore
    disposition: DispositionStore
    fixity: FixityStore
    ocr_backlog: OcrBacklog
    snapshots: DatabaseSnapshot  # backup and restore of the database as a whole
    schema: SchemaRevisions  # readiness: is the database at the code's migration head
    vitals: VitalsSource  # the metrics' gauges of shared state, read at scrape time
    renderer: ListingRenderer  # the dossier list and tables of contents as PDF, XLSX, CSV
    trusted_documents: TrustedDocumentStore  # the allowlist of GraphQL documents (portals)
    statistics: StatisticsStore  # counts for archivists, under the read rules
    saved_searches: SavedSearchStore  # principals' saved searches
    result_exports: ResultExportStore  # exports of a search's results, as jobs
    transfers: TransferStore  # transfer batches to the historical archive
    formats: FormatIdentifier  # PRONOM identification of package files (PREMIS)
    access_requests: AccessRequestStore  # readers' requests for copies (DIP)
    packages: PackageWriter  # transfer packages (Circular 05/2025, E-ARK CSIP) as zips
    intakes: IntakeStore  # the edXML packages taken in, one per document
    lifecycle: LifecycleStore  # metadata versions and relations (corrections, revocation)
    package_reader: PackageReader  # transfer packages received from other systems, unpacked and checked
    package_imports: PackageImportStore  # what an imported package becomes, in one transaction
    webhooks: WebhookStore  # subscriptions and the delivery outbox
    webhook_sender: WebhookSender  # the outbound POST of each delivery attempt
    metrics: Metrics = field(default_factory=Metrics)
    clock: Callable[[], datetime] = field(default=utc_now)
    dispose: Callable[[], None] = field(default=_nothing_to_dispose)  # releases database connections

    async def close(self) -> None:
        await self.index.close()
        await self.webhook_sender.close()
        self.blobs.close()
        self.dispose()
