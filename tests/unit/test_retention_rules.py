"""Which rule governs a record, and its disposal date."""

from __future__ import annotations

from datetime import date

import pytest

from archive.domain.errors import MetadataInvalid
from archive.domain.retention import (
    Assignment,
    RetentionFacts,
    RetentionRule,
    Trigger,
    assign,
    eligible_from,
    parse_schedule,
    select_rule,
)
from archive.domain.tiers import Tier, declared_tier, tier_of

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
    assert assign(RULES, facts()).disposal_date == date(2041, 1, 1)  # issued 2020, 20 years
    assert assign(RULES, facts(document_type="Quyết định")).disposal_date is None
    assert assign((), facts()).rule_code is None


def test_a_dossier_rule_starts_when_the_dossier_closes() -> None:
    assert assign(RULES, facts(document_type="Hồ sơ")).disposal_date is None
    closed = facts(document_type="Hồ sơ", dossier_closed_on=date(2021, 12, 31))
    assert assign(RULES, closed).disposal_date == date(2092, 1, 1)


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


# -- counting from the year of completion (Circular 10/2022/TT-BNV) ----------------------


@pytest.mark.parametrize(
    ("completed", "years", "eligible"),
    [
        (date(2026, 1, 1), 10, date(2037, 1, 1)),  # the issue's example: closed in 2026, 10 years
        (date(2026, 12, 31), 10, date(2037, 1, 1)),  # the day inside the year does not matter
        (date(2024, 2, 29), 10, date(2035, 1, 1)),  # a leap day needs no special case
        (date(2024, 2, 29), 4, date(2029, 1, 1)),
        (date(2023, 3, 1), 1, date(2025, 1, 1)),
        (date(9900, 6, 1), 200, None),  # past the calendar: kept, never an error
    ],
)
def test_eligible_from_1_january_after_the_year_of_completion_plus_the_period(
    completed: date, years: int, eligible: date | None
) -> None:
    assert eligible_from(completed, years) == eligible


def test_a_dossier_closed_in_2026_under_a_10_year_rule_is_eligible_on_1_january_2037() -> None:
    rule = RetentionRule("HS-10", "Hồ sơ", 10, trigger=Trigger.DOSSIER_CLOSE)
    for closed in (date(2026, 1, 1), date(2026, 7, 15), date(2026, 12, 31)):
        found = assign([rule], facts(dossier_closed_on=closed, in_dossier=True))
        assert found == Assignment("HS-10", date(2037, 1, 1), "06")
    assert assign([rule], facts(in_dossier=True)).disposal_date is None  # still open: not started


def test_issue_date_rules_count_the_same_way() -> None:
    rule = RetentionRule("CV-10", "Công văn", 10)
    leap = RetentionFacts("r", "Công văn", "A", issue_date=date(2024, 2, 29))
    assert assign([rule], leap).disposal_date == date(2035, 1, 1)
    new_year = RetentionFacts("r", "Công văn", "A", issue_date=date(2024, 1, 1))
    assert assign([rule], new_year).disposal_date == date(2035, 1, 1)


# -- tiers: the retention codes 01-07 -------------------------------------------------------


@pytest.mark.parametrize(
    ("years", "tier"), [(None, "01"), (70, "02"), (50, "03"), (30, "04"), (20, "05"), (10, "06"), (5, "07")]
)
def test_every_rule_has_the_tier_of_its_period(years: int | None, tier: str) -> None:
    assert tier_of(years) == tier
    assert RetentionRule("R", "r", years).maintenance == tier


def test_declared_tiers_come_from_the_code_list() -> None:
    assert declared_tier("04") == Tier("04", 30)
    assert declared_tier("01") == Tier("01", None)
    assert declared_tier("07") is None  # other: the schedule rule decides
    assert declared_tier("CV-10") is None and declared_tier(None) is None


def test_a_tier_code_with_no_rule_keeps_the_record_for_that_tier() -> None:
    found = assign((), facts(retention_code="04"))  # issued 2020, 30 years
    assert found == Assignment(None, date(2051, 1, 1), "04")
    assert assign((), facts(retention_code="01")) == Assignment(None, None, "01")
    assert assign((), facts(retention_code="01")).permanent


def test_a_declared_tier_shorter_than_the_matching_rule_never_destroys_early() -> None:
    found = assign(RULES, facts(document_type="Quyết định", retention_code="06"))
    assert found == Assignment("QD", None, "01")  # the permanent rule wins over 10 years
    longer = assign(RULES, facts(retention_code="02"))  # CV-HG-20 gives 20, the tier 70
    assert longer == Assignment(None, date(2091, 1, 1), "02")


def test_on_a_tie_the_rule_wins_because_it_carries_the_legal_basis() -> None:
    rule = RetentionRule("CV-10", "Công văn", 10, document_types=("Công văn",), legal_basis="TT10, mục 12.6")
    assert assign([rule], facts(retention_code="06")) == Assignment("CV-10", date(2031, 1, 1), "06")


def test_other_means_the_schedule_rule_decides() -> None:
    assert assign(RULES, facts(retention_code="07")) == assign(RULES, facts())
    assert assign((), facts(retention_code="07")) == Assignment(None, None, "01")  # no rule: keep


def test_a_rule_named_like_a_tier_is_named_by_that_code() -> None:
    rule = RetentionRule("06", "Quy tắc 06", 15)
    found = assign([rule, QD_PERM], facts(document_type="Quyết định", retention_code="06"))
    assert found == Assignment("06", date(2036, 1, 1), "07")  # the explicit rule, 15 years: tier 07


def test_the_dossier_tier_counts_from_its_close_and_the_longest_claim_wins() -> None:
    in_open = facts(in_dossier=True, dossier_maintenance="01")
    assert assign(RULES, in_open) == Assignment(None, None, "01")
    closed = facts(in_dossier=True, dossier_closed_on=date(2026, 3, 1), dossier_maintenance="06")
    assert assign(RULES, closed) == Assignment("CV-HG-20", date(2041, 1, 1), "05")  # 20 from 2020 is longer
    longer = facts(in_dossier=True, dossier_closed_on=date(2026, 3, 1), dossier_maintenance="03")
    assert assign(RULES, longer) == Assignment(None, date(2077, 1, 1), "03")
    record_tier = facts(in_dossier=True, dossier_closed_on=date(2026, 3, 1), retention_code="04")
    assert assign((), record_tier) == Assignment(None, date(2057, 1, 1), "04")


def test_an_open_dossier_outranks_any_date_until_it_closes() -> None:
    opened = facts(in_dossier=True, dossier_maintenance="06")
    assert assign(RULES, opened) == Assignment(None, None, "06")
    assert not assign(RULES, opened).permanent and assign(RULES, opened).undated


def test_a_dossier_tier_is_ignored_for_a_record_outside_the_dossier() -> None:
    assert assign(RULES, facts(dossier_maintenance="01")) == assign(RULES, facts())


# -- schedules: names, legal basis, tiers in files ----------------------------------------

TT10 = {
    "schedule": {"name": "TT10-2022", "title": "Thời hạn bảo quản", "basis": "Thông tư 10/2022/TT-BNV"},
    "rules": [
        {"code": "TT10-1.5", "title": "Kế hoạch năm", "maintenance": "01", "item": "1.5"},
        {"code": "TT10-12.6", "title": "Công văn", "maintenance": "10 năm", "item": "12.6"},
        {"code": "TT10-12.9", "title": "Giấy mời", "maintenance": "07", "years": 5, "legal_basis": "Khác"},
        {"code": "TT10-X", "title": "Báo cáo quý", "years": 30},
    ],
}
SECTOR = {
    "schedule": {"name": "TT-YTE", "basis": "Thông tư 53/2017/TT-BYT"},
    "rules": [{"code": "YTE-2.1", "title": "Hồ sơ bệnh án", "years": 20, "item": "2.1"}],
}


def test_a_schedule_names_itself_and_each_rule_carries_its_legal_basis() -> None:
    schedule = parse_schedule(TT10)
    assert (schedule.name, schedule.basis) == ("TT10-2022", "Thông tư 10/2022/TT-BNV")
    assert {r.schedule for r in schedule.rules} == {"TT10-2022"}
    assert [r.legal_basis for r in schedule.rules] == [
        "Thông tư 10/2022/TT-BNV, mục 1.5",
        "Thông tư 10/2022/TT-BNV, mục 12.6",
        "Khác",
        "Thông tư 10/2022/TT-BNV",  # no item: the schedule's basis
    ]
    assert [(r.period_years, r.maintenance) for r in schedule.rules] == [
        (None, "01"),
        (10, "06"),
        (5, "07"),
        (30, "04"),
    ]


def test_two_schedules_side_by_side_and_a_file_without_a_name() -> None:
    tt10, sector = parse_schedule(TT10), parse_schedule(SECTOR)
    assert sector.rules[0].schedule == "TT-YTE"
    assert sector.rules[0].legal_basis == "Thông tư 53/2017/TT-BYT, mục 2.1"
    assert not {r.code for r in tt10.rules} & {r.code for r in sector.rules}
    legacy = parse_schedule({"rules": [{"code": "A", "title": "a", "years": 5}]})
    assert (legacy.name, legacy.rules[0].schedule, legacy.rules[0].legal_basis) == ("default", "default", "")


@pytest.mark.parametrize(
    ("rule", "field"),
    [
        ({"code": "A", "title": "a", "maintenance": "07"}, "rules[0].maintenance"),  # other needs years
        ({"code": "A", "title": "a", "maintenance": "07", "years": 10}, "rules[0].maintenance"),  # that is 06
        ({"code": "A", "title": "a", "maintenance": "06", "years": 20}, "rules[0].maintenance"),
        ({"code": "A", "title": "a", "maintenance": "06", "permanent": True}, "rules[0].maintenance"),
        ({"code": "A", "title": "a", "maintenance": "99"}, "rules[0].maintenance"),
        ({"code": "A", "title": "a", "maintenance": 6}, "rules[0].maintenance"),
        ({"code": "A", "title": "a", "years": 5, "item": "1.1"}, "rules[0].item"),  # no schedule basis
        ({"code": "A", "title": "a", "years": 5, "legal_basis": "x" * 301}, "legal_basis"),
    ],
)
def test_tiers_and_legal_bases_in_a_file_are_checked(rule: dict[str, object], field: str) -> None:
    with pytest.raises(MetadataInvalid) as caught:
        parse_schedule({"rules": [rule]})
    assert caught.value.field == field


def test_an_unknown_tier_lists_the_allowed_codes() -> None:
    with pytest.raises(MetadataInvalid, match=r"01 \(Vĩnh viễn\).*07 \(Khác\)"):
        parse_schedule({"rules": [{"code": "A", "title": "a", "maintenance": "forever"}]})


@pytest.mark.parametrize("header", ["TT10", {"title": "no name"}, {"name": "x" * 61}])
def test_a_bad_schedule_header_is_refused(header: object) -> None:
    with pytest.raises(MetadataInvalid) as caught:
        parse_schedule({"schedule": header, "rules": [{"code": "A", "title": "a", "years": 5}]})
    assert caught.value.field.startswith("schedule")
