"""Configuration, read from ``ARCHIVE_*`` environment variables (and ``.env``).

Built by the app factory and the CLI, never at import time. With no
configuration at all the service runs on the embedded defaults: a SQLite
database, a blob directory and a SQLite FTS5 index under ``./archive-data``.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import re
from pathlib import Path

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from archive.auth.claims import parse_role_map
from archive.domain.council import MAJORITY, NO_QUORUM, Quorum, parse_quorum
from archive.domain.errors import MetadataInvalid
from archive.domain.package_checks import PackageLimits
from archive.domain.ports import RetentionMode
from archive.domain.trusted_documents import TrustedDocumentsMode
from archive.domain.webhooks import TargetPolicy

_ORIGIN = re.compile(r"https?://[A-Za-z0-9.\-]+(:[0-9]{1,5})?|https?://\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?")
_DEV_SECRET = "dev-only-not-secret"  # noqa: S105 - refused outside development


class Mode(enum.Enum):
    DEVELOPMENT = "development"
    PRODUCTION = "production"


class Settings(BaseSettings):
    """Every setting has a safe default for a local, single-machine run."""

    model_config = SettingsConfigDict(env_prefix="ARCHIVE_", env_file=".env", extra="ignore")

    mode: Mode = Mode.DEVELOPMENT
    data_dir: Path = Path("archive-data")
    secret_key: SecretStr = SecretStr(_DEV_SECRET)

    # Metadata database. Empty: SQLite file in data_dir.
    database_url: str = ""

    # Blob store: "local" (a directory in data_dir) or "s3".
    blob_backend: str = Field(default="local", pattern="^(local|s3)$")
    s3_endpoint: str = ""  # host:port
    s3_access_key: str = ""
    s3_secret_key: SecretStr = SecretStr("")
    s3_bucket: str = "records"
    s3_region: str = "us-east-1"
    s3_secure: bool = True
    s3_ca_file: Path | None = None  # trust this CA (self-signed test server)
    retention_mode: RetentionMode = RetentionMode.GOVERNANCE
    # Disposition: the two-person rule (a batch's approver must be someone other than its
    # planner). Unset: on in production, off in development, where one person plays
    # every role on a local machine. Set it to false in production only deliberately.
    retention_separate_approver: bool | None = None
    # Disposition: the appraisal council's quorum (Circular 06/2025), see
    # archive.domain.council.parse_quorum: "3" approvals, a share "2/3" or "0.5",
    # "majority", or "0" for no council. Unset: majority in production, no council in
    # development (like the two-person rule).
    destruction_quorum: str | None = None
    # Transfer to the historical archive: years a permanent dossier may stay in the agency
    # archive (Law on Archives 33/2024/QH15: at most 5, or up to 30 where another law says so).
    transfer_deadline_years: int = Field(default=5, ge=1, le=30)

    # Search index: "sqlite" (FTS5 in data_dir) or "elasticsearch".
    search_backend: str = Field(default="sqlite", pattern="^(sqlite|elasticsearch)$")
    elasticsearch_url: str = ""
    elasticsearch_index: str = "records"

    # Deposits and downloads.
    max_upload_bytes: int = 200 * 1024 * 1024  # per file
    # Per record, over all its files (archive.domain.files): the main file, appendices,
    # attachments and source package of one deposit, and the multipart body carrying them.
    max_record_bytes: int = Field(default=400 * 1024 * 1024, ge=1024)
    max_record_files: int = Field(default=50, ge=1, le=500)
    download_url_ttl_seconds: int = Field(default=300, ge=5, le=86400)
    # Thumbnail links: the same link for every request in a window of this length, so
    # browsers and caches keep the image; a link lives one to two windows.
    preview_url_ttl_seconds: int = Field(default=600, ge=5, le=86400)
    public_base_url: str = ""  # where clients reach this service; empty: the request's own base URL

    # Transfer packages received from other systems (`archive transfer import`): beyond any
    # of these a zip is refused as a bomb before (or, when its headers lie, while) it unpacks.
    package_max_entries: int = Field(default=20_000, ge=1)
    package_max_entry_bytes: int = Field(default=4 * 1024**3, ge=1)
    package_max_total_bytes: int = Field(default=32 * 1024**3, ge=1)
    package_max_ratio: int = Field(default=200, ge=2)  # inflated ÷ compressed, per entry over 1 MiB

    # Extraction and OCR, each document in a sandboxed subprocess.
    extract_memory_mb: int = Field(default=1536, ge=256)
    extract_cpu_seconds: int = Field(default=600, ge=5)
    extract_wall_seconds: int = Field(default=900, ge=5)
    extract_max_pages: int = Field(default=1000, ge=1)
    ocr_enabled: bool = True
    ocr_languages: str = "vie+eng"

    # Signature verification, offline: the CA certificates (PEM or DER) signatures
    # must chain to. Empty: <data_dir>/trust-roots; a missing or empty directory
    # trusts nothing, so every intact signature reads UNTRUSTED.
    trust_roots_dir: Path | None = None

    # edXML intake (QCVN 102:2016): the largest package taken in, and where the
    # interchange's status packages (received, accepted, refused) are written for the
    # gateway to return; unset: no acknowledgements.
    edxml_max_package_bytes: int = Field(default=200 * 1024 * 1024, ge=1024)
    edxml_outbox_dir: Path | None = None

    # Worker.
    worker_lease_seconds: int = Field(default=900, ge=10)
    worker_poll_seconds: float = Field(default=1.0, gt=0)
    job_max_attempts: int = Field(default=5, ge=1)
    # While a backing service is down the worker retries every database call and
    # gives jobs back, waiting base, 2*base, 4*base ... seconds (jittered) up to the cap.
    worker_retry_base_seconds: float = Field(default=0.5, gt=0)
    worker_retry_cap_seconds: float = Field(default=5.0, gt=0)
    # `archive serve` also processes jobs in the background; turn it off where separate
    # `archive worker` processes run.
    embedded_worker: bool = True
    # Test-only: the process calls os._exit(70) right after this step's work is
    # committed (upload, commit: in the deposit; seal, verify, extract, index: in the
    # worker), before the step is recorded. Refused in production mode.
    crash_after_step: str = Field(
        default="", pattern="^(|upload|commit|seal|verify|extract|index|processed)$"
    )

    # Operations: probes, metrics, logs (README, "Operations").
    # Every worker writes a heartbeat this often; /readyz wants one no older than the window.
    worker_heartbeat_seconds: float = Field(default=5.0, gt=0)
    ready_heartbeat_window_seconds: float = Field(default=30.0, gt=0)
    ready_check_timeout_seconds: float = Field(default=3.0, gt=0)  # per /readyz check
    # /metrics is served only when this is set, and only to `Authorization: Bearer <token>`.
    metrics_token: SecretStr = SecretStr("")
    # One JSON object per line, or plain text; empty: json in production, text in development.
    log_format: str = Field(default="", pattern="^(|json|text)$")
    log_level: str = Field(default="INFO", pattern="^(DEBUG|INFO|WARNING|ERROR)$")

    # Identity. In development, requests without credentials act as a local admin
    # unless this is set to false; production refuses to enable it.
    dev_local_admin: bool | None = None
    # Requests without credentials read public records only; false answers them 401.
    anonymous_access: bool = True
    # OIDC bearer tokens: off unless an issuer is set. One of the PEM file and the JWKS URL.
    oidc_issuer: str = ""
    oidc_audience: str = ""
    oidc_algorithms: str = "RS256,ES256"  # comma-separated, asymmetric only
    oidc_public_key_file: Path | None = None
    oidc_jwks_url: str = ""
    oidc_roles_claim: str = "roles"  # dotted path, e.g. realm_access.roles
    oidc_agencies_claim: str = "agencies"
    oidc_clearance_claim: str = "clearance"
    oidc_role_map: str = ""  # ext=role,ext2=role2 on top of our own role names

    # Audit. The key that seals the audit chain's head (HMAC), kept outside the database;
    # empty: derived from secret_key under its own label. Refused credentials are counted
    # per client address and reason, one audit entry per window (see services/refusals.py).
    audit_key: SecretStr = SecretStr("")
    audit_refusal_window_seconds: int = Field(default=60, ge=1, le=86400)

    # Backup (`archive backup --to s3://bucket/prefix`): the second, independent S3 server.
    # Empty endpoint: the deployment's own S3 server (still another bucket; a real second
    # copy belongs on another server). pg_bin_dir: where pg_dump/pg_restore are, when
    # they are not on PATH or in /usr/lib/postgresql/<newest>/bin.
    backup_s3_endpoint: str = ""
    backup_s3_access_key: str = ""
    backup_s3_secret_key: SecretStr = SecretStr("")
    backup_s3_region: str = "us-east-1"
    backup_s3_secure: bool = True
    backup_s3_ca_file: Path | None = None
    pg_bin_dir: Path | None = None

    # Browsers on other origins (portals): the origins CORS allows, comma-separated
    # (https://portal.example.gov.vn). Empty: none. Credentials travel in headers
    # (Authorization, X-API-Key), never cookies, so credentialed CORS is never granted.
    cors_origins: str = ""
    # Trusted documents (persisted operations, `archive operations load`): off (no ids),
    # allowed (ids or text, anything runs), required (anonymous callers and API keys run
    # listed documents only; admins and bearer-token users run anything).
    trusted_documents: TrustedDocumentsMode = TrustedDocumentsMode.OFF
    # Rate limits (archive/domain/rate_limits.py): a token bucket of query cost per
    # credential, refilled at this many units a minute; 0: off. Anonymous callers get
    # one bucket per client address, at their own rate (unset: the same). The burst
    # is a bucket's size (0: one minute's worth). Each web worker keeps its own buckets.
    rate_limit_cost_per_minute: int = Field(default=0, ge=0, le=100_000_000)
    rate_limit_anonymous_cost_per_minute: int | None = Field(default=None, ge=0, le=100_000_000)
    rate_limit_burst: int = Field(default=0, ge=0, le=100_000_000)
    # Webhooks (archive/services/webhooks.py), delivered by the worker: attempts before a
    # delivery is parked, the HTTP timeout, the retry backoff (exponential, jittered), how
    # often the worker looks for new events, and the target networks. Link-local
    # (cloud metadata), loopback, multicast and reserved addresses are refused unless
    # listed in ALLOW_NETWORKS (CIDRs, comma-separated); DENY_NETWORKS are refused always.
    webhook_max_attempts: int = Field(default=8, ge=1, le=50)
    webhook_timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    webhook_retry_base_seconds: float = Field(default=30.0, gt=0, le=86400)
    webhook_retry_cap_seconds: float = Field(default=3600.0, gt=0, le=7 * 86400)
    webhook_poll_seconds: float = Field(default=1.0, gt=0, le=3600)
    webhook_allow_networks: str = ""
    webhook_deny_networks: str = ""
    # The code of this archive (mã lưu trữ): prefixes a dossier's arcFileCode (Circular
    # 05/2025); empty: arcFileCode is null.
    archive_code: str = Field(default="", max_length=40)
    # Format identification (PRONOM, for PREMIS in AIPs): the Python of fido's own
    # virtualenv, which scripts/provision makes. Empty: <cache>/fido-venv/bin/python,
    # the cache being ARCHIVE_CACHE_DIR (what scripts/provision uses) or
    # ~/.cache/records-archive.
    fido_python: Path | None = None
    cache_dir: Path | None = None

    # GraphQL surface.
    max_page_size: int = Field(default=100, ge=1, le=1000)
    max_json_bytes: int = Field(default=1024 * 1024, ge=1024)  # body of a JSON POST
    max_query_depth: int = Field(default=10, ge=2, le=50)
    max_query_tokens: int = Field(default=2000, ge=100)
    max_query_aliases: int = Field(default=30, ge=1)
    # Estimated cost of one operation (archive/api/cost.py): page size x per-node cost.
    max_query_cost: int = Field(default=10_000, ge=100, le=10_000_000)

    @property
    def package_limits(self) -> PackageLimits:
        """How much a received transfer package may unpack to."""
        return PackageLimits(
            max_entries=self.package_max_entries,
            max_entry_bytes=self.package_max_entry_bytes,
            max_total_bytes=self.package_max_total_bytes,
            max_ratio=self.package_max_ratio,
        )

    @property
    def is_production(self) -> bool:
        return self.mode is Mode.PRODUCTION

    @property
    def two_person_rule(self) -> bool:
        """Whether disposition needs an approver other than the planner (the effective setting)."""
        if self.retention_separate_approver is not None:
            return self.retention_separate_approver
        return self.is_production

    def describe_two_person_rule(self) -> str:
        """The start-up line that says which rule is in force, and why."""
        state = "on" if self.two_person_rule else "OFF"
        source = (
            "ARCHIVE_RETENTION_SEPARATE_APPROVER"
            if self.retention_separate_approver is not None
            else f"{self.mode.value} default"
        )
        return f"disposition two-person rule {state} ({source})"

    @property
    def dev_admin_enabled(self) -> bool:
        return not self.is_production and self.dev_local_admin is not False

    @property
    def oidc_enabled(self) -> bool:
        return bool(self.oidc_issuer)

    @property
    def audit_mac_key(self) -> bytes:
        """The audit head's MAC key: ``audit_key``, or one derived from ``secret_key``."""
        explicit = self.audit_key.get_secret_value()
        if explicit:
            return explicit.encode("utf-8")
        secret = self.secret_key.get_secret_value().encode("utf-8")
        return hmac.new(secret, b"archive audit head key v1", hashlib.sha256).digest()

    @property
    def resolved_anonymous_rate_per_minute(self) -> int:
        if self.rate_limit_anonymous_cost_per_minute is None:
            return self.rate_limit_cost_per_minute
        return self.rate_limit_anonymous_cost_per_minute

    @property
    def webhook_target_policy(self) -> TargetPolicy:
        return TargetPolicy.parse(self.webhook_allow_networks, self.webhook_deny_networks)

    @field_validator("webhook_allow_networks", "webhook_deny_networks")
    @classmethod
    def _networks_parse(cls, value: str) -> str:
        try:
            TargetPolicy.parse(value, "")
        except ValueError as error:
            raise ValueError(f"not a comma-separated list of networks (CIDR): {error}") from None
        return value

    @property
    def cors_origin_list(self) -> tuple[str, ...]:
        return tuple(o.strip().rstrip("/") for o in self.cors_origins.split(",") if o.strip())

    @field_validator("cors_origins")
    @classmethod
    def _origins_parse(cls, value: str) -> str:
        for origin in (o.strip().rstrip("/") for o in value.split(",") if o.strip()):
            if origin != "*" and not _ORIGIN.fullmatch(origin):
                raise ValueError(
                    f"ARCHIVE_CORS_ORIGINS: {origin!r} is not an origin like https://host[:port]"
                )
        return value

    @property
    def oidc_algorithm_list(self) -> tuple[str, ...]:
        return tuple(a.strip() for a in self.oidc_algorithms.split(",") if a.strip())

    @field_validator("oidc_role_map")
    @classmethod
    def _role_map_parses(cls, value: str) -> str:
        parse_role_map(value)  # refuse a typo at start-up, not at the first login
        return value

    @property
    def metrics_enabled(self) -> bool:
        return bool(self.metrics_token.get_secret_value())

    @property
    def resolved_log_format(self) -> str:
        return self.log_format or ("json" if self.is_production else "text")

    @property
    def quorum(self) -> Quorum:
        """The appraisal council's quorum in force (the effective setting)."""
        if self.destruction_quorum is not None:
            return parse_quorum(self.destruction_quorum)
        return MAJORITY if self.is_production else NO_QUORUM

    def describe_quorum(self) -> str:
        """The start-up line that says which council quorum is in force, and why."""
        source = (
            "ARCHIVE_DESTRUCTION_QUORUM"
            if self.destruction_quorum is not None
            else f"{self.mode.value} default"
        )
        return f"destruction council quorum {self.quorum.describe()} ({source})"

    @field_validator("destruction_quorum")
    @classmethod
    def _quorum_parses(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                parse_quorum(value)
            except MetadataInvalid as exc:
                raise ValueError(exc.message) from exc
        return value

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'archive.db'}"

    @property
    def blob_dir(self) -> Path:
        return self.data_dir / "blobs"

    @property
    def search_db_path(self) -> Path:
        return self.data_dir / "search.db"

    @property
    def resolved_fido_python(self) -> Path:
        if self.fido_python is not None:
            return self.fido_python
        cache = self.cache_dir or Path.home() / ".cache" / "records-archive"
        return cache / "fido-venv" / "bin" / "python"

    @property
    def resolved_trust_roots_dir(self) -> Path:
        return self.trust_roots_dir or self.data_dir / "trust-roots"

    @model_validator(mode="after")
    def _oidc_complete(self) -> Settings:
        if not self.oidc_enabled:
            return self
        if not self.oidc_audience:
            raise ValueError("ARCHIVE_OIDC_AUDIENCE is required with ARCHIVE_OIDC_ISSUER")
        if (self.oidc_public_key_file is None) == (not self.oidc_jwks_url):
            raise ValueError("set exactly one of ARCHIVE_OIDC_PUBLIC_KEY_FILE and ARCHIVE_OIDC_JWKS_URL")
        return self

    @model_validator(mode="after")
    def _no_open_cors_for_the_dev_admin(self) -> Settings:
        # Any page could then post as the local admin: the X-Archive-Request header only
        # stops cross-site forms because no preflight is granted to unknown origins.
        if "*" in self.cors_origin_list and self.dev_admin_enabled:
            raise ValueError(
                "ARCHIVE_CORS_ORIGINS=* needs ARCHIVE_DEV_LOCAL_ADMIN=false (or production mode)"
            )
        return self

    @model_validator(mode="after")
    def _refuse_unsafe_production(self) -> Settings:
        if not self.is_production:
            return self
        if self.crash_after_step:
            raise ValueError("ARCHIVE_CRASH_AFTER_STEP is a test hook; it cannot be set in production mode")
        if self.dev_local_admin:
            raise ValueError("ARCHIVE_DEV_LOCAL_ADMIN cannot be enabled in production mode")
        if self.secret_key.get_secret_value() in (_DEV_SECRET, "", "changethis"):
            raise ValueError("ARCHIVE_SECRET_KEY must be set to a real secret in production mode")
        if len(self.secret_key.get_secret_value()) < 32:
            raise ValueError("ARCHIVE_SECRET_KEY must be at least 32 characters in production mode")
        if self.metrics_enabled and len(self.metrics_token.get_secret_value()) < 24:
            raise ValueError("ARCHIVE_METRICS_TOKEN must be at least 24 characters in production mode")
        return self
