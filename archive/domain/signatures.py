"""What the archive knows about a PDF's digital signatures, and its bottom line on each.

The verifier (``indexing.signatures``) fills these from pyHanko's findings; the
verdict rules live here so that every adapter and the API share them:

* ``INVALID``: the signed bytes were altered (not intact), the cryptographic
  signature does not verify, the signature dictionary cannot be read, or the
  document was changed after signing in a way that may alter its content
  (modification level ``OTHER``, coverage ``UNCLEAR``, or changes the signer's
  own modification policy forbids). A later incremental update that changes
  page content is therefore never ``VALID``.
* ``UNTRUSTED``: intact and cryptographically valid, but the signer's chain
  (or that of its timestamp) does not lead to a configured trust root.
* ``VALID``: everything else.

Each signature covers one revision of the file (``signed_revision`` of
``revision_count``); every incremental update after it is reported on its own
(``later_revisions``), with what it does and whether the signer's permissions
(:class:`ChangePermission`, from a certification signature's DocMDP) allow it.
Annotations such as a receipt stamp, and form filling, are allowed after an
approval signature; anything else is not, so changed text always reads INVALID.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime


class SignatureCoverage(enum.Enum):
    """How much of the file the signature's byte range covers."""

    ENTIRE_FILE = "entire_file"  # nothing was appended after signing
    ENTIRE_REVISION = "entire_revision"  # updates were appended: see the modification level
    UNCLEAR = "unclear"  # a gap or disconnected range: the signature does not reach the content


class ModificationLevel(enum.Enum):
    """What the incremental updates appended after signing do, mildest first."""

    NONE = "none"
    LTA_UPDATES = "lta_updates"  # validation data and document timestamps only
    FORM_FILLING = "form_filling"  # form fields and further signatures
    ANNOTATIONS = "annotations"
    OTHER = "other"  # anything else, content included, or changes that could not be analysed


_RANK = {
    ModificationLevel.NONE: 0,
    ModificationLevel.LTA_UPDATES: 1,
    ModificationLevel.FORM_FILLING: 2,
    ModificationLevel.ANNOTATIONS: 3,
    ModificationLevel.OTHER: 4,
}


class ChangePermission(enum.Enum):
    """What the signer lets later updates do (ISO 32000 DocMDP ``/P``).

    A certification signature states it (1, 2 or 3); an approval signature states
    nothing, which allows form filling and annotations (``ANNOTATIONS``).
    """

    NO_CHANGES = "no_changes"  # P=1: validation data and document timestamps only
    FORM_FILLING = "form_filling"  # P=2: also form filling and further signatures
    ANNOTATIONS = "annotations"  # P=3, or no DocMDP: also annotations


_PERMITTED = {
    ChangePermission.NO_CHANGES: ModificationLevel.LTA_UPDATES,
    ChangePermission.FORM_FILLING: ModificationLevel.FORM_FILLING,
    ChangePermission.ANNOTATIONS: ModificationLevel.ANNOTATIONS,
}


def permits(permission: ChangePermission, level: ModificationLevel) -> bool:
    """Whether a later update of ``level`` is within ``permission``; ``OTHER`` never is."""
    return level is not ModificationLevel.OTHER and _RANK[level] <= _RANK[_PERMITTED[permission]]


@dataclass(frozen=True, slots=True)
class RevisionChange:
    """One incremental update appended after a signature, judged against it.

    ``modification_level`` is what the file at ``revision`` changes compared with
    the signed revision (cumulative: an earlier update's changes count again).
    """

    revision: int  # from 1, the first revision of the file being 1
    modification_level: ModificationLevel
    permitted: bool


class SignatureVerdict(enum.Enum):
    """The bottom line on one signature."""

    VALID = "valid"
    INVALID = "invalid"
    UNTRUSTED = "untrusted"


@dataclass(frozen=True, slots=True)
class SignatureReport:
    """The findings on one signature field of a PDF.

    Signer fields are ``None`` when the signature could not be read at all.
    ``signing_time`` is what the signer claims (not evidence); ``timestamp_time``
    comes from an embedded RFC 3161 token, when there is one.
    """

    field_name: str
    signer_subject: str | None  # RFC 4514
    signer_common_name: str | None
    issuer: str | None  # RFC 4514
    serial: str | None  # lowercase hex, no separators
    signing_time: datetime | None
    timestamp_time: datetime | None
    intact: bool
    valid: bool
    trusted: bool
    coverage: SignatureCoverage
    modification_level: ModificationLevel
    verdict: SignatureVerdict
    summary: str
    # Unknown (None, ()) for reports stored before revisions were recorded.
    signed_revision: int | None = None  # the revision this signature covers, from 1
    revision_count: int | None = None  # revisions in the file
    permission: ChangePermission | None = None  # None: the signature could not be read
    later_revisions: tuple[RevisionChange, ...] = ()

    @property
    def changes_permitted(self) -> bool | None:
        """Whether every later update is within the signer's permission (None: unknown)."""
        if self.permission is None or self.signed_revision is None:
            return None
        return all(change.permitted for change in self.later_revisions)


def content_altered(coverage: SignatureCoverage, modification: ModificationLevel) -> bool:
    """Whether what was appended after signing may alter the signed content."""
    return coverage is SignatureCoverage.UNCLEAR or modification is ModificationLevel.OTHER


def decide_verdict(
    *, intact: bool, valid: bool, trusted: bool, modifications_allowed: bool
) -> SignatureVerdict:
    """The bottom line, from the checks in the order that matters.

    Args:
        intact: the digest of the signed byte range matches the signed one.
        valid: the cryptographic signature verifies.
        trusted: the chain leads to a configured trust root (timestamp included).
        modifications_allowed: later updates, if any, cannot alter the content
            and respect the signer's modification policy.
    """
    if not (intact and valid and modifications_allowed):
        return SignatureVerdict.INVALID
    if not trusted:
        return SignatureVerdict.UNTRUSTED
    return SignatureVerdict.VALID


@dataclass(frozen=True, slots=True)
class SignatureSummary:
    """The document-level view: is it signed, and does every signature hold."""

    signed: bool
    all_valid: bool  # False for an unsigned document: nothing vouches for it

    @classmethod
    def of(cls, reports: Sequence[SignatureReport]) -> SignatureSummary:
        """Summarise the reports of one document (an empty list: not signed)."""
        signed = bool(reports)
        all_valid = signed and all(r.verdict is SignatureVerdict.VALID for r in reports)
        return cls(signed=signed, all_valid=all_valid)
