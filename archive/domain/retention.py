"""Retention schedules: which period governs a record, and when it may be destroyed.

A rule keeps records for a number of years, or forever. It belongs to a named
schedule (``TT10-2022`` beside a sector circular's; ``default`` for rules written
before schedules had names), carries its legal basis (circular and item, e.g.
"Thông tư 10/2022/TT-BNV, mục 1.5"), and has a tier: the retention code 01-07 of
its period (``archive.domain.tiers``). Rule codes are unique across schedules: a
code is how a depositor names a rule, so no two schedules share one (prefix it
with the schedule, ``TT10-1.5``); loading a rule whose code another schedule owns
is refused.

When the period ends. Circular 10/2022/TT-BNV counts a retention period from the
year the work was completed, so the exact day inside that year does not matter:
N years counted from a day of year Y end on 31 December of Y + N, and the record
is eligible for destruction from **1 January of Y + 1 + N** (``eligible_from``).
A dossier closed on any day of 2026 under a 10-year rule is eligible from
1 January 2037. The completion date is the close date of the record's dossier
(hồ sơ) for dossier-triggered rules and declared tiers, and the issue date for
issue-date rules and for a record in no dossier (its issue completes the work):
both count the same way. A clock that has not started (an open dossier) gives no
date; neither does a date past the calendar's end.

Which period governs a record. Two kinds of claim may apply:

1. the rule: the one named by the record's explicit ``retention_code``; a code
   that names neither a rule nor a tier keeps the record permanently, because a
   depositor who asked for a schedule that does not exist must not get a shorter
   one. Otherwise (no code, or a tier code that no rule is named by) the most
   specific matching rule: one that names both the document type and the agency
   beats one that names either, which beats a catch-all; between equally
   specific rules the LONGER period wins (permanent is longest);
2. the declared tiers: the record's ``retention_code`` when it is a tier code and
   names no rule, and the ``maintenance`` code of its dossier. 01 to 06 keep the
   record at least that long, counted from the completion date; 07 ("other")
   declares nothing: the schedule rule decides.

The LONGEST claim wins: permanent beats a clock that has not started, which
beats any date, and a later date beats an earlier one; on a tie the rule wins
(it carries the legal basis). No claim at all: keep permanently. So an ambiguous
schedule, or a record and a dossier that disagree, never destroy early.
"""

from __future__ import annotations

import enum
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import MAXYEAR, UTC, date, datetime
from typing import Any

from archive.domain.errors import MetadataInvalid
from archive.domain.tiers import (
    Tier,
    declared_tier,
    is_tier_code,
    other_code,
    parse_tier,
    permanent_code,
    tier_of,
)

CODE_MAX = 40
PERIOD_MAX_YEARS = 200  # the longest fixed period a schedule may give; beyond that, keep permanently
TITLE_MAX = 300
DESCRIPTION_MAX = 2000
DOSSIER_CODE_MAX = 60
MATCH_MAX = 100  # document types or agencies one rule may list
SCHEDULE_MAX = 60  # characters of a schedule's name
LEGAL_BASIS_MAX = 300
DEFAULT_SCHEDULE = "default"  # rules written before schedules had names


class Trigger(enum.Enum):
    """The date a retention period counts from."""

    ISSUE_DATE = "issue_date"
    DOSSIER_CLOSE = "dossier_close"


@dataclass(frozen=True, slots=True)
class RetentionRule:
    """One line of a retention schedule."""

    code: str
    title: str
    period_years: int | None  # None: permanent
    trigger: Trigger = Trigger.ISSUE_DATE
    document_types: tuple[str, ...] = ()  # empty: any type
    agencies: tuple[str, ...] = ()  # owning agency codes; empty: any agency
    description: str = ""
    schedule: str = DEFAULT_SCHEDULE
    legal_basis: str = ""  # e.g. "Thông tư 10/2022/TT-BNV, mục 1.5"

    @property
    def permanent(self) -> bool:
        return self.period_years is None

    @property
    def maintenance(self) -> str:
        """The rule's tier: the retention code of its period (07 for a period no tier has)."""
        return tier_of(self.period_years)

    def specificity(self) -> int:
        return int(bool(self.document_types)) + int(bool(self.agencies))

    def matches(self, facts: RetentionFacts) -> bool:
        """Whether the rule's document types and agencies cover the record."""
        if self.document_types and _fold(facts.document_type) not in {_fold(t) for t in self.document_types}:
            return False
        return not self.agencies or facts.agency_code in self.agencies


@dataclass(frozen=True, slots=True)
class Dossier:
    """A hồ sơ: a file of records about one matter, closed on a date."""

    code: str
    title: str
    closed_on: date | None = None  # None: still open
    agency_code: str = ""  # the owning agency, needed to create it (see archive.domain.archival)


@dataclass(frozen=True, slots=True)
class RetentionFacts:
    """What the rules look at in a record."""

    record_id: str
    document_type: str
    agency_code: str
    issue_date: date
    retention_code: str | None = None
    dossier_closed_on: date | None = None
    in_dossier: bool = False
    dossier_maintenance: str | None = None  # the dossier's retention code 01-07, if it has one


@dataclass(frozen=True, slots=True)
class Assignment:
    """The rule a record falls under, its disposal date, and the tier of its period.

    ``disposal_date`` None: kept permanently, or the clock has not started.
    ``maintenance`` None: computed before tiers existed (recomputed before any plan).
    """

    rule_code: str | None
    disposal_date: date | None
    maintenance: str | None = None

    @property
    def undated(self) -> bool:
        """No disposal date (permanent, or not started): the object is held, not dated."""
        return self.disposal_date is None

    @property
    def permanent(self) -> bool:
        """Kept forever: the governing period is the permanent tier."""
        if self.maintenance is None:
            return self.disposal_date is None
        return self.maintenance == permanent_code()


@dataclass(frozen=True, slots=True)
class RetentionState:
    """A record as retention sees it: the facts, and what was last computed."""

    facts: RetentionFacts
    current: Assignment | None  # None: never computed
    dossier_code: str | None
    storage_key: str
    version_id: str | None
    # Every object the record stored (each version of each of its files, archive.domain.files);
    # empty when only ``storage_key`` is known. The lock and holds cover all of them.
    objects: tuple[tuple[str, str | None], ...] = ()

    @property
    def all_objects(self) -> tuple[tuple[str, str | None], ...]:
        """(key, version id) of every stored object of the record, the main file's current first."""
        main = (self.storage_key, self.version_id)
        return (main, *(o for o in self.objects if o != main))


@dataclass(frozen=True, slots=True)
class RecordRetention:
    """What a reader of a record is told about its retention."""

    rule_code: str | None  # None: a declared tier governs, or no rule at all (permanent)
    schedule: str | None
    maintenance: str  # the tier code 01-07 of the governing period
    legal_basis: str
    disposal_date: date | None  # None: permanent, or the clock has not started
    permanent: bool


def describe(assignment: Assignment, rules: Mapping[str, RetentionRule]) -> RecordRetention:
    """An assignment told with its rule's schedule and legal basis (by rule code)."""
    rule = None if assignment.rule_code is None else rules.get(assignment.rule_code)
    maintenance = assignment.maintenance or (permanent_code() if rule is None else rule.maintenance)
    return RecordRetention(
        rule_code=assignment.rule_code,
        schedule=None if rule is None else rule.schedule,
        maintenance=maintenance,
        legal_basis="" if rule is None else rule.legal_basis,
        disposal_date=assignment.disposal_date,
        permanent=maintenance == permanent_code(),
    )


def select_rule(rules: Iterable[RetentionRule], facts: RetentionFacts) -> RetentionRule | None:
    """The rule that governs ``facts``, by step 1 of the module docstring."""
    by_code = {r.code: r for r in rules}
    code = facts.retention_code
    if code and (code in by_code or not is_tier_code(code)):
        return by_code.get(code)
    matching = [r for r in by_code.values() if r.matches(facts)]
    if not matching:
        return None
    return max(matching, key=lambda r: (r.specificity(), _length(r), r.code))


@dataclass(frozen=True, slots=True)
class _Claim:
    """One source of a period for a record: a rule, or a declared tier (rule None)."""

    rule: RetentionRule | None
    code: str
    years: int | None
    start: date | None

    def disposal(self) -> date | None:
        if self.years is None or self.start is None:
            return None
        return eligible_from(self.start, self.years)

    def length(self) -> tuple[int, date]:
        """Orders claims by how long they keep: permanent, then not started, then by date."""
        if self.years is None:
            return (2, date.max)
        day = self.disposal()
        return (1, date.max) if day is None else (0, day)


def assign(rules: Iterable[RetentionRule], facts: RetentionFacts) -> Assignment:
    """The rule, disposal date and tier of one record, by the module docstring."""
    rules = list(rules)
    code = facts.retention_code
    if code and not is_tier_code(code) and code not in {r.code for r in rules}:
        return Assignment(rule_code=None, disposal_date=None, maintenance=permanent_code())
    claims = [*_rule_claims(rules, facts), *_tier_claims(facts)]
    if not claims:
        return Assignment(rule_code=None, disposal_date=None, maintenance=permanent_code())
    best = max(claims, key=lambda c: (c.length(), c.rule is not None))
    return Assignment(
        rule_code=None if best.rule is None else best.rule.code,
        disposal_date=best.disposal(),
        maintenance=best.code,
    )


def _rule_claims(rules: Iterable[RetentionRule], facts: RetentionFacts) -> list[_Claim]:
    rule = select_rule(rules, facts)
    if rule is None:
        return []
    start = facts.issue_date if rule.trigger is Trigger.ISSUE_DATE else facts.dossier_closed_on
    return [_Claim(rule=rule, code=rule.maintenance, years=rule.period_years, start=start)]


def _tier_claims(facts: RetentionFacts) -> list[_Claim]:
    completed = facts.dossier_closed_on if facts.in_dossier else facts.issue_date
    declared: list[Tier | None] = [declared_tier(facts.retention_code)]
    if facts.in_dossier:
        declared.append(declared_tier(facts.dossier_maintenance))
    return [_Claim(rule=None, code=t.code, years=t.years, start=completed) for t in declared if t is not None]


def eligible_from(completed: date, years: int) -> date | None:
    """The first day a record whose work was completed on ``completed`` may be destroyed
    after ``years``: 1 January of ``completed.year + 1 + years`` (Circular 10/2022/TT-BNV
    counts from the year of completion). None past the calendar's end: kept."""
    year = completed.year + 1 + years
    return date(year, 1, 1) if year <= MAXYEAR else None


def lock_until(disposal: date) -> datetime:
    """The Object Lock retain-until instant of a disposal date: its first moment, UTC."""
    return datetime(disposal.year, disposal.month, disposal.day, tzinfo=UTC)


def _length(rule: RetentionRule) -> int:
    return 10**6 if rule.period_years is None else rule.period_years


def _fold(text: str) -> str:
    return unicodedata.normalize("NFC", text).strip().casefold()


# -- schedule files -------------------------------------------------------------------
#
# A file holds one schedule:
#   {"schedule": {"name": "TT10-2022", "title": "...", "basis": "Thông tư 10/2022/TT-BNV"},
#    "rules": [{"code": "TT10-1.1", "title": "...", "maintenance": "01", "item": "1.1", ...}],
#    "dossiers": [...]}
# Without "schedule" its rules belong to the default schedule. A rule's period is
# ``years``, ``permanent: true`` or a tier (``maintenance``: "06", "10 năm"); a tier
# 07 ("other") needs ``years`` that no other tier has. Its legal basis is
# ``legal_basis``, or the schedule's basis and the rule's ``item`` ("Thông tư
# 10/2022/TT-BNV, mục 1.1"), or the schedule's basis alone.


@dataclass(frozen=True, slots=True)
class Schedule:
    """The content of a schedule file: its name and basis, rules, and optionally dossiers."""

    rules: tuple[RetentionRule, ...]
    dossiers: tuple[Dossier, ...] = ()
    name: str = DEFAULT_SCHEDULE
    title: str = ""
    basis: str = ""  # the circular the whole schedule comes from


def parse_schedule(data: Mapping[str, Any]) -> Schedule:
    """A schedule from parsed JSON or TOML. Raises MetadataInvalid naming the bad entry."""
    name, title, basis = _parse_header(data.get("schedule"))
    raw_rules = data.get("rules")
    if not isinstance(raw_rules, list) or not raw_rules:
        raise MetadataInvalid("rules", "a schedule needs a non-empty list of rules")
    rules = tuple(
        parse_rule(item, where=f"rules[{i}]", schedule=name, basis=basis) for i, item in enumerate(raw_rules)
    )
    codes = [r.code for r in rules]
    duplicates = sorted({c for c in codes if codes.count(c) > 1})
    if duplicates:
        raise MetadataInvalid("rules", f"duplicate codes: {', '.join(duplicates)}")
    raw_dossiers = data.get("dossiers", [])
    if not isinstance(raw_dossiers, list):
        raise MetadataInvalid("dossiers", "must be a list")
    dossiers = tuple(_parse_dossier(d, where=f"dossiers[{i}]") for i, d in enumerate(raw_dossiers))
    return Schedule(rules=rules, dossiers=dossiers, name=name, title=title, basis=basis)


def _parse_header(header: object) -> tuple[str, str, str]:
    """(name, title, basis) of a file's ``schedule`` object; the default schedule without one."""
    if header is None:
        return DEFAULT_SCHEDULE, "", ""
    if not isinstance(header, Mapping):
        raise MetadataInvalid("schedule", "must be an object with a name (and a title and basis)")
    name = _text(header, "name", "schedule")
    if len(name) > SCHEDULE_MAX:
        raise MetadataInvalid("schedule.name", f"at most {SCHEDULE_MAX} characters")
    title, basis = _optional_text(header, "title", "schedule"), _optional_text(header, "basis", "schedule")
    if len(title) > TITLE_MAX or len(basis) > LEGAL_BASIS_MAX:
        raise MetadataInvalid(
            "schedule", f"title at most {TITLE_MAX}, basis at most {LEGAL_BASIS_MAX} characters"
        )
    return name, title, basis


def parse_rule(
    item: object, *, where: str = "rule", schedule: str = DEFAULT_SCHEDULE, basis: str = ""
) -> RetentionRule:
    """One rule from a mapping: code, title, a period (``years``, ``permanent: true`` or
    ``maintenance``), trigger, matches, and its legal basis (see the section comment)."""
    if not isinstance(item, Mapping):
        raise MetadataInvalid(where, "must be an object")
    code = _text(item, "code", where)
    rule = RetentionRule(
        code=code,
        title=_text(item, "title", where),
        period_years=_period(item, where),
        trigger=_trigger(item.get("trigger", Trigger.ISSUE_DATE.value), where),
        document_types=_texts(item.get("document_types", []), f"{where}.document_types"),
        agencies=_texts(item.get("agencies", []), f"{where}.agencies"),
        description=str(item.get("description", "")),
        schedule=schedule,
        legal_basis=_legal_basis(item, where, basis),
    )
    return validate_rule(rule)


def _period(item: Mapping[str, Any], where: str) -> int | None:
    """The years of a rule entry (None: permanent), from ``years``/``permanent`` and ``maintenance``."""
    permanent = item.get("permanent", False) is True
    years = item.get("years")
    if years is not None and (not isinstance(years, int) or isinstance(years, bool) or not _period_ok(years)):
        raise MetadataInvalid(f"{where}.years", f"must be a whole number of years, 1 to {PERIOD_MAX_YEARS}")
    raw_tier = item.get("maintenance")
    if raw_tier is None:
        if permanent == (years is not None):
            raise MetadataInvalid(
                f"{where}.years", "give either years, permanent: true or a maintenance code"
            )
        return None if permanent else years
    if not isinstance(raw_tier, str):
        raise MetadataInvalid(f"{where}.maintenance", "must be a retention code such as 01 or 06")
    tier = parse_tier(raw_tier, field_name=f"{where}.maintenance")
    period = tier.years if years is None and not permanent else (None if permanent else years)
    if tier_of(period) != tier.code or (permanent and years is not None):
        given = "permanent" if period is None else f"{period} years"
        raise MetadataInvalid(
            f"{where}.maintenance",
            f"tier {tier.code} does not match the period given ({given}); tier {other_code()} needs "
            "years that no other tier has",
        )
    return period


def _legal_basis(item: Mapping[str, Any], where: str, basis: str) -> str:
    explicit = _optional_text(item, "legal_basis", where)
    entry = _optional_text(item, "item", where)
    if explicit:
        return explicit
    if entry and not basis:
        raise MetadataInvalid(f"{where}.item", "an item number needs the schedule's basis (schedule.basis)")
    return f"{basis}, mục {entry}" if entry else basis


def validate_rule(rule: RetentionRule) -> RetentionRule:
    """The rule with its text NFC-normalised, or MetadataInvalid."""
    code = unicodedata.normalize("NFC", rule.code).strip()
    if not code or len(code) > CODE_MAX:
        raise MetadataInvalid("code", f"must be 1 to {CODE_MAX} characters")
    if not rule.title.strip() or len(rule.title.strip()) > TITLE_MAX:
        raise MetadataInvalid("title", f"is required, at most {TITLE_MAX} characters")
    if len(rule.description) > DESCRIPTION_MAX:
        raise MetadataInvalid("description", f"at most {DESCRIPTION_MAX} characters")
    for name, values in (("document_types", rule.document_types), ("agencies", rule.agencies)):
        if len(values) > MATCH_MAX or any(len(v) > TITLE_MAX for v in values):
            raise MetadataInvalid(name, f"at most {MATCH_MAX} entries of at most {TITLE_MAX} characters")
    if rule.period_years is not None and not _period_ok(rule.period_years):
        raise MetadataInvalid(
            "period_years", f"must be 1 to {PERIOD_MAX_YEARS} years (or null for permanent)"
        )
    schedule = unicodedata.normalize("NFC", rule.schedule).strip()
    if not schedule or len(schedule) > SCHEDULE_MAX:
        raise MetadataInvalid("schedule", f"must be 1 to {SCHEDULE_MAX} characters")
    if len(rule.legal_basis.strip()) > LEGAL_BASIS_MAX:
        raise MetadataInvalid("legal_basis", f"at most {LEGAL_BASIS_MAX} characters")
    return RetentionRule(
        code=code,
        title=unicodedata.normalize("NFC", rule.title).strip(),
        period_years=rule.period_years,
        trigger=rule.trigger,
        document_types=tuple(unicodedata.normalize("NFC", t).strip() for t in rule.document_types),
        agencies=tuple(a.strip() for a in rule.agencies),
        description=rule.description,
        schedule=schedule,
        legal_basis=unicodedata.normalize("NFC", rule.legal_basis).strip(),
    )


def validate_dossier(dossier: Dossier) -> Dossier:
    """The dossier with its code and title trimmed, or MetadataInvalid."""
    code, title = dossier.code.strip(), dossier.title.strip()
    if not code or len(code) > DOSSIER_CODE_MAX:
        raise MetadataInvalid("code", f"a dossier needs a code of at most {DOSSIER_CODE_MAX} characters")
    if not title or len(title) > TITLE_MAX:
        raise MetadataInvalid("title", f"a dossier needs a title of at most {TITLE_MAX} characters")
    return Dossier(
        code=code, title=title, closed_on=dossier.closed_on, agency_code=dossier.agency_code.strip()
    )


def _period_ok(years: int) -> bool:
    # Bounded so that every disposal date stays a real date (year 9999 is the last):
    # an unbounded period would make every later matching deposit fail to seal.
    return 1 <= years <= PERIOD_MAX_YEARS


def _parse_dossier(item: object, *, where: str) -> Dossier:
    if not isinstance(item, Mapping):
        raise MetadataInvalid(where, "must be an object")
    closed = item.get("closed_on")
    try:
        closed_on = None if closed in (None, "") else date.fromisoformat(str(closed))
    except ValueError as exc:
        raise MetadataInvalid(f"{where}.closed_on", "must be a date, YYYY-MM-DD") from exc
    agency = item.get("agency", "")
    return Dossier(
        code=_text(item, "code", where),
        title=_text(item, "title", where),
        closed_on=closed_on,
        agency_code=agency.strip() if isinstance(agency, str) else "",
    )


def _text(item: Mapping[str, Any], name: str, where: str) -> str:
    value = item.get(name)
    if not isinstance(value, str) or not value.strip():
        raise MetadataInvalid(f"{where}.{name}", "is required")
    return unicodedata.normalize("NFC", value).strip()


def _optional_text(item: Mapping[str, Any], name: str, where: str) -> str:
    value = item.get(name, "")
    if not isinstance(value, str):
        raise MetadataInvalid(f"{where}.{name}", "must be text")
    return unicodedata.normalize("NFC", value).strip()


def _texts(value: object, where: str) -> tuple[str, ...]:
    if not isinstance(value, Sequence) or isinstance(value, str):
        raise MetadataInvalid(where, "must be a list of strings")
    if not all(isinstance(v, str) and v.strip() for v in value):
        raise MetadataInvalid(where, "must be a list of non-empty strings")
    return tuple(unicodedata.normalize("NFC", v).strip() for v in value)


def _trigger(value: object, where: str) -> Trigger:
    try:
        return Trigger(value)
    except ValueError:
        choices = ", ".join(t.value for t in Trigger)
        raise MetadataInvalid(f"{where}.trigger", f"must be one of {choices}") from None
