"""Import a transfer package received from another system (a TT05 SIP_hoso), or only check it.

Check -> act -> audit, all here:

1. **Check.** The package reader unpacks it under limits and runs every check (zip,
   paths, XML, METS references with SIZE and SHA-256, schemas); then its descriptions
   must make a valid dossier and valid records by the archive's own rules. Any failure
   refuses the package whole (``PackageInvalid`` listing every failure); nothing is stored.
2. **Policy.** ``can_import_package``: an admin or a records manager of the package's
   agency whose clearance covers every record in it.
3. **Idempotence.** The package's fonds (by code) and dossier (by file code in it) are
   looked up: a dossier that already holds exactly these documents (ordinal and SHA-256)
   makes the import a no-op, whatever the zip's bytes or OBJID (a re-export gets a new
   OBJID); a dossier of that code with other documents refuses the package.
4. **Act.** Each document's bytes go to the blob store (hashed again on the way), then ONE
   transaction writes the fonds (when new), the dossier and every record with its
   processing job, so the worker seals, verifies signatures, extracts and indexes them
   like deposits. A failure anywhere deletes the objects stored so far: no record, no
   dossier, no object is left behind.
5. **Audit.** One ``transfer.import`` entry per attempt, its outcome and the record ids.
"""

from __future__ import annotations

import contextlib
import hashlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path, PurePosixPath
from typing import BinaryIO, cast

from archive.domain import tt05
from archive.domain.access import UNRESTRICTED, Principal, ReadScope, can_import_package
from archive.domain.archival import Dossier, Fonds, validate_dossier, validate_fonds
from archive.domain.audit import COUNT_DETAIL, IDS_DETAIL, DetailValue, Outcome
from archive.domain.errors import ArchiveError, DuplicateRecord, Forbidden, IntegrityError, MetadataInvalid
from archive.domain.package_checks import METADATA, PROFILE, Failure, PackageInvalid
from archive.domain.package_import import (
    DescribedDocument,
    PackageContents,
    classification_of,
    contents_failures,
    dossier_of,
    metadata_of,
    ordinal_of,
)
from archive.domain.ports.package_reader import OpenedPackage, PackageReader, PackageReport
from archive.domain.records import Record, StoredFile, TextStatus, validate_metadata
from archive.services import audit, retention
from archive.services.container import Services
from archive.services.deposit import spool, storage_key
from indexing.extraction.inspection import inspect_document

ACTION = "transfer.import"
Progress = Callable[[int, int], None]
"""Told (documents stored, documents in the package) as an import goes."""
IMPORTED_STATUSES = frozenset({"NEW"})  # SUPPLEMENT and REPLACEMENT are not imported yet


@dataclass(frozen=True, slots=True)
class ImportResult:
    """What an import did: the dossier and records (new, or those already imported)."""

    objid: str
    fonds_id: str
    dossier_id: str
    record_ids: tuple[str, ...]
    created: bool  # False: the dossier was already here with these documents; nothing changed


def check_package(services: Services, path: Path) -> PackageReport:
    """Every check an import would make before storing anything, on the caller's own file:
    the report lists each failure (empty: it would be accepted, permissions aside). Blocking."""
    return inspect_package(services.package_reader, path, today=services.clock().date())


def inspect_package(reader: PackageReader, path: Path, *, today: date) -> PackageReport:
    """``check_package`` with a reader alone: no database, no storage (``archive transfer check``)."""
    try:
        with reader.open(path) as opened:
            try:
                _contents(opened, today)
            except PackageInvalid as exc:
                return replace(opened.report, failures=exc.failures)
            return opened.report
    except PackageInvalid as exc:  # the zip itself was refused: nothing was unpacked
        empty = PackageReport(objid="", package_type="", record_status="", profile="", failures=(), files=0)
        return replace(empty, failures=exc.failures)


def import_package(
    services: Services,
    principal: Principal,
    path: Path,
    *,
    client: str = "",
    progress: Progress | None = None,
) -> ImportResult:
    """Import the SIP_hoso at ``path`` for ``principal``; ``progress(done, total)`` is called as
    each document's bytes are stored. Blocking.

    Raises:
        PackageInvalid: a check failed (``failures`` lists them all); nothing stored.
        FileRejected: a document is not a PDF the archive can keep (encrypted, corrupt).
        DuplicateRecord: a deposit of the same bytes won a race with the import.
        Forbidden: the caller may not import into the package's agency, or the package
            holds records above its clearance (which ones is not said).
    """
    target = f"package:{path.name}"[:200]
    try:
        with services.package_reader.open(path) as opened:
            contents = _contents(opened, services.clock().date())
            target = f"package:{contents.objid}"
            _authorise(principal, contents)
            result = _existing(services, principal, contents) or _stored_or_raced(
                services, principal, opened, contents, progress
            )
    except Forbidden as exc:
        audit.append_for(services, principal, ACTION, target, Outcome.DENIED, {"code": exc.code}, client)
        raise
    except ArchiveError as exc:  # PackageInvalid included; nothing was stored
        details: dict[str, DetailValue] = {"code": exc.code}
        if isinstance(exc, PackageInvalid):
            details["failures"] = len(exc.failures)
        audit.append_for(services, principal, ACTION, target, Outcome.ERROR, details, client)
        raise
    ids = ",".join(result.record_ids)
    details = {"objid": result.objid, IDS_DETAIL: ids, COUNT_DETAIL: len(result.record_ids)}
    details["created"] = result.created
    audit.append_for(services, principal, ACTION, result.dossier_id, Outcome.OK, details, client)
    return result


def import_uploaded_package(
    services: Services, principal: Principal, source: BinaryIO, *, client: str = ""
) -> ImportResult:
    """``import_package`` for an upload (GraphQL): the body is spooled to a private file first,
    within the upload limit, then imported; the file is removed after. Blocking."""
    limit = services.settings.max_upload_bytes
    with spool(source, services.settings.data_dir / "tmp", max_bytes=limit) as spooled:
        return import_package(services, principal, spooled.path, client=client)


def _contents(opened: OpenedPackage, today: date) -> PackageContents:
    """The package's contents once every check passed; PackageInvalid listing every failure:
    the reader's, then (where the descriptions can be read at all) the archive's own."""
    failures = list(opened.report.failures)
    try:
        contents = opened.contents()
    except PackageInvalid as exc:
        raise PackageInvalid(failures + [f for f in exc.failures if f not in failures]) from exc
    failures += _kind_failures(opened.report, contents)
    if contents.root == tt05.DOSSIER_ROOT:  # a batch is refused whole by kind: no dossier to check
        failures += contents_failures(contents, today=today)
    if failures:
        raise PackageInvalid(failures)
    return contents


def _kind_failures(report: PackageReport, contents: PackageContents) -> list[Failure]:
    part = f"{report.objid}/METS.xml"
    failures = []
    if report.package_type != "SIP":
        failures.append(Failure(PROFILE, part, f"is a {report.package_type}; only a SIP is imported"))
    if contents.root != tt05.DOSSIER_ROOT:
        problem = "describes loose documents (SIP_tailieu); only dossier packages (SIP_hoso) are imported"
        failures.append(Failure(PROFILE, contents.description_part, problem))
    if report.record_status not in IMPORTED_STATUSES:
        problem = f"RECORDSTATUS {report.record_status} is not imported; send the package as NEW"
        failures.append(Failure(PROFILE, f"{part}: metsHdr/@RECORDSTATUS", problem))
    return failures


def _authorise(principal: Principal, contents: PackageContents) -> None:
    levels = [classification_of(contents.description.get("mode"))]
    levels += [classification_of(d.fields.get("mode")) for d in contents.documents]
    if not can_import_package(principal, contents.agency_code, levels):
        raise Forbidden(
            "importing this package needs the records_manager role for its agency (or admin) "
            "and a clearance covering every record in it"
        )


# -- idempotence ------------------------------------------------------------------------------


def _existing(services: Services, principal: Principal, contents: PackageContents) -> ImportResult | None:
    """The earlier import of this package's dossier, or None when there is none; PackageInvalid
    when the fonds or dossier code is taken by something else."""
    fonds = services.archival.fonds_by_code(contents.fonds_code)
    if fonds is None:
        return None
    part = contents.description_part
    if fonds.agency_code != contents.agency_code:
        problem = f"fonds {contents.fonds_code} belongs to another agency in this archive"
        raise PackageInvalid([Failure(METADATA, f"{part}: organId", problem)])
    file_code = str(contents.description.get("file_code") or "")
    dossier = services.archival.dossier_by_code(fonds.id, file_code, UNRESTRICTED)
    if dossier is None:
        return None
    held = services.records.get_many(services.archival.member_ids(dossier.id), UNRESTRICTED, with_pages=False)
    stored = {r.doc_ordinal: r.file.sha256 for r in held.values()}
    wanted = {ordinal_of(d, i): d.file.sha256 for i, d in enumerate(contents.documents, start=1)}
    if stored != wanted or services.archival.dossier(dossier.id, ReadScope.for_principal(principal)) is None:
        problem = f"dossier {file_code} already exists in fonds {fonds.code} with other documents"
        raise PackageInvalid([Failure(METADATA, f"{part}: fileCode", problem)])
    ordered = sorted(held.values(), key=lambda r: r.doc_ordinal or 0)
    return ImportResult(contents.objid, fonds.id, dossier.id, tuple(r.id for r in ordered), created=False)


# -- storing ----------------------------------------------------------------------------------


def _stored_or_raced(
    services: Services,
    principal: Principal,
    opened: OpenedPackage,
    contents: PackageContents,
    progress: Progress | None,
) -> ImportResult:
    """``_store``; when a concurrent import of the same dossier committed first (the unique
    codes refuse this one, after its objects were removed), that import's result: importing
    twice at once is as idempotent as importing twice in a row."""
    try:
        return _store(services, opened, contents, progress)
    except (MetadataInvalid, DuplicateRecord):
        raced = _existing(services, principal, contents)
        if raced is None:
            raise
        return raced


def _store(
    services: Services, opened: OpenedPackage, contents: PackageContents, progress: Progress | None
) -> ImportResult:
    now = services.clock()
    fonds = services.archival.fonds_by_code(contents.fonds_code)
    new_fonds = None if fonds is not None else _new_fonds(contents, now)
    fonds_id = fonds.id if fonds is not None else new_fonds.id  # type: ignore[union-attr]
    dossier = _new_dossier(contents, fonds_id, now)
    _refuse_duplicates(services, contents)
    stored: list[str] = []
    try:
        records = []
        for position, document in enumerate(contents.documents, start=1):
            records.append(_stored_record(services, opened, contents, document, position, dossier, stored))
            if progress is not None:
                progress(position, len(contents.documents))
        services.package_imports.commit_import(fonds=new_fonds, dossier=dossier, records=records)
    except BaseException:
        for key in stored:
            _discard_blob(services, key)
        raise
    retention.recompute_records(services, [r.id for r in records])
    return ImportResult(contents.objid, fonds_id, dossier.id, tuple(r.id for r in records), created=True)


def _new_fonds(contents: PackageContents, now: datetime) -> Fonds:
    """The fonds the package names, new here: its code, the submitting body's name."""
    code = contents.fonds_code
    name = contents.submitter or f"Phông lưu trữ {code}"
    return validate_fonds(
        Fonds(id=str(uuid.uuid4()), code=code, name=name, agency_code=contents.agency_code, created_at=now)
    )


def _new_dossier(contents: PackageContents, fonds_id: str, now: datetime) -> Dossier:
    draft = dossier_of(contents, fonds_id=fonds_id)
    return validate_dossier(replace(draft, id=str(uuid.uuid4()), created_at=now, updated_at=now))


def _refuse_duplicates(services: Services, contents: PackageContents) -> None:
    """A document whose bytes the agency already keeps at its level would break the record's
    unique rule at the commit; refuse the package now, before anything is uploaded."""
    failures = []
    for document in contents.documents:
        level = classification_of(document.fields.get("mode"))
        found = services.records.find_by_sha256(contents.agency_code, document.file.sha256, UNRESTRICTED)
        if found is not None and found.classification == level:
            problem = "the agency already keeps these bytes as another record; import refused"
            failures.append(Failure(METADATA, document.file.path, problem))
    if failures:
        raise PackageInvalid(failures)


def _stored_record(
    services: Services,
    opened: OpenedPackage,
    contents: PackageContents,
    document: DescribedDocument,
    position: int,
    dossier: Dossier,
    stored: list[str],
) -> Record:
    """Store one document's bytes (``stored`` collects the keys, for the clean-up) and
    return its record, not yet written."""
    now = services.clock()
    metadata = validate_metadata(metadata_of(document), today=now.date())
    local = opened.local_path(document.file.path)
    info = inspect_document(local)
    record_id = str(uuid.uuid4())
    key = storage_key(record_id)
    with local.open("rb") as handle:
        hashing = _Hashing(handle)
        stored.append(key)
        version = services.blobs.put(
            key,
            cast(BinaryIO, hashing),
            size=document.file.size,
            sha256=document.file.sha256,
            media_type=info.media_type,
        )
    if hashing.hexdigest() != document.file.sha256:
        raise IntegrityError(
            f"{document.file.path}: the bytes stored differ from the SHA-256 the METS states"
        )
    if info.page_count and not metadata.page_count:
        metadata = replace(metadata, page_count=info.page_count)
    return Record(
        id=record_id,
        agency_code=contents.agency_code,
        fonds_id=dossier.fonds_id,
        dossier_id=dossier.id,
        doc_ordinal=ordinal_of(document, position),
        metadata=metadata,
        file=StoredFile(
            storage_key=key,
            sha256=document.file.sha256,
            size=document.file.size,
            media_type=info.media_type,
            original_filename=PurePosixPath(document.file.path).name,
            version_id=version,
        ),
        created_at=now,
        updated_at=now,
        text_status=TextStatus.PENDING,
    )


class _Hashing:
    """A reader that hashes what passes through it: the bytes the store received are the
    bytes the package's METS vouches for."""

    def __init__(self, source: BinaryIO) -> None:
        self._source = source
        self._digest = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        chunk = self._source.read(size)
        self._digest.update(chunk)
        return chunk

    def hexdigest(self) -> str:
        return self._digest.hexdigest()


def _discard_blob(services: Services, key: str) -> None:
    # Not yet sealed (the worker seals after the commit), so the store lets it go; a failure
    # here leaves it to `archive reconcile`, which reports blobs without a row.
    with contextlib.suppress(ArchiveError):
        services.blobs.delete_all_versions(key)
