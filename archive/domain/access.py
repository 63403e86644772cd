"""Who may read what: the one rule, and the scope the adapters compile from it.

``can_read`` is the rule. ``ReadScope`` is the same rule in a form that the SQL
and search adapters turn into a filter inside their own queries, so a record the
caller may not read never reaches a hit, a count, a facet or a highlight. A
property-based test checks that all three agree.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass

from archive.domain.records import Classification, Record


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

    @property
    def reads_conditional_across_agencies(self) -> bool:
        """Admins: they may grant any record to anyone (``can_write``), so withholding
        conditional-use records from them would only make them grant themselves."""
        return Role.ADMIN in self.roles


ANONYMOUS = Principal(subject="anonymous", anonymous=True)

# Actor names the service itself gives: the anonymous caller, refused credentials, the
# development admin, the legacy importer; and prefixes for API keys, local (CLI)
# operators and the service's own jobs. An identity provider's subject must never be
# one of them, or it could pose as them in the audit log.
RESERVED_SUBJECTS = frozenset({"anonymous", "unauthenticated", "dev-admin", "importer", "system"})
RESERVED_PREFIXES = ("apikey:", "local:", "cli:", "system:")
MAX_SUBJECT_LENGTH = 200


def is_external_subject(subject: str) -> bool:
    """Whether a subject from outside (a token's ``sub``) may name a principal: 1 to 200
    characters, no whitespace, control or format characters (bidi overrides), and not
    a reserved actor name or prefix, in any letter case."""
    if not subject or len(subject) > MAX_SUBJECT_LENGTH:
        return False
    if any(ch.isspace() or not ch.isprintable() for ch in subject):
        return False
    folded = subject.casefold()
    return folded not in RESERVED_SUBJECTS and not folded.startswith(RESERVED_PREFIXES)


@dataclass(frozen=True, slots=True)
class Readable:
    """The facts about a record that decide who may read it."""

    agency_code: str
    classification: Classification
    is_public: bool
    grants: tuple[str, ...] = ()
    conditional: bool = False  # mode 02, sử dụng có điều kiện (Circular 05/2025)

    @classmethod
    def of(cls, record: Record) -> Readable:
        m = record.metadata
        return cls(record.agency_code, m.classification, m.is_public, record.grants, m.is_conditional)


def can_read(principal: Principal, record: Readable) -> bool:
    """THE read rule.

    A record is readable when it is public; or when the caller's clearance is at
    least the record's classification and the record belongs to one of the
    caller's agencies, is granted to the caller or one of its agencies, or the
    caller reads across agencies (archivist, admin).

    A record of mode 02 (conditional use, Circular 05/2025) is never public and is
    read across agencies only with a grant: its own agency reads it as any of its
    records, a grantee reads it (the grant records the approved request; the
    owning agency's clerks or an admin give it), an admin reads it, and an
    archivist of another agency reads it only once granted. Clearance still applies.
    """
    if record.is_public:
        return True
    if principal.anonymous or principal.clearance < record.classification:
        return False
    across = (
        principal.reads_conditional_across_agencies if record.conditional else principal.reads_across_agencies
    )
    return (
        record.agency_code in principal.agencies
        or bool(principal.grantee_keys.intersection(record.grants))
        or across
    )


# -- fonds and dossiers ----------------------------------------------------------------------
#
# A dossier is read like a record: by its agency (the fonds's), its classification and
# whether it is public (mode 01). Its derived figures (documents, pages, dates) count only
# the members the caller may read, so a dossier never reveals a record by its numbers.
# Describing a fonds or a dossier (create, update, close, place records in it) is a
# records manager's work for its own agencies within clearance, or an admin's.


def can_read_dossier(principal: Principal, dossier: Readable) -> bool:
    """THE dossier read rule: ``can_read`` applied to the dossier's own facts."""
    return can_read(principal, dossier)


def can_describe(principal: Principal, unit: Readable) -> bool:
    """May the caller create or change a fonds or dossier of ``unit.agency_code``, close,
    reopen or hand it over, and place records in it? A records manager of that agency or an
    admin, whose clearance covers the unit's classification (``can_manage``)."""
    return can_manage(principal, unit)


def can_read_fonds(principal: Principal, agency_code: str) -> bool:
    """A fonds's description is visible to the agency it belongs to and to those who read
    across agencies (archivists, admins); its counts still go through ``can_read``."""
    if principal.anonymous:
        return False
    return agency_code in principal.agencies or principal.reads_across_agencies


# -- writes ---------------------------------------------------------------------------------
#
# Deposits, imports and grants. A clerk writes for its own agencies; an admin for any.


def can_write(principal: Principal, agency_code: str) -> bool:
    """Whether the caller may deposit into, or grant access to, an agency's records:
    an admin, or a clerk of that agency."""
    if Role.ADMIN in principal.roles:
        return True
    return Role.CLERK in principal.roles and agency_code in principal.agencies


def can_classify(principal: Principal, classification: Classification) -> bool:
    """Whether the caller may deposit a record at this classification: only up to its own
    clearance. A depositor never loses sight of what it archived, and the duplicate
    check (which only names records the depositor may read) stays exact."""
    return classification <= principal.clearance


def may_deposit(principal: Principal) -> bool:
    """Whether the caller may deposit for some agency at all: checked before an
    upload's body is read, so a reader cannot make the server parse 200 MiB. A records
    manager of an agency may send one too: the papers of a disposition batch
    (``can_attach_paper``), never an ordinary deposit (``can_write``)."""
    if principal.anonymous or (not principal.agencies and Role.ADMIN not in principal.roles):
        return False
    return bool(principal.roles & {Role.ADMIN, Role.CLERK, Role.RECORDS_MANAGER})


# -- retention, holds, disposition, tombstones -------------------------------------------------
#
# Records managers are PER AGENCY, like reads: a records manager manages the records
# of its own agencies whose classification its clearance covers. An admin manages
# every agency's records, still within its clearance. Nobody manages (holds, plans,
# approves, destroys) a record it could not read.


def manages_retention(principal: Principal) -> bool:
    """Whether the caller may use the retention surface at all (schedule, holds,
    disposition): a records manager or an admin."""
    return not principal.anonymous and bool(principal.roles & {Role.RECORDS_MANAGER, Role.ADMIN})


@dataclass(frozen=True, slots=True)
class ManageScope:
    """``can_manage`` for one principal, in the shape adapters compile to filters.

    A record matches when ``classification <= max_classification`` and
    (``all_agencies`` or ``agency_code in agencies``). ``nothing`` matches no record.
    """

    nothing: bool
    all_agencies: bool
    agencies: frozenset[str]
    max_classification: Classification

    @classmethod
    def for_principal(cls, principal: Principal) -> ManageScope:
        return cls(
            nothing=not manages_retention(principal),
            all_agencies=Role.ADMIN in principal.roles,
            agencies=principal.agencies,
            max_classification=principal.clearance,
        )

    def allows(self, record: Readable) -> bool:
        if self.nothing or record.classification > self.max_classification:
            return False
        return self.all_agencies or record.agency_code in self.agencies


def can_manage(principal: Principal, record: Readable) -> bool:
    """THE retention rule: may the caller hold, plan, approve or destroy this record?

    A records manager of the record's owning agency, or an admin, whose clearance
    covers the record's classification. Implies ``can_read``.
    """
    return ManageScope.for_principal(principal).allows(record)


MANAGE_ALL = ManageScope(
    nothing=False, all_agencies=True, agencies=frozenset(), max_classification=Classification.TOP_SECRET
)
"""For system work (sealing, the purge's own bookkeeping), never for a caller."""


def can_change_rule(principal: Principal, agencies: tuple[str, ...]) -> bool:
    """Whether the caller may create, replace or delete a retention rule covering ``agencies``
    (empty: every agency). A rule moves the disposal date of every record it matches, so
    a records manager changes only rules confined to its own agencies; catch-all rules
    and other agencies' rules are an admin's."""
    if not manages_retention(principal):
        return False
    if Role.ADMIN in principal.roles:
        return True
    return bool(agencies) and set(agencies) <= principal.agencies


def can_approve_disposition(principal: Principal, *, planner: str, two_person: bool) -> bool:
    """Destruction is irreversible: with the two-person rule on (the default in
    production), the approver must be someone other than the planner."""
    if not manages_retention(principal):
        return False
    return not two_person or principal.subject != planner


# -- destruction under Circular 06/2025: review, council, papers ----------------------------
#
# A batch's council, note and papers belong to the people who may manage EVERY record of
# it; its council members must be able to see every record they judge. So nobody learns
# of another agency's classified record by sitting on, seating or voting in a council.


def can_sit_on_council(principal: Principal, record: Readable) -> bool:
    """Whether the caller may judge this record on an appraisal council: someone who could
    manage it, or an archivist (the archive's appraisers read across agencies) cleared
    for its classification. Anyone else never sees the batch, so never votes on it."""
    if can_manage(principal, record):
        return True
    return (
        not principal.anonymous
        and Role.ARCHIVIST in principal.roles
        and principal.clearance >= record.classification
    )


def can_convene_council(principal: Principal, records: Iterable[Readable]) -> bool:
    """Whether the caller may seat or unseat council members, write the explanatory note,
    and attach the council's minutes or the decision: a records manager (or admin) who may
    manage every record of the batch."""
    return manages_retention(principal) and all(can_manage(principal, r) for r in records)


def can_vote(principal: Principal, members: Iterable[str], records: Iterable[Readable]) -> bool:
    """Whether the caller may cast (or change) a vote: it holds a seat on the council, by
    its subject, and may sit in judgement of every record of the batch as it is now."""
    if principal.anonymous or principal.subject not in set(members):
        return False
    return all(can_sit_on_council(principal, r) for r in records)


def can_attach_paper(principal: Principal, records: Iterable[Readable], agency_code: str) -> bool:
    """Whether the caller may deposit a paper of the batch (minutes, decision) as a record of
    ``agency_code``: it convenes the council, and manages that agency's records (an admin
    any agency's). The paper is a record of that agency, kept under WORM like any other."""
    if not can_convene_council(principal, records):
        return False
    return Role.ADMIN in principal.roles or agency_code in principal.agencies


def can_see_review_details(principal: Principal, record: Readable) -> bool:
    """What ``Record.destructionReview`` shows beyond the bare status: the batch, the
    disposal reason and the kept copy of a duplicate are for those who may manage the
    record. A reader sees only that the record is under review: the reason
    "duplicate" would tell it that a copy exists, which it may not be allowed to read."""
    return can_manage(principal, record)


def can_read_tombstone(principal: Principal, record: Readable) -> bool:
    """What remains of a destroyed record: readable by those who could manage it,
    and by archivists cleared for its classification."""
    if can_manage(principal, record):
        return True
    return (
        not principal.anonymous
        and Role.ARCHIVIST in principal.roles
        and principal.clearance >= record.classification
    )


# -- trusted documents (persisted operations) --------------------------------------------------


def manages_trusted_documents(principal: Principal) -> bool:
    """Listing GraphQL documents decides what portals may run: admins only."""
    return Role.ADMIN in principal.roles


def may_run_untrusted_documents(principal: Principal) -> bool:
    """Whether ``principal`` may run a document that is not listed where the deployment
    requires listed ones (``ARCHIVE_TRUSTED_DOCUMENTS=required``).

    Anonymous callers and API keys (portals, whose keys live in servers and browsers
    that can leak) run listed documents only; admins run anything, whatever their
    credential; people signed in with a bearer token (staff tools) run anything.
    """
    if Role.ADMIN in principal.roles:
        return True
    return not principal.anonymous and not principal.subject.startswith("apikey:")


# -- events: webhooks and the changes feed -----------------------------------------------------
#
# Events are derived from the audit chain (``archive.domain.events``). Whoever hears of an
# event, by webhook or from the changes feed, hears only of what it may read now: a record
# or dossier under the read rule, a destroyed record under the tombstone rule. The check
# runs at delivery time (a grant revoked meanwhile withholds the event), against the
# subscription's OWNING principal, not against the admin who made it.


def manages_webhooks(principal: Principal) -> bool:
    """Creating, changing and removing webhook subscriptions, reading their delivery log and
    redelivering: admins only (a subscription sends data out of the archive)."""
    return not principal.anonymous and Role.ADMIN in principal.roles


def can_own_subscription(manager: Principal, owner: Principal) -> bool:
    """Whether ``manager`` may make a subscription that acts for ``owner``: an admin, for an
    owner whose clearance its own covers (so nobody hears, through a subscription, of
    records above its clearance)."""
    return manages_webhooks(manager) and owner.clearance <= manager.clearance


def can_see_event(
    principal: Principal, subject: Readable | None, *, destroyed: bool = False, transfer: bool = False
) -> bool:
    """THE event rule: may ``principal`` hear of an event about ``subject``?

    A record or dossier event: when it may read the subject now (``can_read``; dossiers
    are read like records), or, once the record is destroyed, its tombstone
    (``can_read_tombstone``). A subject that no longer exists in any form (``None``) is
    seen by nobody. A transfer event (a hand-over between archives, about many
    dossiers at once) is seen by admins only.
    """
    if transfer:
        return not principal.anonymous and Role.ADMIN in principal.roles
    if subject is None:
        return False
    return can_read_tombstone(principal, subject) if destroyed else can_read(principal, subject)


# -- audit ----------------------------------------------------------------------------------


def can_read_audit(principal: Principal) -> bool:
    """Archivists and admins read the audit log; nobody else does."""
    return bool(principal.roles & {Role.ARCHIVIST, Role.ADMIN})


def can_seal_audit(principal: Principal) -> bool:
    """Sealing the audit chain's head (after an upgrade from an unkeyed chain) vouches for
    the whole chain up to it: admins only."""
    return not principal.anonymous and Role.ADMIN in principal.roles


def can_read_audit_entry(principal: Principal, subject: Readable | None, *, destroyed: bool = False) -> bool:
    """One audit entry: an auditor sees an entry about a record only when it may
    read that record (or, once destroyed, its tombstone); entries about no record
    (logins, rule changes) need only the auditor role."""
    if not can_read_audit(principal):
        return False
    if subject is None:
        return True
    return can_read_tombstone(principal, subject) if destroyed else can_read(principal, subject)


@dataclass(frozen=True, slots=True)
class AuditScope:
    """``can_read_audit_entry`` for one principal, in the shape adapters compile to filters.

    An entry about no record matches when ``nothing`` is false. An entry about
    records matches when one of them is readable (``records``), or destroyed with a
    readable tombstone (``tombstones``). An id that names neither a record nor a
    tombstone is shown only to ``everything`` auditors: to anyone else it must look
    exactly like a record it may not read.
    """

    nothing: bool
    everything: bool
    records: ReadScope
    tombstones: ManageScope
    archivist_clearance: Classification | None  # archivists read tombstones up to this level

    @classmethod
    def for_principal(cls, principal: Principal) -> AuditScope:
        auditor = can_read_audit(principal)
        return cls(
            nothing=not auditor,
            # Only an auditor who reads every record: a TOP_SECRET archivist still may not
            # read other agencies' conditional-use records, nor learn of their entries.
            everything=auditor and ReadScope.for_principal(principal).reads_everything,
            records=ReadScope.for_principal(principal),
            tombstones=ManageScope.for_principal(principal),
            archivist_clearance=principal.clearance if Role.ARCHIVIST in principal.roles else None,
        )

    def allows_tombstone(self, record: Readable) -> bool:
        """``can_read_tombstone``, evaluated from the scope."""
        if self.tombstones.allows(record):
            return True
        return self.archivist_clearance is not None and record.classification <= self.archivist_clearance

    def allows(self, subject: Readable | None, *, destroyed: bool = False) -> bool:
        """One subject of an entry; agrees with ``can_read_audit_entry`` by construction and test."""
        if self.nothing:
            return False
        if subject is None:
            return True
        return self.allows_tombstone(subject) if destroyed else self.records.allows(subject)

    def allows_unknown(self) -> bool:
        """An id that names no record and no tombstone (never deposited, or made up)."""
        return not self.nothing and self.everything


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
    ``agency_code in agencies`` or ``grants`` shares a key with ``grantee_keys``
    or ``all_agencies`` and (``all_conditional`` or the record is not
    ``conditional``, i.e. of mode 02).
    """

    public_only: bool
    max_classification: Classification
    all_agencies: bool
    agencies: frozenset[str]
    grantee_keys: frozenset[str]
    all_conditional: bool = False  # all_agencies reaches conditional-use records too (admins)

    @classmethod
    def for_principal(cls, principal: Principal) -> ReadScope:
        return cls(
            public_only=principal.anonymous,
            max_classification=principal.clearance,
            all_agencies=principal.reads_across_agencies,
            agencies=principal.agencies,
            grantee_keys=principal.grantee_keys,
            all_conditional=principal.reads_across_agencies and principal.reads_conditional_across_agencies,
        )

    @property
    def reads_everything(self) -> bool:
        """Whether the scope allows every record there is."""
        return (
            not self.public_only
            and self.max_classification == Classification.TOP_SECRET
            and self.all_agencies
            and self.all_conditional
        )

    def allows(self, record: Readable) -> bool:
        """The scope evaluated in Python; agrees with ``can_read`` by construction and test."""
        if record.is_public:
            return True
        if self.public_only or record.classification > self.max_classification:
            return False
        return (
            (self.all_agencies and (self.all_conditional or not record.conditional))
            or record.agency_code in self.agencies
            or bool(self.grantee_keys.intersection(record.grants))
        )


UNRESTRICTED = ReadScope(
    public_only=False,
    max_classification=Classification.TOP_SECRET,
    all_agencies=True,
    agencies=frozenset(),
    grantee_keys=frozenset(),
    all_conditional=True,
)
"""For system work (worker, reindex, reconcile), never for a caller."""
