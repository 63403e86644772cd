"""Which rule governs a record, and its disposal date."""

from __future__ import annotations

from datetime import date

import pytest

from archive.domain.errors import MetadataInvalid
from archive.domain.retention import (
    RetentionFacts,
    RetentionRule,
    Trigger,
    add_years,
    assign,
    parse_schedule,
    select_rule,
)

ANY_10 = RetentionRule("ANY-10", "Mọi văn bản", 10)
CV_5 = RetentionRule("CV-5", "Công văn", 5, document_types=("Công văn",))
CV_HG_20 = RetentionRule(
    "CV-HG-20", "Công văn Hà Giang", 20, document_types=("Công văn",), agencies=("UBND-HG",)
)
QD_PERM = RetentionRule("QD", "Quyết định", None, document_types=("Quyết định",))
HS_70 = RetentionRule("HS-70", "Hồ sơ", 70, trigger=Trigger.DOSSIER_CLOSE, document_types=("Hồ sơ",))
RULES = (ANY_10, CV_5, CV_HG_20, QD_PERM, HS_70)


def facts(document_type: str = "Công văn", agency: str = "UBND-HG", **kw: object) -> RetentionFacts:
    return RetentionFacts(
        record_id="r", document_type=document_type, agency_code=agency, issue_date=date(2020, 5, 4), **kw
    )  # type: ignore[arg-type]


def test_the_most_specific_rule_wins() -> None:
    assert select_rule(RULES, facts()) == CV_HG_20
    assert select_rule(RULES, facts(agency="UBND-LC")) == CV_5
    assert select_rule(RULES, facts(document_type="Tờ trình")) == ANY_10


def test_an_explicit_code_beats_any_match() -> None:
    assert select_rule(RULES, facts(retention_code="ANY-10")) == ANY_10


def test_an_unknown_explicit_code_keeps_the_record_permanently() -> None:
    assert assign(RULES, facts(retention_code="NO-SUCH")).disposal_date is None


def test_between_equally_specific_rules_the_longer_period_wins() -> None:
    short = RetentionRule("A", "a", 5, document_types=("Công văn",))
    long = RetentionRule("B", "b", 50, document_types=("Công văn",))
    assert select_rule((short, long), facts()) == long
    assert select_rule((long, short), facts()) == long


def test_document_types_match_without_regard_to_case_or_composition() -> None:
    decomposed = "Quye\u0302\u0301t đi\u0323nh"  # "Quyết định" in NFD
    assert select_rule(RULES, facts(document_type=decomposed.upper())) == QD_PERM


def test_disposal_dates() -> None:
    assert assign(RULES, facts()).disposal_date == date(2040, 5, 4)
    assert assign(RULES, facts(document_type="Quyết định")).disposal_date is None
    assert assign((), facts()).rule_code is None


def test_a_dossier_rule_starts_when_the_dossier_closes() -> None:
    assert assign(RULES, facts(document_type="Hồ sơ")).disposal_date is None
    closed = facts(document_type="Hồ sơ", dossier_closed_on=date(2021, 12, 31))
    assert assign(RULES, closed).disposal_date == date(2091, 12, 31)


def test_leap_day_plus_years() -> None:
    assert add_years(date(2024, 2, 29), 1) == date(2025, 3, 1)
    assert add_years(date(2024, 2, 29), 4) == date(2028, 2, 29)


def test_parse_schedule_accepts_years_or_permanent() -> None:
    schedule = parse_schedule(
        {
            "rules": [
                {"code": "A", "title": "a", "years": 5, "document_types": ["Công văn"]},
                {"code": "B", "title": "b", "permanent": True, "trigger": "issue_date"},
            ],
            "dossiers": [{"code": "D", "title": "d", "closed_on": "2020-01-02"}],
        }
    )
    assert [r.period_years for r in schedule.rules] == [5, None]
    assert schedule.dossiers[0].closed_on == date(2020, 1, 2)


@pytest.mark.parametrize(
    ("rule", "field"),
    [
        ({"code": "A", "title": "a"}, "rules[0].years"),
        ({"code": "A", "title": "a", "years": 5, "permanent": True}, "rules[0].years"),
        ({"code": "A", "title": "a", "years": 0}, "rules[0].years"),
        ({"code": "A", "title": "a", "years": "10"}, "rules[0].years"),
        ({"title": "a", "years": 1}, "rules[0].code"),
        ({"code": "A", "title": "a", "years": 1, "trigger": "whenever"}, "rules[0].trigger"),
        ({"code": "A", "title": "a", "years": 1, "document_types": "Công văn"}, "rules[0].document_types"),
    ],
)
def test_parse_schedule_names_the_bad_field(rule: dict[str, object], field: str) -> None:
    with pytest.raises(MetadataInvalid) as caught:
        parse_schedule({"rules": [rule]})
    assert caught.value.field == field


def test_duplicate_codes_are_refused() -> None:
    rule = {"code": "A", "title": "a", "years": 1}
    with pytest.raises(MetadataInvalid, match="duplicate codes: A"):
        parse_schedule({"rules": [rule, rule]})
