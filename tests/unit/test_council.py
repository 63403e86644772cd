"""The appraisal council's quorum and tally, and the setting that chooses the quorum."""

from __future__ import annotations

from datetime import UTC, date, datetime
from fractions import Fraction

import pytest
from pydantic import ValidationError

from archive.domain.council import MAJORITY, NO_QUORUM, CouncilMember, Quorum, Vote, parse_quorum, tally
from archive.domain.disposition import BatchStatus, DispositionBatch, Paper, PaperKind
from archive.domain.errors import MetadataInvalid
from archive.settings import Mode, Settings

NOW = datetime(2025, 7, 1, 9, tzinfo=UTC)


def seats(*votes: tuple[str, Vote | None]) -> list[CouncilMember]:
    return [CouncilMember(s, s.title(), "Ủy viên", "rm", NOW, vote=v) for s, v in votes]


@pytest.mark.parametrize(
    ("text", "quorum"),
    [
        ("3", Quorum(count=3)),
        ("0", NO_QUORUM),
        ("2/3", Quorum(share=Fraction(2, 3))),
        ("0.5", Quorum(share=Fraction(1, 2))),
        ("1", Quorum(count=1)),
        (" Majority ", MAJORITY),
    ],
)
def test_a_quorum_parses_from_a_count_a_share_or_majority(text: str, quorum: Quorum) -> None:
    assert parse_quorum(text) == quorum


@pytest.mark.parametrize("text", ["", "-1", "3/2", "0/3", "1/0", "1.5", "half", "999", "0.33333"])
def test_anything_else_is_refused_naming_the_setting(text: str) -> None:
    with pytest.raises(MetadataInvalid) as caught:
        parse_quorum(text)
    assert caught.value.field == "ARCHIVE_DESTRUCTION_QUORUM"


@pytest.mark.parametrize(
    ("quorum", "members", "needed"),
    [(MAJORITY, 3, 2), (MAJORITY, 4, 3), (Quorum(share=Fraction(1, 2)), 4, 2), (Quorum(count=2), 5, 2)],
)
def test_required_approvals(quorum: Quorum, members: int, needed: int) -> None:
    assert quorum.required(members) == needed
    assert Quorum(share=Fraction(2, 3)).required(0) == 1  # an empty council never approves


def test_the_planner_is_never_the_only_approver_with_the_two_person_rule() -> None:
    council = seats(("planner", Vote.APPROVE), ("b", None), ("c", Vote.REJECT))
    alone = tally(council, Quorum(count=1), planner="planner", two_person=True)
    assert (alone.approvals, alone.rejections, alone.required, alone.reached) == (1, 1, 1, False)
    assert tally(council, Quorum(count=1), planner="planner", two_person=False).reached
    council[1] = CouncilMember("b", "B", "Ủy viên", "rm", NOW, vote=Vote.APPROVE)
    assert tally(council, MAJORITY, planner="planner", two_person=True).reached
    assert tally([], NO_QUORUM, planner="planner", two_person=True).reached  # no council required


def test_the_quorum_setting_defaults_by_mode_and_is_checked_at_start_up() -> None:
    assert Settings(_env_file=None).quorum == NO_QUORUM  # type: ignore[call-arg]
    production = Settings(  # type: ignore[call-arg]
        _env_file=None, mode=Mode.PRODUCTION, secret_key="s" * 40
    )
    assert production.quorum == MAJORITY
    assert (
        production.describe_quorum()
        == "destruction council quorum more than 1/2 of the members (production default)"
    )
    chosen = Settings(_env_file=None, destruction_quorum="2/3")  # type: ignore[call-arg]
    assert (
        chosen.describe_quorum()
        == "destruction council quorum 2/3 of the members (ARCHIVE_DESTRUCTION_QUORUM)"
    )
    with pytest.raises(ValidationError, match="is not a quorum"):
        Settings(_env_file=None, destruction_quorum="most")  # type: ignore[call-arg]


def test_the_minutes_are_due_fifteen_days_after_the_decision() -> None:
    batch = DispositionBatch("b", BatchStatus.APPROVED, "p", NOW, NOW.date(), decided_on=date(2025, 7, 1))
    assert batch.minutes_due == date(2025, 7, 16)
    assert not batch.minutes_overdue(date(2025, 7, 16)) and batch.minutes_overdue(date(2025, 7, 17))
    minutes = Paper(PaperKind.DESTRUCTION_MINUTES, "r", "A", 0, date(2025, 7, 10), "rm", NOW)
    done = DispositionBatch(
        "b", BatchStatus.EXECUTED, "p", NOW, NOW.date(), decided_on=date(2025, 7, 1), papers=(minutes,)
    )
    assert not done.minutes_overdue(date(2025, 8, 1))
    assert DispositionBatch("b", BatchStatus.PROPOSED, "p", NOW, NOW.date()).minutes_due is None


def test_a_records_manager_of_an_agency_may_send_an_upload_for_a_batch_paper() -> None:
    from archive.domain.access import Principal, Role, can_write, may_deposit

    manager = Principal("rm", frozenset({Role.RECORDS_MANAGER}), frozenset({"A"}))
    assert may_deposit(manager) and not can_write(manager, "A")  # papers only, never a plain deposit
    assert not may_deposit(Principal("rm", frozenset({Role.RECORDS_MANAGER})))
    assert not may_deposit(Principal("r", frozenset({Role.READER}), frozenset({"A"})))
