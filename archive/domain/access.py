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

from archive.domain.archival import Dossier
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

    @classmethod
    def of_dossier(cls, dossier: Dossier) -> Readable:
        """A dossier is read like a record: its agency, classification, mode; no grants."""
        return cls(
            dossier.agency_code, dossier.classification, dossier.is_public, conditional=dossier.is_conditional
        )


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


def can_add_file_version(principal: Principal, record: Readable) -> bool:
    """Whether the caller may add a corrected version of one of a record's files: one who
    could deposit it (a clerk of its agency, or an admin, cleared for its classification)
    and who may read it. Nothing is overwritten; the earlier versions stay."""
    return (
        can_write(principal, record.agency_code)
        and can_classify(principal, record.classification)
        and can_read(principal, record)
    )


def can_run_intake(principal: Principal, agency_code: str) -> bool:
    """Whether the caller may take edXML packages from the interchange in for an agency:
    whoever may deposit for it (a clerk of that agency, or an admin). What a package then
    does to a record it names (a correction, a revocation) is the intake's own doing, on
    behalf of the sender, and only ever on records the same agency holds."""
    return not principal.anonymous and can_write(principal, agency_code)


def may_deposit(principal: Principal) -> bool:
    """Whether the caller may deposit for some agency at all: checked before an
    upload's body is read, so a reader cannot make the server parse 200 MiB. A records
    manager of an agency may send one too: the papers of a disposition batch
    (``can_attach_paper``), never an ordinary deposit (``can_write``)."""
    if principal.anonymous or (not principal.agencies and Role.ADMIN not in principal.roles):
        return False
    return bool(principal.roles & {Role.ADMIN, Role.CLERK, Role.RECORDS_MANAGER})


# -- corrections, relations, revocation ------------------------------------------------------
#
# A record lives after deposit: its metadata is corrected (a new version), it is related to
# other documents, revoked or replaced. Each is a write on the record, so it is the work of
# those who may deposit for its agency (``can_write``) and read it. A correction must never
# move the record out of the corrector's reach, nor widen who may read it except by an
# admin's act: declassification (giải mật) and publication are decisions, not typo fixes.


def can_amend(principal: Principal, record: Readable) -> bool:
    """May the caller correct, relate, revoke or replace this record? It reads it, and it
    writes for the record's agency (a clerk of that agency, or an admin)."""
    return can_read(principal, record) and can_write(principal, record.agency_code)


def widens(before: Readable, after: Readable) -> bool:
    """Whether ``after`` lets some principal read a record that ``before`` kept from it:
    a lower classification, made public, or no longer of conditional use (mode 02)."""
    return (
        after.classification < before.classification
        or (after.is_public and not before.is_public)
        or (before.conditional and not after.conditional)
    )


def can_correct(principal: Principal, before: Readable, after: Readable) -> bool:
    """THE correction rule: may the caller replace ``before``'s metadata by ``after``'s?

    - it may amend the record (``can_amend``);
    - the owning agency stays (moving a record to another agency is a transfer);
    - the new classification is within the caller's clearance, so the corrector never
      loses sight of what it corrected (and the duplicate check stays exact);
    - a correction that widens who may read the record (``widens``: down-classified,
      made public, out of conditional use) is an admin's: a clerk who could do it would
      publish a secret by "correcting" a field.
    Narrowing (up to the caller's clearance) is any amender's: it hides, never leaks.
    """
    if not can_amend(principal, before) or after.agency_code != before.agency_code:
        return False
    if not can_classify(principal, after.classification):
        return False
    return not widens(before, after) or Role.ADMIN in principal.roles


def can_relate(
    principal: Principal, subject: Readable, target: Readable | None, *, changes_target: bool
) -> bool:
    """May the caller declare a relation from ``subject`` to ``target`` (None: a document
    not in the archive, named by reference)? It amends the subject; the target must be
    readable to it, and amendable too when the relation revokes or replaces the target
    (it then leaves search results or is marked for everyone who reads it)."""
    if not can_amend(principal, subject):
        return False
    if target is None:
        return True
    return can_amend(principal, target) if changes_target else can_read(principal, target)


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


# -- saved searches ----------------------------------------------------------------------------
#
# A saved search is a question, not an answer: whoever runs it gets the records THEY may
# read (``ReadScope`` of the runner). Who may see, run, share and delete one is all that
# is decided here.


def can_save_search(principal: Principal, shared_with: str | None) -> bool:
    """Any signed-in caller keeps its own searches; it may share one only with one of its
    own agencies."""
    if principal.anonymous:
        return False
    return shared_with is None or shared_with in principal.agencies


def can_use_saved_search(principal: Principal, owner: str, shared_with: str | None) -> bool:
    """See and run a saved search: its owner, or a member of the agency it is shared with."""
    if principal.anonymous:
        return False
    return owner == principal.subject or (shared_with is not None and shared_with in principal.agencies)


def can_delete_saved_search(principal: Principal, owner: str) -> bool:
    """Only its owner removes a saved search (an admin too, for a principal who left)."""
    if principal.anonymous:
        return False
    return owner == principal.subject or Role.ADMIN in principal.roles


# -- transfer to the historical archive (nộp lưu) ----------------------------------------------
#
# A transfer batch is the agency's records managers' work, like disposition: a records manager
# of the dossiers' agency within clearance, or an admin (``can_manage`` on each dossier). A
# batch is seen whole or not at all: only by who may manage EVERY dossier in it, so its
# listing, figures and minutes never reveal another agency's or a higher-classified dossier.


def can_transfer(principal: Principal, dossier: Readable) -> bool:
    """May the caller put this dossier in a transfer batch (prepare, send, accept, refuse)?
    ``can_manage`` on the dossier's own facts: its agency and classification."""
    return can_manage(principal, dossier)


def can_see_transfer(principal: Principal, dossiers: Iterable[Readable]) -> bool:
    """Whether the caller may see a batch at all (its items, figures, minutes, receipt): it
    may manage every dossier of it. Anyone else finds it exactly like a batch that does not
    exist."""
    listed = list(dossiers)
    return manages_retention(principal) and bool(listed) and all(can_transfer(principal, d) for d in listed)


def can_hand_over(principal: Principal, *, preparer: str, two_person: bool) -> bool:
    """Handing a batch over is irreversible in practice: with the two-person rule on (the
    default in production, ``can_approve_disposition``'s setting), the sender must be
    someone other than the preparer."""
    return manages_retention(principal) and (not two_person or principal.subject != preparer)


def can_export_bag(principal: Principal) -> bool:
    """Whether the caller may write a BagIt bag (original bytes and metadata, for backup or
    exchange): archivists, records managers and admins. Each record still goes through
    ``can_read``: a bag holds only what the caller could download one by one."""
    return not principal.anonymous and bool(
        principal.roles & {Role.ARCHIVIST, Role.RECORDS_MANAGER, Role.ADMIN}
    )


# -- transfer packages (Circular 05/2025) ---------------------------------------------------
#
# A package carries a dossier's (or a batch's) records out of the archive whole, bytes
# and metadata: the same people who may close and hand the dossier over may export it,
# and only when every record in it is theirs to manage. Nothing is packaged partially.


def can_export_package(principal: Principal, unit: Readable, records: Iterable[Readable]) -> bool:
    """May the caller export a transfer package of ``unit`` (a dossier, or the agency of a
    batch of loose documents) holding ``records``? A records manager of the unit's agency,
    or an admin, within clearance (``can_describe``), who may also manage every record."""
    scope = ManageScope.for_principal(principal)
    return can_describe(principal, unit) and all(scope.allows(record) for record in records)


# -- reader requests and use copies (DIP, Circular 05/2025 Appendix V) -----------------------
#
# Anyone signed in may ask for copies. An archivist (or admin) decides, and only on a
# request whose every document it may read: an id it cannot read, or that names nothing,
# looks the same and blocks the approval, so deciding never reveals a record either. A
# reader never approves its own request. The approval is what lets the reader receive
# copies of documents it could not otherwise read; nothing else it may do changes.


def can_request_access(principal: Principal) -> bool:
    """Whether the caller may ask for copies: anyone signed in (not the anonymous caller)."""
    return not principal.anonymous


def sees_every_access_request(principal: Principal) -> bool:
    """Those who decide requests (archivists, admins) see every request."""
    return not principal.anonymous and bool(principal.roles & {Role.ARCHIVIST, Role.ADMIN})


def can_see_access_request(principal: Principal, reader: str) -> bool:
    """A request is seen by its reader and by those who decide requests."""
    if principal.anonymous:
        return False
    return principal.subject == reader or sees_every_access_request(principal)


def can_decide_access_request(
    principal: Principal, *, reader: str, records: Iterable[Readable | None]
) -> bool:
    """Whether the caller may approve or refuse a request: an archivist or admin, not the
    request's own reader, who may read every requested document (``None``: an id that
    names no record, which must look like one it may not read)."""
    if principal.anonymous or not principal.roles & {Role.ARCHIVIST, Role.ADMIN}:
        return False
    if principal.subject == reader:
        return False
    return all(r is not None and can_read(principal, r) for r in records)


def can_copy_for_request(principal: Principal, record: Readable, *, reader: str, covered: bool) -> bool:
    """Whether a document goes into the use copy (DIP) ``principal`` makes for a request:
    one it may read anyway, or, for the request's reader, one the approval covers."""
    if can_read(principal, record):
        return True
    return covered and not principal.anonymous and principal.subject == reader


def can_export_for_request(principal: Principal, *, reader: str, approved: bool) -> bool:
    """Whether the caller may make the DIP of a request: only once approved, by its reader
    or by an archivist or admin (who then copies only what it may read itself)."""
    if not approved or principal.anonymous:
        return False
    return principal.subject == reader or bool(principal.roles & {Role.ARCHIVIST, Role.ADMIN})


# -- preservation (AIP) -------------------------------------------------------------------


def can_export_preservation_package(
    principal: Principal, unit: Readable, records: Iterable[Readable]
) -> bool:
    """Whether the caller may make an AIP of ``unit`` (a dossier, or the agency of loose
    documents) holding ``records``: the archive's own preservation copy carries each
    record's audit history, so it is made by those who read the audit log (archivists,
    admins) and may read the unit and every record in it."""
    if not can_read_audit(principal) or not can_read(principal, unit):
        return False
    return all(can_read(principal, r) for r in records)


def can_import_package(
    principal: Principal, agency_code: str, classifications: Iterable[Classification]
) -> bool:
    """May the caller import a received transfer package into ``agency_code``'s fonds?

    Importing creates a fonds, a dossier and records of that agency, so it is describing
    (``can_describe``) and depositing at once: an admin, or a records manager of that
    agency, whose clearance covers the dossier and every record of the package. A caller
    refused for clearance is told only that: never which records are above it.
    """
    return all(
        can_manage(principal, Readable(agency_code=agency_code, classification=c, is_public=False))
        for c in (Classification.ORDINARY, *classifications)
    )


# -- exports of a search's results --------------------------------------------------------------
#
# An export holds what its owner could read when it ran, so it is its owner's alone.


def can_export_results(principal: Principal) -> bool:
    """Any signed-in caller may export the results of its own searches."""
    return not principal.anonymous


def can_see_result_export(principal: Principal, owner: str) -> bool:
    """A result export's status and file: its owner only (not even an admin: it may hold
    records of a grant the admin's own search would not return the same way)."""
    return not principal.anonymous and principal.subject == owner


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
