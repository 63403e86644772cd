"""What the archive remembers of each edXML package it took in (one row per document).

An :class:`Intake` is written once per :class:`~archive.domain.edxml.IntakeKey`
(sender organ id, ``DocumentId``, business type): importing the same document again
finds it and does nothing. It names the record the package created or acted on,
the agencies the package passed through (``TraceHeaderList``), the envelope
signature's verdict, and whether an update or revocation still waits for the
document it names (``PENDING_TARGET``): such a package is kept as a record of its
own, so nothing received is lost, and applied when that document arrives.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from archive.domain.edxml import BusinessType, EnvelopeSignatureState, IntakeKey, TraceHop


class IntakeStatus(enum.Enum):
    """Where one package stands."""

    APPLIED = "applied"  # a new record, or the lifecycle action done on the record it names
    PENDING_TARGET = "pending_target"  # an update or revocation whose document is not archived yet


@dataclass(frozen=True, slots=True)
class Intake:
    """One package taken in."""

    id: str
    key: IntakeKey
    agency_code: str  # the receiving agency the record belongs to
    status: IntakeStatus
    record_id: str  # the record created (new, replace, pending) or acted on (update, revoke)
    target_document_id: str  # the DocumentId an update or revocation names ("" for new)
    received_at: datetime
    received_by: str
    package_sha256: str
    signature: EnvelopeSignatureState
    trace: tuple[TraceHop, ...] = ()
    reason: str = ""  # BussinessDocReason

    @property
    def business_type(self) -> BusinessType:
        return self.key.business_type


@dataclass(frozen=True, slots=True)
class IntakeOutcome:
    """What an import did: ``created`` is False when the same document was taken in
    before (the earlier intake is returned, nothing changed)."""

    intake: Intake
    created: bool
