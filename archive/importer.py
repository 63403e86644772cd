"""``archive import DIR``: bulk deposit from a folder and a CSV or JSON manifest.

Idempotent by SHA-256: a file already archived for its agency is skipped, so an
interrupted import can simply be run again. A row's ``file`` is its main file; the
columns ``appendices``, ``attachments`` and ``source`` name its other files
(``a.pdf;b.pdf``, or a list in a JSON manifest), all stored with it or none.

An import acts as a principal, like any caller: the local operator
(``local:<os user>``) or an API key given with ``--api-key`` (see
``archive.cli_identity``). Each row goes through the same deposit service as a
GraphQL upload, which checks the principal (``can_write`` for the owning agency)
and audits every outcome as ``record.deposit`` (client ``{"via":"import"}``):
deposited, refused, a bad file, or a duplicate of an archived record.

Its jobs go to the workers already running; the import says whether any is (their
heartbeat is fresh, ``archive.services.handoff``). With ``--start-workers`` it starts
worker processes of its own before its first deposit, so they warm up while the
deposits go in and take each job as soon as it is queued; once the last row is in
they drain the queue and exit, and the import exits after them.
"""

from __future__ import annotations

import contextlib
import csv
import json
import random
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from archive.domain.access import Principal, ReadScope
from archive.domain.audit import DetailValue, Outcome
from archive.domain.errors import ArchiveError, DuplicateRecord, Forbidden, MetadataInvalid
from archive.domain.files import FileRole
from archive.domain.records import LANGUAGE_VIETNAMESE, Classification, Direction, RecordMetadata, Urgency
from archive.services import audit
from archive.services.container import Services
from archive.services.deposit import Upload, deposit
from archive.services.handoff import decide
from archive.settings import Settings

if TYPE_CHECKING:
    from archive.samples import SampleDocument
    from archive.worker_processes import WorkerPool

ACTION = "record.deposit"
CLIENT = '{"via":"import"}'
FIELDS = (
    "file", "document_type", "number", "notation", "issuing_agency_code", "issuing_agency_name",
    "issue_date", "subject", "signer_name", "signer_position", "direction", "issue_place",
    "recipients", "urgency", "classification", "language", "arrival_number", "arrival_date",
    "due_date", "is_public", "retention_code", "agency_code", "type_name", "mode", "keyword",
    "infor_sign", "autograph", "format", "process", "description", "issued_amount",
    "appendices", "attachments", "source",
)  # fmt: skip
FILE_COLUMNS = {
    "appendices": FileRole.APPENDIX,
    "attachments": FileRole.ATTACHMENT,
    "source": FileRole.SOURCE,
}
"""Columns naming a row's other files (``a.pdf;b.pdf``; a JSON manifest may give a list)."""


@dataclass
class ImportSummary:
    deposited: int = 0
    skipped: int = 0  # duplicates of archived records
    refused: int = 0  # the acting principal may not deposit for the row's agency
    failed: int = 0  # refused files and rows, unreadable files
    errors: list[tuple[str, str]] = field(default_factory=list)
    duplicates: list[tuple[str, str]] = field(default_factory=list)  # (file, archived record id)
    actor: str = ""  # the principal the import acted as
    processing: str = ""  # who processes the jobs: running_workers, started or queued
    handoff: str = ""  # the same, said for the operator


def run_import(
    settings: Settings,
    directory: Path,
    manifest: Path | None = None,
    *,
    api_key: str | None = None,
    start_workers: bool | None = None,
    processes: int = 1,
) -> ImportSummary:
    """Deposit every row of the manifest as the acting principal, with a progress bar on
    stderr, then process the jobs as ``handoff.decide`` says (said on stderr first);
    returns the summary (the command prints it)."""
    from archive.cli_identity import cli_services

    console = Console(stderr=True)
    rows = list(read_manifest(manifest or find_manifest(directory)))
    summary = ImportSummary()
    # Workers asked for start first, before this process opens any connection (they may
    # be forked): they warm up while the deposits go in and take each job once it is queued.
    pool = _start_pool(settings, processes) if start_workers else None
    try:
        with cli_services(settings, api_key=api_key) as (services, principal):
            handoff = decide(services, start_workers=start_workers, processes=processes)
            summary.processing, summary.handoff = handoff.processing.value, handoff.describe()
            console.print(summary.handoff, highlight=False, markup=False, soft_wrap=True)
            with Progress(*_COLUMNS, console=console) as progress:
                task = progress.add_task("importing", total=len(rows))
                for row in rows:
                    import_row(services, principal, directory, row, summary)
                    if pool is not None:
                        pool.nudge()
                    progress.advance(task)
            summary.actor = principal.subject
    except BaseException:
        if pool is not None:
            pool.stop()
        raise
    if pool is not None and (code := pool.finish()) != 0:
        raise RuntimeError(f"the worker processes started for the import exited with {code}")
    return summary


_COLUMNS = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())


def _start_pool(settings: Settings, processes: int) -> WorkerPool:
    from archive.worker_processes import start_pool

    return start_pool(settings, processes)


def import_row(
    services: Services, principal: Principal, directory: Path, row: Mapping[str, str], summary: ImportSummary
) -> None:
    """Deposit one manifest row as ``principal``. Blocking.

    The deposit service checks the principal and audits what it decides (deposited,
    refused, duplicate, bad file); a row refused before it gets there (bad metadata,
    a path outside the folder, an unreadable file) is audited here, in the same shape.
    """
    name = row.get("file", "") or "?"
    owner = row.get("agency_code") or row.get("issuing_agency_code") or ""
    with contextlib.ExitStack() as stack:
        try:
            metadata = parse_row(row)
            handle = stack.enter_context(_inside(directory, name, "file").open("rb"))
            others = [
                Upload(
                    stack.enter_context(_inside(directory, other, column).open("rb")), Path(other).name, role
                )
                for column, role in FILE_COLUMNS.items()
                for other in _list(row.get(column) or "")
            ]
        except (MetadataInvalid, OSError) as exc:
            summary.failed += 1
            summary.errors.append((name, getattr(exc, "message", None) or str(exc)))
            code = exc.code if isinstance(exc, MetadataInvalid) else "FILE_UNREADABLE"
            _audit_refusal(services, principal, owner, name, code)
            return
        _deposit(services, principal, handle, name, row, metadata, summary, others)


def _inside(directory: Path, name: str, column: str) -> Path:
    """``name`` resolved inside the import folder, or MetadataInvalid naming the column."""
    path = (directory / name).resolve()
    if directory.resolve() not in path.parents:
        raise MetadataInvalid(column, "must name a file inside the import folder")
    return path


def _deposit(
    services: Services,
    principal: Principal,
    handle: BinaryIO,
    name: str,
    row: Mapping[str, str],
    metadata: RecordMetadata,
    summary: ImportSummary,
    others: list[Upload],
) -> None:
    try:
        deposit(
            services, principal, handle, filename=Path(name).name, metadata=metadata,
            agency_code=row.get("agency_code") or None, client=CLIENT, others=others,
        )  # fmt: skip
    except DuplicateRecord as exc:
        summary.skipped += 1
        readable = services.records.get(exc.existing_id, ReadScope.for_principal(principal)) is not None
        summary.duplicates.append((name, exc.existing_id if readable else "a record you may not read"))
    except Forbidden as exc:
        summary.refused += 1
        summary.errors.append((name, f"{principal.subject}: {exc.message}"))
    except (ArchiveError, OSError) as exc:
        summary.failed += 1
        summary.errors.append((name, getattr(exc, "message", None) or str(exc)))
    else:
        summary.deposited += 1


def _audit_refusal(services: Services, principal: Principal, owner: str, name: str, code: str) -> None:
    details: dict[str, DetailValue] = {"code": code, "agency": owner, "file": name[:200]}
    audit.append(
        services, actor=principal.subject, action=ACTION, target=f"agency:{owner}",
        outcome=Outcome.ERROR, details=details, client=CLIENT,
    )  # fmt: skip


def find_manifest(directory: Path) -> Path:
    for candidate in ("manifest.csv", "manifest.json"):
        if (directory / candidate).is_file():
            return directory / candidate
    raise FileNotFoundError(f"no manifest.csv or manifest.json in {directory}")


def read_manifest(path: Path) -> Iterator[dict[str, str]]:
    """Rows of a CSV (header row) or JSON (a list of objects) manifest, as strings."""
    if path.suffix.lower() == ".json":
        for item in json.loads(path.read_text(encoding="utf-8")):
            yield {k: _as_text(v) for k, v in item.items()}
        return
    with path.open(encoding="utf-8-sig", newline="") as handle:
        yield from csv.DictReader(handle)


def _as_text(value: object) -> str:
    if isinstance(value, list):
        return ";".join(str(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def parse_row(row: Mapping[str, str]) -> RecordMetadata:
    """Manifest row → metadata; MetadataInvalid names the column at fault."""

    def get(key: str) -> str:
        return (row.get(key) or "").strip()

    return RecordMetadata(
        document_type=get("document_type"),
        number=get("number"),
        notation=get("notation"),
        issuing_agency_code=get("issuing_agency_code"),
        issuing_agency_name=get("issuing_agency_name"),
        issue_date=_date("issue_date", get("issue_date")) or _missing("issue_date"),
        subject=get("subject"),
        signer_name=get("signer_name"),
        signer_position=get("signer_position"),
        direction=_enum(Direction, "direction", get("direction") or "outgoing"),
        issue_place=get("issue_place"),
        recipients=tuple(r.strip() for r in get("recipients").split(";") if r.strip()),
        urgency=_urgency(get("urgency")),
        classification=_classification(get("classification")),
        languages=_list(get("language")) or (LANGUAGE_VIETNAMESE,),
        arrival_number=get("arrival_number") or None,
        arrival_date=_date("arrival_date", get("arrival_date")),
        due_date=_date("due_date", get("due_date")),
        is_public=_flag(get("is_public")),
        retention_code=get("retention_code") or None,
        type_name=get("type_name") or None,
        mode=get("mode") or None,
        keyword=get("keyword"),
        infor_sign=get("infor_sign"),
        autograph=get("autograph"),
        physical_format=get("format") or None,
        process=_flag(get("process")),
        description=get("description"),
        issued_amount=_count("issued_amount", get("issued_amount")),
    )


def _list(value: str) -> tuple[str, ...]:
    """A multi-valued cell: ``01;02`` (a JSON manifest's list arrives joined the same way)."""
    return tuple(v.strip() for v in value.split(";") if v.strip())


def _flag(value: str) -> bool:
    return value.lower() in ("1", "true", "yes", "x")


def _count(name: str, value: str) -> int | None:
    if not value:
        return None
    try:
        return int(value)
    except ValueError as exc:
        raise MetadataInvalid(name, f"'{value}' is not a whole number") from exc


def _missing(name: str) -> date:
    raise MetadataInvalid(name, "is required")


def _date(name: str, value: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise MetadataInvalid(name, f"'{value}' is not a date (YYYY-MM-DD)") from exc


def _enum(kind: type[Direction], name: str, value: str) -> Direction:
    try:
        return kind(value.lower())
    except ValueError as exc:
        raise MetadataInvalid(name, f"'{value}' is not one of incoming, outgoing") from exc


def _urgency(value: str) -> Urgency:
    if not value:
        return Urgency.NORMAL
    for u in Urgency:
        if value.upper() == u.name or value.casefold() == u.value.casefold():
            return u
    raise MetadataInvalid("urgency", f"'{value}' is not a known urgency")


def _classification(value: str) -> Classification:
    if not value:
        return Classification.ORDINARY
    for c in Classification:
        if value.upper() == c.name or value.casefold() == c.label.casefold() or value == str(int(c)):
            return c
    raise MetadataInvalid("classification", f"'{value}' is not a known confidentiality level")


def write_samples(directory: Path, *, count: int, seed: int) -> Path:
    """Sample PDFs and a matching manifest.csv, for demos and benchmarks."""
    from archive.samples import random_document, render_pdf  # fpdf: only for samples

    directory.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)  # noqa: S311 - sample content, not secrets
    rows = []
    for i in range(1, count + 1):
        doc = random_document(rng, i)
        name = f"{i:05d}.pdf"
        (directory / name).write_bytes(render_pdf(doc))
        rows.append(sample_row(name, doc, is_public=i % 3 == 0))
    return write_manifest(directory, rows)


def sample_row(name: str, doc: SampleDocument, *, is_public: bool = False) -> dict[str, str]:
    """The manifest row that deposits file ``name`` with the metadata ``doc`` was drawn with."""
    return {
        "file": name, "document_type": doc.title.capitalize(), "number": doc.number,
        "notation": doc.notation, "issuing_agency_code": "UBND-HG",
        "issuing_agency_name": doc.agency, "issue_date": doc.issue_date.isoformat(),
        "subject": doc.subject, "signer_name": doc.signer_name,
        "signer_position": doc.signer_position, "direction": "outgoing",
        "issue_place": doc.place, "is_public": "true" if is_public else "false",
    }  # fmt: skip


def write_manifest(directory: Path, rows: list[dict[str, str]]) -> Path:
    """``directory/manifest.csv`` with the given rows, in the import format."""
    manifest = directory / "manifest.csv"
    with manifest.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=FIELDS)
        writer.writeheader()
        writer.writerows(rows)
    return manifest
