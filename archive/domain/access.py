"""Who may read what: the one rule, and the scope the adapters compile from it.

``can_read`` is the rule. ``ReadScope`` is the same rule in a form that the SQL
and search adapters turn into a filter inside their own queries, so a record the
caller may not read never reaches a hit, a count, a facet or a highlight. A
property-based test checks that all three agree.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from archive.domain.records import Classification


class Role(enum.Enum):
    """What a principal may do."""

    READER = "reader"
    CLERK = "clerk"
    ARCHIVIST = "archivist"
    RECORDS_MANAGER = "records_manager"
    ADMIN = "admin"


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated caller (or the anonymous one)."""

    subject: str  # "anonymous", a token's sub, or "apikey:<id>"
    roles: frozenset[Role] = frozenset()
    agencies: frozenset[str] = frozenset()
    clearance: Classification = Classification.ORDINARY
    anonymous: bool = False

    @property
    def grantee_keys(self) -> frozenset[str]:
        """The grant keys that name this principal: itself and each of its agencies."""
        keys = {f"agency:{a}" for a in self.agencies}
        if not self.anonymous:
            keys.add(f"user:{self.subject}")
        return frozenset(keys)

    @property
    def reads_across_agencies(self) -> bool:
        return bool(self.roles & {Role.ARCHIVIST, Role.ADMIN})


ANONYMOUS = Principal(subject="anonymous", anonymous=True)


@dataclass(frozen=True, slots=True)
class Readable:
    """The facts about a record that decide who may read it."""

    agency_code: str
    classification: Classification
    is_public: bool
    grants: tuple[str, ...] = ()


def can_read(principal: Principal, record: Readable) -> bool:
    """THE read rule.

    A record is readable when it is public; or when the caller's clearance is at
    least the record's classification and the record belongs to one of the
    caller's agencies, is granted to the caller or one of its agencies, or the
    caller reads across agencies (archivist, admin).
    """
    if record.is_public:
        return True
    if principal.anonymous or principal.clearance < record.classification:
        return False
    return (
        record.agency_code in principal.agencies
        or bool(principal.grantee_keys.intersection(record.grants))
        or principal.reads_across_agencies
    )


def can_write(principal: Principal, agency_code: str) -> bool:
    """Whether the caller may deposit into, or grant access to, an agency's records:
    an admin, or a clerk of that agency."""
    if Role.ADMIN in principal.roles:
        return True
    return Role.CLERK in principal.roles and agency_code in principal.agencies


def can_read_audit(principal: Principal) -> bool:
    """Archivists and admins read the audit log; nobody else does."""
    return bool(principal.roles & {Role.ARCHIVIST, Role.ADMIN})


GRANTEE_KINDS = ("user", "agency")


def is_grantee_key(key: str) -> bool:
    """``user:<subject>`` or ``agency:<code>``, without blanks, at most 200 characters."""
    kind, sep, name = key.partition(":")
    return (
        bool(sep)
        and kind in GRANTEE_KINDS
        and bool(name)
        and len(key) <= 200
        and name == "".join(name.split())
    )


@dataclass(frozen=True, slots=True)
class ReadScope:
    """``can_read`` for one principal, in the shape adapters compile to filters.

    A record matches when ``is_public`` is true, or when all of these hold:
    ``not public_only``; ``classification <= max_classification``; and
    ``all_agencies`` or ``agency_code in agencies`` or ``grants`` shares a key
    with ``grantee_keys``.
    """

    public_only: bool
    max_classification: Classification
    all_agencies: bool
    agencies: frozenset[str]
    grantee_keys: frozenset[str]

    @classmethod
    def for_principal(cls, principal: Principal) -> ReadScope:
        return cls(
            public_only=principal.anonymous,
            max_classification=principal.clearance,
            all_agencies=principal.reads_across_agencies,
            agencies=principal.agencies,
            grantee_keys=principal.grantee_keys,
        )

    def allows(self, record: Readable) -> bool:
        """The scope evaluated in Python; agrees with ``can_read`` by construction and test."""
        if record.is_public:
            return True
        if self.public_only or record.classification > self.max_classification:
            return False
        return (
            self.all_agencies
            or record.agency_code in self.agencies
            or bool(self.grantee_keys.intersection(record.grants))
        )


UNRESTRICTED = ReadScope(
    public_only=False,
    max_classification=Classification.TOP_SECRET,
    all_agencies=True,
    agencies=frozenset(),
    grantee_keys=frozenset(),
)
"""For system work (worker, reindex, reconcile), never for a caller."""
