"""The adapters and settings one running service holds, built by ``archive.factory``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy.engine import Engine

from archive.auth.tokens import TokenVerifier
from archive.db.apikeys import SqlApiKeyStore
from archive.db.audit import SqlAuditLog
from archive.db.jobs import SqlJobQueue
from archive.domain.heartbeats import HeartbeatStore
from archive.domain.ports import BlobStore, RecordRepository, SearchIndex
from archive.domain.processing import ProcessingResults
from archive.observability.metrics import Metrics
from archive.services.links import DownloadLinks
from archive.settings import Settings


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Services:
    """Everything a request, a CLI command or a worker needs, typed."""

    settings: Settings
    engine: Engine
    records: RecordRepository
    jobs: SqlJobQueue
    blobs: BlobStore
    index: SearchIndex
    links: DownloadLinks
    audit: SqlAuditLog
    api_keys: SqlApiKeyStore
    tokens: TokenVerifier | None  # None: bearer tokens are not accepted
    results: ProcessingResults
    heartbeats: HeartbeatStore
    metrics: Metrics = field(default_factory=Metrics)
    clock: Callable[[], datetime] = field(default=utc_now)

    async def close(self) -> None:
        await self.index.close()
        self.engine.dispose()
