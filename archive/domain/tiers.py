"""The retention tiers: the ``maintenance`` codes 01-07 of Circular 05/2025/TT-BNV.

Circular 10/2022/TT-BNV keeps records permanently or for 70, 50, 30, 20 or 10
years; Circular 05/2025 codes those periods 01 (permanent) to 06 (10 years), and
07 "other" for any other period. The codes, labels and periods live in the
shipped code list (``codelists/maintenance.json``, ``attributes["years"]``), so
this module names no code itself: the permanent and the other tier are found by
their aliases (``permanent``, ``other``), the rest by their number of years.

A tier relates to the schedule in two ways:

- every schedule rule HAS a tier, derived from its period: a permanent rule is
  tier 01, a 10-year rule tier 06, a 5- or 15-year rule tier 07 ("other");
- a record or a dossier may DECLARE a tier as its retention code: 01 to 06 keep
  it at least that long (``archive.domain.retention`` says how that meets the
  rules); 07 declares nothing, because "other" means the schedule rule decides.
"""

from __future__ import annotations

from dataclasses import dataclass

from archive.domain.codes import MAINTENANCE, CodeList, code_lists


@dataclass(frozen=True, slots=True)
class Tier:
    """One retention tier: its code and its period (None: permanent)."""

    code: str
    years: int | None

    @property
    def permanent(self) -> bool:
        return self.years is None


def maintenance() -> CodeList:
    """The shipped list of retention codes."""
    return code_lists()[MAINTENANCE]


def permanent_code() -> str:
    """The code of the permanent tier (01 in the shipped list)."""
    return maintenance().parse("permanent", field_name="maintenance")


def other_code() -> str:
    """The code of the tier whose period the schedule rule gives (07 in the shipped list)."""
    return maintenance().parse("other", field_name="maintenance")


def tier_of(period_years: int | None) -> str:
    """The tier code of a period: permanent, a tier's years, or "other"."""
    if period_years is None:
        return permanent_code()
    for entry in maintenance():
        if entry.attributes.get("years") == period_years:
            return entry.code
    return other_code()


def is_tier_code(code: str) -> bool:
    """Whether ``code`` is exactly one of the retention codes (01-07)."""
    return maintenance().get(code) is not None


def declared_tier(code: str | None) -> Tier | None:
    """The tier a record's or dossier's retention code declares, or None: for no code,
    a code that is not a tier code, and "other" (the schedule rule decides)."""
    if not code or code == other_code():
        return None
    entry = maintenance().get(code)
    if entry is None:
        return None
    years = entry.attributes.get("years")
    return Tier(code=entry.code, years=years if isinstance(years, int) else None)


def parse_tier(value: str, *, field_name: str) -> Tier:
    """A tier named by code, label or alias (``"06"``, ``"10 năm"``, ``"10"``), or
    MetadataInvalid naming ``field_name`` and listing the codes."""
    code = maintenance().parse(value, field_name=field_name)
    entry = maintenance().get(code)
    assert entry is not None  # parse returned one of the list's codes
    years = entry.attributes.get("years")
    return Tier(code=code, years=years if isinstance(years, int) else None)
