"""Prometheus metrics: the instruments the code paths feed, and the scrape.

Two kinds of figures:

- **events** counted where they happen (OCR pages, limit hits, signature verdicts,
  GraphQL operations and refusals, searches, downloads), in a ``Metrics`` object
  the factory builds for each ``Services`` (so nothing is registered at import
  time, and every test gets its own registry);
- **state** read at scrape time by ``StateCollector`` from a ``VitalsSource`` (a
  port the factory builds over the database: jobs by state, the oldest pending
  job, disposition items, fixity findings, the last backup), so any process
  answers them and none loses them by exiting.

Several processes (``archive worker -p N``, ``archive serve --workers N``) report
through prometheus-client's multiprocess mode: with ``PROMETHEUS_MULTIPROC_DIR``
set in every process's environment, each writes its counters to files there and
``/metrics`` sums them all. Without it, ``/metrics`` shows its own process only
(which includes the embedded worker).
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from archive.domain.ports.vitals import Vitals

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
OTHER = "other"  # the label for values past the cardinality cap
ANONYMOUS = "anonymous"  # an operation without a name

# Client-chosen names become label values: cap how many, so a client cannot blow up
# the scrape (each new name is a new time series).
MAX_OPERATION_NAMES = 200
_OPERATION_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
_CODE = re.compile(r"^[A-Z][A-Z0-9_]{0,47}$")

OCR_PAGE_BUCKETS = (0.5, 1.0, 2.0, 3.0, 5.0, 8.0, 13.0, 20.0, 30.0, 60.0, 120.0)
REQUEST_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class Metrics:
    """The instruments of one process. Cheap to build; the factory makes one per ``Services``."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.ocr_pages = Counter("archive_ocr_pages", "Pages read by OCR.", registry=r)
        self.ocr_page_seconds = Histogram(
            "archive_ocr_page_seconds",
            "Time to render and OCR one page.",
            buckets=OCR_PAGE_BUCKETS,
            registry=r,
        )
        self.extraction_limit_hits = Counter(
            "archive_extraction_limit_hits", "Extractions stopped or cut by a limit.", ["kind"], registry=r
        )
        self.signature_verdicts = Counter(
            "archive_signature_verdicts", "Signatures verified, by verdict.", ["verdict"], registry=r
        )
        self.graphql_seconds = Histogram(
            "archive_graphql_operation_seconds",
            "GraphQL operations (parse, validate, execute), by operation name.",
            ["operation"],
            buckets=REQUEST_BUCKETS,
            registry=r,
        )
        self.graphql_refusals = Counter(
            "archive_graphql_refusals", "GraphQL requests or errors refused, by code.", ["code"], registry=r
        )
        self.search_seconds = Histogram(
            "archive_search_seconds", "Search index queries.", buckets=REQUEST_BUCKETS, registry=r
        )
        self.downloads = Counter(
            "archive_downloads",
            "Download links issued, and downloads served by this API.",
            ["stage"],
            registry=r,
        )
        # Rate limits (archive/api/limits.py): the query cost charged to callers' buckets;
        # refusals count in graphql_refusals{code="RATE_LIMITED"}.
        self.rate_limit_charged = Counter(
            "archive_rate_limit_charged",
            "Query cost charged to rate-limit buckets, by kind of caller (credential, anonymous).",
            ["caller"],
            registry=r,
        )
        self.webhook_attempts = Counter(
            "archive_webhook_attempts",
            "Webhook delivery attempts, by outcome (ok, failed).",
            ["outcome"],
            registry=r,
        )
        self._names: set[str] = set()
        self._names_lock = threading.Lock()

    def extraction(self, ocr_page_seconds: Iterable[float], limit_hit: str | None) -> None:
        """Count one document's extraction: its OCR'd pages and the limit that cut it."""
        for seconds in ocr_page_seconds:
            self.ocr_pages.inc()
            self.ocr_page_seconds.observe(seconds)
        if limit_hit is not None:
            self.extraction_limit_hits.labels(limit_hit).inc()

    def signatures(self, verdicts: Iterable[str]) -> None:
        """Count the verdicts of one document's signatures."""
        for verdict in verdicts:
            self.signature_verdicts.labels(verdict).inc()

    def webhook_attempt(self, ok: bool) -> None:
        """Count one webhook delivery attempt."""
        self.webhook_attempts.labels("ok" if ok else "failed").inc()

    def operation_label(self, name: str | None) -> str:
        """``name`` as a label value: ``anonymous``, itself, or ``other`` past the cap."""
        if not name:
            return ANONYMOUS
        if not _OPERATION_NAME.match(name):
            return OTHER
        with self._names_lock:
            if name in self._names:
                return name
            if len(self._names) >= MAX_OPERATION_NAMES:
                return OTHER
            self._names.add(name)
            return name

    def refused(self, code: object) -> None:
        """Count one refusal; a code that is not one of ours counts as ``other``."""
        label = code if isinstance(code, str) and _CODE.match(code) else OTHER
        self.graphql_refusals.labels(label).inc()


class StateCollector(Collector):
    """Gauges of shared state, read from the vitals port at scrape time."""

    def __init__(self, read: Callable[[], Vitals], now: Callable[[], datetime]) -> None:
        self._read = read
        self._now = now

    def collect(self) -> Iterator[Metric]:
        vitals, now = self._read(), self._now()
        yield _labelled("archive_jobs", "Jobs in the queue, by state.", "state", vitals.jobs.items())
        oldest = vitals.oldest_pending_at
        yield GaugeMetricFamily(
            "archive_oldest_pending_job_age_seconds",
            "Age of the oldest pending job (0 when none is pending).",
            value=0.0 if oldest is None else max(0.0, (now - oldest).total_seconds()),
        )
        yield _labelled(
            "archive_disposition_items",
            "Records of disposition batches, by purge state.",
            "state",
            vitals.disposition_items.items(),
        )
        fixity = GaugeMetricFamily(
            "archive_fixity_mismatches",
            "Objects the latest finished fixity run found changed or missing.",
            labels=["kind"],
        )
        fixity.add_metric(["changed"], vitals.fixity_changed)
        fixity.add_metric(["missing"], vitals.fixity_missing)
        yield fixity
        backup = vitals.last_backup_at
        yield GaugeMetricFamily(
            "archive_last_backup_timestamp_seconds",
            "Unix time of the last successful backup (its backup.run audit entry); 0: never.",
            value=0.0 if backup is None else backup.timestamp(),
        )


def _labelled(name: str, doc: str, label: str, values: Iterable[tuple[object, int]]) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, doc, labels=[label])
    for key, count in values:
        family.add_metric([str(getattr(key, "value", key))], count)
    return family


class TransferDeadlineCollector(Collector):
    """Permanent dossiers due for transfer to the historical archive within the warning
    period (or overdue), per agency, read at scrape time."""

    def __init__(self, read: Callable[[], dict[str, int]]) -> None:
        self._read = read

    def collect(self) -> Iterator[Metric]:
        yield _labelled(
            "archive_transfer_due_dossiers",
            "Permanent dossiers whose transfer deadline is within 30 days or past, by agency.",
            "agency",
            sorted(self._read().items()),
        )


def render(metrics: Metrics, state: Collector, *more: Collector) -> bytes:
    """The scrape body (text format 0.0.4). Blocking: ``state`` reads the vitals port."""
    registry = CollectorRegistry(auto_describe=False)
    directory = os.environ.get(MULTIPROC_ENV)
    if directory:
        # Every process's counters, this one's included: the instruments write to files there.
        MultiProcessCollector(registry, path=directory)  # type: ignore[no-untyped-call]
    else:
        registry.register(metrics.registry)
    registry.register(state)
    for collector in more:
        registry.register(collector)
    return generate_latest(registry)
