"""Errors the domain raises on purpose.

Each carries a stable ``code`` that the API puts in ``extensions.code``::

    ArchiveError                      ARCHIVE_ERROR
    ├── MetadataInvalid               VALIDATION      (names the field)
    ├── FileRejected                  FILE_REJECTED   (not a PDF, corrupt, encrypted, empty)
    │   └── FileTooLarge              FILE_TOO_LARGE
    ├── PackageRefused                PACKAGE_REFUSED (an edXML package; names the part)
    ├── DuplicateRecord               DUPLICATE       (same SHA-256 already archived)
    ├── NotFound                      NOT_FOUND       (also what a forbidden record looks like)
    ├── Forbidden                     FORBIDDEN       (a write, or the audit log, the caller may not use)
    ├── InvalidCursor                 INVALID_CURSOR
    ├── InvalidQuery                  INVALID_QUERY
    ├── StaleWrite                    STALE_WRITE     (an older row version than the index has)
    ├── VersionConflict               VERSION_CONFLICT (a correction made against an older version)
    ├── IntegrityError                INTEGRITY       (stored bytes no longer match their SHA-256)
    ├── ObjectLocked                  OBJECT_LOCKED   (storage refused: retention or legal hold)
    ├── RetentionConflict             RETENTION_CONFLICT (a disposal date before the object's lock)
    ├── DispositionRefused            DISPOSITION_REFUSED (wrong batch state, same planner and approver)
    ├── RequestDecided                REQUEST_DECIDED (a reader's request was approved or refused already)
    └── ServiceUnavailable            SERVICE_UNAVAILABLE (misconfigured, or an identity provider down)
        └── Outage                    (a backing service stopped answering: transient, retried)
            ├── DatabaseUnavailable   DATABASE_UNAVAILABLE
            ├── StorageUnavailable    STORAGE_UNAVAILABLE
            └── SearchUnavailable     SEARCH_UNAVAILABLE

An ``Outage`` is what adapters raise when their server is down or unreachable:
the API answers it with HTTP 503, and the worker waits for the service to come
back instead of spending the job's attempts on it.
"""

from __future__ import annotations


class ArchiveError(Exception):
    """Base of every error the service raises on purpose."""

    code = "ARCHIVE_ERROR"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class MetadataInvalid(ArchiveError):
    """A metadata field is missing or has a value the archive refuses."""

    code = "VALIDATION"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.reason = message


class FileRejected(ArchiveError):
    """The uploaded file cannot be archived (not a PDF, corrupt, encrypted, empty)."""

    code = "FILE_REJECTED"


class FileTooLarge(FileRejected):
    """The upload is larger than the configured limit."""

    code = "FILE_TOO_LARGE"


class PackageRefused(ArchiveError):
    """An interchange package (edXML) the archive will not take, and which part is at fault.

    ``part`` names where the fault is (``xml``, ``root``, ``MessageHeader/From/OrganId``,
    ``attachment cid:2``, ``Signature``, ``package``); nothing of the package is written.
    """

    code = "PACKAGE_REFUSED"

    def __init__(self, part: str, message: str) -> None:
        super().__init__(f"{part}: {message}")
        self.part = part
        self.reason = message


class DuplicateRecord(ArchiveError):
    """A record with the same SHA-256 already exists."""

    code = "DUPLICATE"

    def __init__(self, sha256: str, existing_id: str) -> None:
        super().__init__(f"a record with SHA-256 {sha256} already exists")
        self.sha256 = sha256
        self.existing_id = existing_id


class NotFound(ArchiveError):
    """No such record, or one the caller may not read: the two look the same."""

    code = "NOT_FOUND"


class Forbidden(ArchiveError):
    """The caller may not do this: a write outside its agencies or roles, or an admin-only read.

    Only raised once the caller may read the target (or when there is no target):
    a record it may not read answers NotFound instead, so nothing leaks.
    """

    code = "FORBIDDEN"


class InvalidCursor(ArchiveError):
    """A pagination cursor that this service did not issue, or that was altered."""

    code = "INVALID_CURSOR"


class InvalidQuery(ArchiveError):
    """A search query or filter the engine cannot run."""

    code = "INVALID_QUERY"


class StaleWrite(ArchiveError):
    """An index write older than the version already indexed; refused, harmless."""

    code = "STALE_WRITE"


class VersionConflict(ArchiveError):
    """A correction was made against a metadata version that is no longer the current one:
    someone corrected the record in between, and overwriting it would lose that change."""

    code = "VERSION_CONFLICT"


class IntegrityError(ArchiveError):
    """Stored bytes no longer match the SHA-256 recorded at deposit."""

    code = "INTEGRITY"


class ObjectLocked(ArchiveError):
    """Storage refused to delete or overwrite a version under retention or legal hold."""

    code = "OBJECT_LOCKED"


class RetentionConflict(ArchiveError):
    """A rule change would move a disposal date before the Object Lock retention
    already set on a record's object; storage could never honour it."""

    code = "RETENTION_CONFLICT"

    def __init__(self, message: str, record_ids: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.record_ids = record_ids


class DispositionRefused(ArchiveError):
    """A disposition step that the batch's state or the approval rules forbid."""

    code = "DISPOSITION_REFUSED"


class RequestDecided(ArchiveError):
    """A reader's request for copies was decided already; a decision is never changed."""

    code = "REQUEST_DECIDED"


class TooManyJobs(ArchiveError):
    """The caller already has as many jobs running as it may."""

    code = "TOO_MANY_JOBS"


class ServiceUnavailable(ArchiveError):
    """A backing service (database, blob store, search index) did not answer."""

    code = "SERVICE_UNAVAILABLE"


class Outage(ServiceUnavailable):
    """A backing service did not answer: it is down, restarting or unreachable.

    Transient by nature, so nobody's fault: the worker retries without counting
    it against the job, and the API answers 503. ``service`` names what is down.
    """

    service = "service"


class DatabaseUnavailable(Outage):
    """The metadata database refused or dropped the connection."""

    code = "DATABASE_UNAVAILABLE"
    service = "database"


class StorageUnavailable(Outage):
    """The blob store (S3 server or its network) did not answer."""

    code = "STORAGE_UNAVAILABLE"
    service = "blob_store"


class SearchUnavailable(Outage):
    """The search engine did not answer."""

    code = "SEARCH_UNAVAILABLE"
    service = "search_index"
