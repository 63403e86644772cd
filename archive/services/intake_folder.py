"""The edXML drop folder: every package put in it is taken in, then moved to ``done/``
or to ``failed/`` beside a ``<name>.reason.txt`` that says why.

A package whose import met an outage (database, storage) stays where it is, to be
tried again by the next sweep; so does one that failed unexpectedly (logged). Only
``.edxml`` and ``.xml`` files are read, and files whose names start with a dot are
skipped (a sender still writing under a temporary name).
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

from archive.domain.access import Principal
from archive.domain.errors import ArchiveError, PackageRefused, ServiceUnavailable
from archive.services.container import Services
from archive.services.intake import Received, import_package

log = logging.getLogger(__name__)

SUFFIXES = frozenset({".edxml", ".xml"})
DONE, FAILED = "done", "failed"


@dataclass(frozen=True, slots=True)
class Swept:
    """What became of one package of the folder."""

    name: str
    ok: bool
    record_id: str | None = None
    status: str = ""  # applied, pending_target, unchanged; or the error code
    message: str = ""


def packages_in(directory: Path) -> list[Path]:
    """The packages waiting in ``directory``, by name."""
    return sorted(
        path
        for path in directory.iterdir()
        if path.is_file() and not path.name.startswith(".") and path.suffix.lower() in SUFFIXES
    )


async def sweep(
    services: Services,
    principal: Principal,
    directory: Path,
    *,
    agency_code: str | None = None,
    client: str = "",
) -> list[Swept]:
    """Take in every package waiting in ``directory`` once, moving each when decided."""
    swept: list[Swept] = []
    for path in packages_in(directory):
        result = await _one(services, principal, path, agency_code, client)
        if result is not None:
            swept.append(result)
    return swept


async def _one(
    services: Services, principal: Principal, path: Path, agency_code: str | None, client: str
) -> Swept | None:
    try:
        outcome = await import_package(
            services,
            principal,
            Received(read_package_file(services, path), path.name),
            agency_code=agency_code,
            client=client,
        )
    except ServiceUnavailable as error:
        log.warning("%s stays in the drop folder: %s", path.name, error.message)
        return None
    except ArchiveError as error:
        _move(path, path.parent / FAILED, reason=_reason(error))
        return Swept(path.name, False, status=error.code, message=error.message)
    _move(path, path.parent / DONE)
    status = outcome.intake.status.value if outcome.created else "unchanged"
    return Swept(path.name, True, outcome.intake.record_id, status)


def read_package_file(services: Services, path: Path) -> bytes:
    """A package file's bytes; one over the size limit is refused before it is read."""
    limit = services.settings.edxml_max_package_bytes
    if path.stat().st_size > limit:
        raise PackageRefused("package", f"is {path.stat().st_size} bytes, over the limit of {limit}")
    return path.read_bytes()


def _reason(error: ArchiveError) -> str:
    part = f"part: {error.part}\n" if isinstance(error, PackageRefused) else ""
    return f"code: {error.code}\n{part}message: {error.message}\n"


def _move(path: Path, folder: Path, *, reason: str | None = None) -> Path:
    folder.mkdir(exist_ok=True)
    target = folder / path.name
    counter = 1
    while target.exists():  # a package re-sent under the same name keeps both
        target = folder / f"{path.stem}.{counter}{path.suffix}"
        counter += 1
    if reason is not None:
        note = target.with_name(target.name + ".reason.txt")
        note.write_text(reason, encoding="utf-8")
    os.replace(path, target)
    return target
