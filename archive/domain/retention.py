"""Retention schedules: which rule governs a record, and when it may be destroyed.

A rule keeps records for a number of years after a trigger date, or forever.
The trigger is the record's issue date, or the close date of the dossier (hồ sơ)
the record belongs to.

Which rule applies to a record:

1. the rule named by the record's explicit ``retention_code`` (given at deposit);
   a code that names no rule keeps the record permanently, because a depositor
   who asked for a schedule that does not exist must not get a shorter one;
2. otherwise the most specific matching rule: one that names both the document
   type and the agency beats one that names either, which beats a catch-all;
   between equally specific rules the LONGER period wins (permanent is longest),
   so an ambiguous schedule never destroys early;
3. no rule at all: keep permanently (disposal date null).

A dossier-triggered rule gives no disposal date while the record is in no
dossier or its dossier is still open: the clock has not started.
"""

from __future__ import annotations

import enum
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from archive.domain.errors import MetadataInvalid

CODE_MAX = 40
PERIOD_MAX_YEARS = 200  # the longest fixed period a schedule may give; beyond that, keep permanently
TITLE_MAX = 300
DESCRIPTION_MAX = 2000
DOSSIER_CODE_MAX = 60
MATCH_MAX = 100  # document types or agencies one rule may list


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

    @property
    def permanent(self) -> bool:
        return self.period_years is None

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


@dataclass(frozen=True, slots=True)
class Assignment:
    """The rule a record falls under and its disposal date (None: keep permanently)."""

    rule_code: str | None
    disposal_date: date | None

    @property
    def permanent(self) -> bool:
        return self.disposal_date is None


@dataclass(frozen=True, slots=True)
class RetentionState:
    """A record as retention sees it: the facts, and what was last computed."""

    facts: RetentionFacts
    current: Assignment | None  # None: never computed
    dossier_code: str | None
    storage_key: str
    version_id: str | None


def select_rule(rules: Iterable[RetentionRule], facts: RetentionFacts) -> RetentionRule | None:
    """The rule that governs ``facts``, by the precedence in the module docstring."""
    by_code = {r.code: r for r in rules}
    if facts.retention_code:
        return by_code.get(facts.retention_code)
    matching = [r for r in by_code.values() if r.matches(facts)]
    if not matching:
        return None
    return max(matching, key=lambda r: (r.specificity(), _length(r), r.code))


def assign(rules: Iterable[RetentionRule], facts: RetentionFacts) -> Assignment:
    """The rule and disposal date of one record."""
    rule = select_rule(rules, facts)
    if rule is None:
        return Assignment(rule_code=None, disposal_date=None)
    return Assignment(rule_code=rule.code, disposal_date=disposal_date(rule, facts))


def disposal_date(rule: RetentionRule, facts: RetentionFacts) -> date | None:
    """The day the record becomes eligible for destruction, or None (permanent / not started)."""
    if rule.period_years is None:
        return None
    start = facts.issue_date if rule.trigger is Trigger.ISSUE_DATE else facts.dossier_closed_on
    return None if start is None else add_years(start, rule.period_years)


def add_years(day: date, years: int) -> date:
    """``day`` plus whole years; 29 February becomes 1 March in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return date(day.year + years, 3, 1)


def lock_until(disposal: date) -> datetime:
    """The Object Lock retain-until instant of a disposal date: its first moment, UTC."""
    return datetime(disposal.year, disposal.month, disposal.day, tzinfo=UTC)


def _length(rule: RetentionRule) -> int:
    return 10**6 if rule.period_years is None else rule.period_years


def _fold(text: str) -> str:
    return unicodedata.normalize("NFC", text).strip().casefold()


# -- schedule files -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Schedule:
    """The content of a schedule file: rules, and optionally dossiers."""

    rules: tuple[RetentionRule, ...]
    dossiers: tuple[Dossier, ...] = ()


def parse_schedule(data: Mapping[str, Any]) -> Schedule:
    """A schedule from parsed JSON or TOML. Raises MetadataInvalid naming the bad entry."""
    raw_rules = data.get("rules")
    if not isinstance(raw_rules, list) or not raw_rules:
        raise MetadataInvalid("rules", "a schedule needs a non-empty list of rules")
    rules = tuple(parse_rule(item, where=f"rules[{i}]") for i, item in enumerate(raw_rules))
    codes = [r.code for r in rules]
    duplicates = sorted({c for c in codes if codes.count(c) > 1})
    if duplicates:
        raise MetadataInvalid("rules", f"duplicate codes: {', '.join(duplicates)}")
    raw_dossiers = data.get("dossiers", [])
    if not isinstance(raw_dossiers, list):
        raise MetadataInvalid("dossiers", "must be a list")
    dossiers = tuple(_parse_dossier(d, where=f"dossiers[{i}]") for i, d in enumerate(raw_dossiers))
    return Schedule(rules=rules, dossiers=dossiers)


def parse_rule(item: object, *, where: str = "rule") -> RetentionRule:
    """One rule from a mapping: code, title, ``years`` or ``permanent: true``, trigger, matches."""
    if not isinstance(item, Mapping):
        raise MetadataInvalid(where, "must be an object")
    code = _text(item, "code", where)
    permanent = item.get("permanent", False) is True
    years = item.get("years")
    if permanent == (years is not None):
        raise MetadataInvalid(f"{where}.years", "give either years or permanent: true")
    if years is not None and (not isinstance(years, int) or isinstance(years, bool) or not _period_ok(years)):
        raise MetadataInvalid(f"{where}.years", f"must be a whole number of years, 1 to {PERIOD_MAX_YEARS}")
    rule = RetentionRule(
        code=code,
        title=_text(item, "title", where),
        period_years=None if permanent else years,
        trigger=_trigger(item.get("trigger", Trigger.ISSUE_DATE.value), where),
        document_types=_texts(item.get("document_types", []), f"{where}.document_types"),
        agencies=_texts(item.get("agencies", []), f"{where}.agencies"),
        description=str(item.get("description", "")),
    )
    return validate_rule(rule)


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
    return RetentionRule(
        code=code,
        title=unicodedata.normalize("NFC", rule.title).strip(),
        period_years=rule.period_years,
        trigger=rule.trigger,
        document_types=tuple(unicodedata.normalize("NFC", t).strip() for t in rule.document_types),
        agencies=tuple(a.strip() for a in rule.agencies),
        description=rule.description,
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
