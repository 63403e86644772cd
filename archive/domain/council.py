"""The appraisal council (Hội đồng xác định giá trị tài liệu) of a disposition batch.

Circular 06/2025/TT-BNV has an agency's appraisal council examine the list of
documents proposed for destruction before the head of the agency decides. Here a
council is the named members seated on one batch, each with a recorded vote; the
batch may be approved once the configured quorum of approving votes is reached
(``Quorum``) and, with the two-person rule on, once someone other than the
planner has approved (``council_agrees``). Who may sit, seat and vote is policy,
in ``archive.domain.access``.
"""

from __future__ import annotations

import enum
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction

from archive.domain.errors import MetadataInvalid

NAME_MAX = 200
ROLE_MAX = 200
NOTE_MAX = 2000
MEMBERS_MAX = 50


class Vote(enum.Enum):
    """A member's vote on the batch as proposed."""

    APPROVE = "approve"
    REJECT = "reject"


@dataclass(frozen=True, slots=True)
class CouncilMember:
    """One seat: a principal's subject, the person's name and role on the council
    (e.g. Chủ tịch Hội đồng, Ủy viên, Thư ký), and its vote once cast."""

    subject: str
    name: str
    role: str
    seated_by: str
    seated_at: datetime
    vote: Vote | None = None
    note: str = ""
    voted_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Quorum:
    """How many approving votes a batch needs: a fixed count, a share of the seated
    members (rounded up), or none at all (``off``: no council is required).

    Parsed from ``ARCHIVE_DESTRUCTION_QUORUM``: ``"3"`` (three approvals), ``"2/3"`` or
    ``"0.5"`` (at least that share of the members), ``"majority"`` (more than half),
    ``"0"`` (off).
    """

    count: int = 0
    share: Fraction | None = None
    strict: bool = False  # "majority": MORE than the share

    @property
    def off(self) -> bool:
        return self.share is None and self.count == 0

    def required(self, members: int) -> int:
        """Approvals needed with ``members`` seated; never fewer than one unless off."""
        if self.off:
            return 0
        if self.share is None:
            return self.count
        exact = self.share * members
        needed = math.floor(exact) + 1 if self.strict else math.ceil(exact)
        return max(1, needed)

    def describe(self) -> str:
        if self.off:
            return "off"
        if self.share is None:
            return f"{self.count} approvals"
        return f"more than {self.share} of the members" if self.strict else f"{self.share} of the members"


MAJORITY = Quorum(share=Fraction(1, 2), strict=True)
NO_QUORUM = Quorum()

_COUNT = re.compile(r"^\d{1,3}$")
_RATIO = re.compile(r"^(\d{1,3})/(\d{1,3})$")
_DECIMAL = re.compile(r"^0?\.\d{1,4}$|^1(\.0{1,4})?$")


def parse_quorum(text: str) -> Quorum:
    """A quorum setting, or MetadataInvalid naming what is allowed."""
    value = text.strip().casefold()
    if value == "majority":
        return MAJORITY
    if _COUNT.match(value):
        return Quorum(count=int(value)) if int(value) <= MEMBERS_MAX else _refuse(text)
    ratio = _RATIO.match(value)
    share = Fraction(int(ratio[1]), int(ratio[2])) if ratio and int(ratio[2]) else None
    if share is None and _DECIMAL.match(value):
        share = Fraction(value)
    if share is None or not 0 < share <= 1:
        return _refuse(text)
    return Quorum(share=share)


def _refuse(text: str) -> Quorum:
    raise MetadataInvalid(
        "ARCHIVE_DESTRUCTION_QUORUM",
        f"{text!r} is not a quorum: give a count (3), a share (2/3 or 0.5), majority, or 0 for none",
    )


@dataclass(frozen=True, slots=True)
class Tally:
    """The votes of a council against its quorum."""

    members: int
    approvals: int
    rejections: int
    required: int
    reached: bool


def tally(members: Sequence[CouncilMember], quorum: Quorum, *, planner: str, two_person: bool) -> Tally:
    """Count the votes. The quorum is reached when enough members approve and, with the
    two-person rule on, at least one of them is not the planner: the planner may sit on
    the council, but never be the only one who approves."""
    approving = [m.subject for m in members if m.vote is Vote.APPROVE]
    needed = quorum.required(len(members))
    enough = len(approving) >= needed
    if two_person and not quorum.off:
        enough = enough and any(s != planner for s in approving)
    return Tally(
        members=len(members),
        approvals=len(approving),
        rejections=sum(1 for m in members if m.vote is Vote.REJECT),
        required=needed,
        reached=enough,
    )


def clean_text(value: str, field: str, limit: int, *, required: bool = True) -> str:
    """Free text of a seat or a vote: stripped, bounded, and present when required."""
    text = value.strip()
    if required and not text:
        raise MetadataInvalid(field, "must not be empty")
    if len(text) > limit:
        raise MetadataInvalid(field, f"at most {limit} characters")
    if any(not (ch.isprintable() or ch in "\n\t") for ch in text):
        raise MetadataInvalid(field, "must not contain control characters")
    return text
