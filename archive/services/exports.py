"""Exports of the dossier list (danh mục hồ sơ) and of a dossier's table of contents.

Check -> act -> audit, like every use case:
- the list of a fonds and year: the fonds must be one the caller may see
  (``can_read_fonds``; otherwise it does not exist), and the list holds only the
  dossiers the caller may read (``ArchivalStore.dossiers`` compiles the read rule);
- the table of contents of a dossier: a dossier the caller may not read is NOT_FOUND
  exactly like a missing one (neither is audited), and the rows are only the member
  records the caller may read (``RecordRepository.get_many`` with its ``ReadScope``);
- each export that is served is audited (``dossier.export_list``,
  ``dossier.export_contents`` with the ids of the records it printed, so the audit
  log shows each of them only to whoever may read it).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from archive.domain.access import Principal, ReadScope, can_read_fonds
from archive.domain.audit import COUNT_DETAIL, IDS_DETAIL, DetailValue
from archive.domain.errors import InvalidQuery, MetadataInvalid, NotFound
from archive.domain.listing import ExportFormat, Listing, dossier_contents, dossier_list
from archive.services.audit import ClientInfo, audit
from archive.services.container import Services

MAX_ROWS = 20_000  # dossiers in one list: a province's fonds for a year stays well under it
YEAR_MIN, YEAR_MAX = 1900, 9999
_PAGE = 500


@dataclass(frozen=True, slots=True)
class ExportFile:
    """A rendered export: its name (Vietnamese), media type and bytes."""

    filename: str
    media_type: str
    content: bytes
    rows: int


def parse_format(value: str) -> ExportFormat:
    """The export format ``value`` names (pdf, xlsx, csv), or MetadataInvalid listing them."""
    try:
        return ExportFormat(value.strip().lower())
    except ValueError:
        allowed = ", ".join(f.value for f in ExportFormat)
        raise MetadataInvalid("format", f"{value[:20]!r} is not one of {allowed}") from None


async def export_dossier_list(
    services: Services,
    principal: Principal,
    fonds_code: str,
    year: int,
    fmt: ExportFormat,
    *,
    client: ClientInfo,
) -> ExportFile:
    """The dossier list of a fonds for a year, with the dossiers the caller may read.

    Raises:
        NotFound: no such fonds, or one the caller may not see.
        MetadataInvalid: the year is outside 1900..9999.
        InvalidQuery: more than MAX_ROWS dossiers.
    """
    if not YEAR_MIN <= year <= YEAR_MAX:
        raise MetadataInvalid("year", f"must be between {YEAR_MIN} and {YEAR_MAX}")
    listing, fonds_id = await asyncio.to_thread(_dossier_list, services, principal, fonds_code, year)
    exported = await asyncio.to_thread(_file, services, listing, fmt)
    details: dict[str, DetailValue] = {"fonds": fonds_code[:100], "year": year, "format": fmt.value}
    await audit(services, principal, client, "dossier.export_list", fonds_id, details=details)
    return exported


async def export_dossier_contents(
    services: Services,
    principal: Principal,
    dossier_id: str,
    fmt: ExportFormat,
    *,
    client: ClientInfo,
) -> ExportFile:
    """The table of contents of a dossier, with the member records the caller may read.

    Raises:
        NotFound: no such dossier, or one the caller may not read (the same answer).
    """
    listing, ids = await asyncio.to_thread(_contents, services, principal, dossier_id)
    exported = await asyncio.to_thread(_file, services, listing, fmt)
    details: dict[str, DetailValue] = {"format": fmt.value, IDS_DETAIL: ",".join(ids), COUNT_DETAIL: len(ids)}
    await audit(services, principal, client, "dossier.export_contents", dossier_id, details=details)
    return exported


def _dossier_list(
    services: Services, principal: Principal, fonds_code: str, year: int
) -> tuple[Listing, str]:
    fonds = services.archival.fonds_by_code(fonds_code)
    if fonds is None or not can_read_fonds(principal, fonds.agency_code):
        raise NotFound(f"no fonds {fonds_code[:100]}")
    scope = ReadScope.for_principal(principal)
    dossiers = []
    after: str | None = None
    while True:
        page = services.archival.dossiers(scope, fonds_id=fonds.id, year=year, after=after, limit=_PAGE)
        dossiers.extend(page)
        if len(dossiers) > MAX_ROWS:
            raise InvalidQuery(f"the list has more than {MAX_ROWS} dossiers")
        if len(page) < _PAGE:
            return dossier_list(fonds, year, dossiers), fonds.id
        after = page[-1].id


def _contents(services: Services, principal: Principal, dossier_id: str) -> tuple[Listing, list[str]]:
    scope = ReadScope.for_principal(principal)
    dossier = services.archival.dossier(dossier_id, scope)
    if dossier is None:
        raise NotFound("no such dossier")
    member_ids = services.archival.member_ids(dossier.id)
    readable = services.records.get_many(member_ids, scope, with_pages=False)
    records = [readable[i] for i in member_ids if i in readable]  # member_ids is in ordinal order
    return dossier_contents(dossier, records), [r.id for r in records]


def _file(services: Services, listing: Listing, fmt: ExportFormat) -> ExportFile:
    content = services.renderer.render(listing, fmt)
    return ExportFile(listing.filename(fmt), fmt.media_type, content, listing.row_count)
