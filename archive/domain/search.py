"""Search requests and results, independent of the engine that answers them."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field
from datetime import date, datetime

from archive.domain.access import ReadScope
from archive.domain.query import ParsedQuery
from archive.domain.records import Classification, Direction, Page, Urgency
from archive.domain.text import fold

SortKey = tuple[float | int | str, ...]
"""An adapter's sort values for one hit; the API turns it into an opaque cursor."""


@dataclass(frozen=True, slots=True)
class SearchFilter:
    """Filters a caller may combine. Empty means no filter on that field."""

    agency_codes: tuple[str, ...] = ()
    document_types: tuple[str, ...] = ()
    issued_from: date | None = None
    issued_to: date | None = None
    direction: Direction | None = None
    classifications: tuple[Classification, ...] = ()
    signed: bool | None = None
    signature_valid: bool | None = None
    fonds_ids: tuple[str, ...] = ()  # records of these fonds
    dossier_ids: tuple[str, ...] = ()  # records placed in these dossiers
    updated_since: datetime | None = None  # changed (metadata, text, signatures, place) at or after
    signer: str | None = None  # the signer's name, matched whole, diacritics and case folded
    urgencies: tuple[Urgency, ...] = ()
    include_revoked: bool = False  # revoked records leave default results; this brings them back


class SortField(enum.Enum):
    """What search results are ordered by."""

    RELEVANCE = "relevance"  # the score, then the issue date (newest first), then the id
    ISSUE_DATE = "issue_date"
    ARRIVAL_DATE = "arrival_date"  # ngày đến of incoming documents; records without one come last
    DEPOSITED_AT = "deposited_at"  # when the archive received it
    DOCUMENT_NUMBER = "document_number"  # the number as a number (2 before 10), then the notation


@dataclass(frozen=True, slots=True)
class SearchOrder:
    """An order and its direction. Every order ends with the record id (ascending), so
    paging across equal keys neither repeats nor skips a record."""

    field: SortField = SortField.RELEVANCE
    descending: bool = True

    @property
    def tag(self) -> str:
        """Names the order inside a cursor: a cursor of another order is refused."""
        return f"{self.field.value}:{'desc' if self.descending else 'asc'}"

    @classmethod
    def from_tag(cls, tag: str) -> SearchOrder:
        """The order ``tag`` names (ValueError for anything else)."""
        name, _, direction = tag.partition(":")
        return cls(SortField(name), descending=direction != "asc")


RELEVANCE = SearchOrder()


def number_sort_key(number: str) -> int:
    """The leading digits of a document's number as an integer (0 when it has none), so
    ``2/QĐ`` sorts before ``10/QĐ``."""
    digits = re.match(r"\s*(\d{1,15})", number)
    return int(digits.group(1)) if digits else 0


def signer_key(name: str) -> str:
    """A signer's name as the signer filter compares it: folded, single-spaced."""
    return " ".join(fold(name).split())


@dataclass(frozen=True, slots=True)
class SearchRequest:
    """One page of a search. ``scope`` is compiled INTO the engine query."""

    query: ParsedQuery
    scope: ReadScope
    filter: SearchFilter = SearchFilter()
    first: int = 20
    after: SortKey | None = None
    order: SearchOrder = RELEVANCE
    with_facets: bool = True
    with_highlights: bool = True


@dataclass(frozen=True, slots=True)
class Highlight:
    """A snippet of matching text. Matches are wrapped in ``<mark>``; the rest is HTML-escaped."""

    page: int
    snippet: str
    file_id: str | None = None  # the record file the page is in; None: the main file


@dataclass(frozen=True, slots=True)
class SearchHit:
    record_id: str
    score: float
    sort_key: SortKey
    highlights: tuple[Highlight, ...] = ()


@dataclass(frozen=True, slots=True)
class FacetBucket:
    value: str
    count: int


@dataclass(frozen=True, slots=True)
class Facets:
    """Counts over every record that matches query, filter and scope, not just this page."""

    agencies: tuple[FacetBucket, ...] = ()
    document_types: tuple[FacetBucket, ...] = ()
    years: tuple[FacetBucket, ...] = ()
    dossiers: tuple[FacetBucket, ...] = ()  # by dossier id; records in no dossier are not counted


@dataclass(frozen=True, slots=True)
class SearchResult:
    hits: tuple[SearchHit, ...]
    total: int
    facets: Facets = Facets()
    has_next: bool = False


@dataclass(frozen=True, slots=True)
class IndexDocument:
    """What the search index holds for one record. Built by ``from_record``-style code
    in the services, never from engine JSON."""

    record_id: str
    row_version: int
    document_number: str  # "123/QĐ-UBND"
    document_type: str
    agency_code: str  # owning agency (access control)
    issuing_agency_code: str
    issuing_agency_name: str
    issue_date: date
    subject: str
    signer_name: str
    direction: Direction
    classification: Classification
    is_public: bool
    grants: tuple[str, ...] = ()
    pages: tuple[Page, ...] = field(default=())
    signed: bool | None = None
    signature_valid: bool | None = None
    fonds_id: str | None = None  # its place in the archive: search filters and facets on it
    dossier_id: str | None = None
    conditional: bool = False  # mode 02: archivists of other agencies need a grant (ReadScope)
    keyword: str = ""  # từ khóa: searched with the other metadata
    # Orders and filters (issue 15): None in documents indexed before them.
    arrival_date: date | None = None
    deposited_at: datetime | None = None
    updated_at: datetime | None = None
    urgency: Urgency = Urgency.NORMAL
    revoked: bool = False  # revoked (archive.domain.relations): left out unless the filter asks
