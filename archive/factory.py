"""The one place that picks adapters, from settings."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.engine import Engine

from archive.auth.apikeys import derive_pepper
from archive.auth.claims import parse_role_map
from archive.auth.tokens import TokenConfig, TokenVerifier
from archive.db.access_requests import SqlAccessRequestStore
from archive.db.apikeys import SqlApiKeyStore
from archive.db.archival import SqlArchivalStore
from archive.db.audit import SqlAuditLog
from archive.db.disposition import SqlDispositionStore
from archive.db.engine import create_db_engine
from archive.db.fixity import SqlFixityStore
from archive.db.heartbeats import SqlHeartbeats
from archive.db.holds import SqlHoldStore
from archive.db.intake import SqlIntakeStore
from archive.db.jobs import SqlJobQueue
from archive.db.lifecycle import SqlLifecycleStore
from archive.db.migrate import SqlSchemaRevisions, upgrade
from archive.db.ocr_backlog import SqlOcrBacklog
from archive.db.package_imports import SqlPackageImports
from archive.db.repository import SqlRecordRepository
from archive.db.result_exports import SqlResultExportStore
from archive.db.results import SqlProcessingResults
from archive.db.retention import SqlRetentionStore
from archive.db.saved_searches import SqlSavedSearchStore
from archive.db.snapshot import SqlDatabaseSnapshot
from archive.db.statistics import SqlStatisticsStore
from archive.db.transfer import SqlTransferStore
from archive.db.trusted_documents import SqlTrustedDocumentStore
from archive.db.vitals import SqlVitals
from archive.db.webhooks import SqlWebhookStore
from archive.domain.backup import BackupTarget
from archive.domain.codes import code_lists
from archive.domain.ports import BlobStore, OcrBacklog, SearchIndex
from archive.exports import ListingFiles
from archive.observability.metrics import Metrics
from archive.outbound.http import HttpWebhookSender
from archive.packaging import PackageFiles
from archive.services.container import Services
from archive.services.links import DownloadLinks
from archive.services.startup import StartupStep
from archive.settings import Settings
from archive.unpacking import ZipPackageReader
from indexing.formats import FidoIdentifier

if TYPE_CHECKING:
    from storage.s3 import S3BlobStore


def build_blob_store(settings: Settings) -> BlobStore:
    """The blob store, its S3 bucket created or checked now (the CLI needs it at once)."""
    if settings.blob_backend == "s3":
        store = _s3_blob_store(settings)
        store.ensure_bucket()
        return store
    return _local_blob_store(settings)


def _s3_blob_store(settings: Settings) -> S3BlobStore:
    """The S3 adapter; building it makes no request."""
    from storage.s3 import S3BlobStore

    return S3BlobStore(
        settings.s3_endpoint,
        settings.s3_access_key,
        settings.s3_secret_key.get_secret_value(),
        settings.s3_bucket,
        region=settings.s3_region,
        secure=settings.s3_secure,
        ca_file=settings.s3_ca_file,
        retention_mode=settings.retention_mode,
    )


def _local_blob_store(settings: Settings) -> BlobStore:
    from storage.local import LocalBlobStore

    settings.blob_dir.mkdir(parents=True, exist_ok=True)  # so readiness can tell a lost directory
    return LocalBlobStore(settings.blob_dir)


def build_search_index(settings: Settings) -> SearchIndex:
    if settings.search_backend == "elasticsearch":
        from indexing.search.elastic import ElasticsearchIndex

        return ElasticsearchIndex(settings.elasticsearch_url, index=settings.elasticsearch_index)
    from indexing.search.fts import SqliteSearchIndex

    return SqliteSearchIndex(settings.search_db_path)


def build_backup_target(spec: str, settings: Settings) -> BackupTarget:
    """The backup target ``spec`` names: ``s3://bucket/prefix`` (ARCHIVE_BACKUP_S3_* settings,
    defaulting to the deployment's own S3 server) or a directory."""
    if not spec.startswith("s3://"):
        from storage.backup_target import DirectoryTarget

        root = Path(spec).resolve()
        if root.is_relative_to(settings.blob_dir.resolve()):
            raise ValueError(f"{root}: a backup must not live inside the blob directory it copies")
        return DirectoryTarget(root)
    from storage.backup_target import S3Target

    bucket, _, prefix = spec.removeprefix("s3://").partition("/")
    if not bucket:
        raise ValueError(f"{spec!r}: name a bucket, s3://bucket/prefix")
    own = not settings.backup_s3_endpoint
    if own and settings.blob_backend == "s3" and bucket == settings.s3_bucket:
        raise ValueError(f"{spec!r}: a backup must not go into the bucket it copies")
    target = S3Target(
        settings.s3_endpoint if own else settings.backup_s3_endpoint,
        settings.s3_access_key if own else settings.backup_s3_access_key,
        (settings.s3_secret_key if own else settings.backup_s3_secret_key).get_secret_value(),
        bucket,
        prefix,
        region=settings.s3_region if own else settings.backup_s3_region,
        secure=settings.s3_secure if own else settings.backup_s3_secure,
        ca_file=settings.s3_ca_file if own else settings.backup_s3_ca_file,
    )
    target.ensure_bucket()
    return target


def build_package_reader(settings: Settings) -> ZipPackageReader:
    """The transfer-package reader, unpacking under the data directory within the settings' limits."""
    return ZipPackageReader(settings.data_dir / "tmp" / "packages", settings.package_limits)


def build_token_verifier(settings: Settings) -> TokenVerifier | None:
    """The bearer-token verifier the OIDC settings describe, or None when none is configured."""
    if not settings.oidc_enabled:
        return None
    key_file = settings.oidc_public_key_file
    return TokenVerifier(
        TokenConfig(
            issuer=settings.oidc_issuer,
            audience=settings.oidc_audience,
            algorithms=settings.oidc_algorithm_list,
            public_key_pem=None if key_file is None else key_file.read_text(encoding="ascii"),
            jwks_url=settings.oidc_jwks_url or None,
            roles_claim=settings.oidc_roles_claim,
            agencies_claim=settings.oidc_agencies_claim,
            clearance_claim=settings.oidc_clearance_claim,
            role_map=parse_role_map(settings.oidc_role_map),
        )
    )


def build_engine(settings: Settings, *, migrate: bool | None = None) -> Engine:
    """The metadata database's engine, for the CLI commands that work on the database
    itself (migrate, apikey). Migrated in development mode, or when asked."""
    engine = create_db_engine(settings.resolved_database_url)
    if migrate if migrate is not None else not settings.is_production:
        upgrade(engine)
    return engine


def build_services(settings: Settings, *, migrate: bool | None = None) -> Services:
    """Engines and clients for one process (the CLI and ``archive worker``): the bucket
    is created or checked now, and migrations run here in development mode (or when
    asked); production runs ``archive migrate`` as a deploy step."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = build_engine(settings, migrate=migrate)
    return _services(settings, engine, build_blob_store(settings))


def build_served_services(settings: Settings) -> tuple[Services, list[StartupStep]]:
    """``archive serve``'s adapters, built without contacting any server, and the steps
    that prepare them (development migrations, the bucket, the index), which the app
    retries in the background: a service down at start-up must not stop the process."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = create_db_engine(settings.resolved_database_url)
    steps: list[StartupStep] = []
    if not settings.is_production:
        steps.append(
            StartupStep("database", lambda: asyncio.to_thread(upgrade, engine), first_try_at_start=True)
        )
    blobs: BlobStore
    if settings.blob_backend == "s3":
        s3 = blobs = _s3_blob_store(settings)
        steps.append(StartupStep("blob_store", lambda: asyncio.to_thread(s3.ensure_bucket)))
    else:
        blobs = _local_blob_store(settings)
    services = _services(settings, engine, blobs)
    steps.append(StartupStep("search_index", services.index.ensure_ready))
    return services, steps


def _services(settings: Settings, engine: Engine, blobs: BlobStore) -> Services:
    code_lists()  # read the code lists now: a malformed data file stops start-up, not a deposit
    return Services(
        settings=settings,
        records=SqlRecordRepository(engine),
        jobs=SqlJobQueue(engine),
        blobs=blobs,
        index=build_search_index(settings),
        links=DownloadLinks(settings.secret_key.get_secret_value().encode()),
        audit=SqlAuditLog(engine, key=settings.audit_mac_key),
        api_keys=SqlApiKeyStore(engine, pepper=derive_pepper(settings.secret_key.get_secret_value())),
        tokens=build_token_verifier(settings),
        results=SqlProcessingResults(engine),
        heartbeats=SqlHeartbeats(engine),
        metrics=Metrics(),
        retention=SqlRetentionStore(engine),
        archival=SqlArchivalStore(engine),
        holds=SqlHoldStore(engine),
        disposition=SqlDispositionStore(engine),
        fixity=SqlFixityStore(engine),
        ocr_backlog=SqlOcrBacklog(engine),
        snapshots=SqlDatabaseSnapshot(engine, bin_dir=settings.pg_bin_dir),
        schema=SqlSchemaRevisions(engine),
        vitals=SqlVitals(engine),
        renderer=ListingFiles(),
        packages=PackageFiles(),
        trusted_documents=SqlTrustedDocumentStore(engine),
        statistics=SqlStatisticsStore(engine),
        saved_searches=SqlSavedSearchStore(engine),
        result_exports=SqlResultExportStore(engine),
        transfers=SqlTransferStore(engine),
        intakes=SqlIntakeStore(engine),
        lifecycle=SqlLifecycleStore(engine),
        formats=FidoIdentifier(settings.resolved_fido_python),
        access_requests=SqlAccessRequestStore(engine),
        package_reader=build_package_reader(settings),
        package_imports=SqlPackageImports(engine),
        webhooks=SqlWebhookStore(engine),
        webhook_sender=HttpWebhookSender(
            settings.webhook_target_policy, timeout=settings.webhook_timeout_seconds
        ),
        dispose=engine.dispose,
    )


@contextmanager
def open_ocr_backlog(settings: Settings) -> Iterator[OcrBacklog]:
    """The OCR backlog on an engine of its own, for process start-up and ``archive jobs retry
    --pending-ocr`` (they run before, or without, the services). Never migrates."""
    engine = create_db_engine(settings.resolved_database_url)
    try:
        yield SqlOcrBacklog(engine)
    finally:
        engine.dispose()
