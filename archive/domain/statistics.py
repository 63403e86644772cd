"""Statistics for archivists: how many records and dossiers the archive holds, by one
dimension at a time, and how often records were accessed (Circular 01/2019/TT-BNV asks
an electronic archive for both).

Every figure counts only what the caller may read: record counts under ``can_read``
(its ``ReadScope``), dossier counts under ``can_read_dossier``, access counts only for
those who read the audit log and only over entries ``can_read_audit_entry`` would show.
A count is itself information, so no figure may include a record the caller could not
find by id.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class RecordDimension(enum.Enum):
    """What record counts are grouped by."""

    AGENCY = "agency"  # the owning agency
    DOCUMENT_TYPE = "document_type"  # tên loại văn bản code (01-32)
    YEAR = "year"  # year of issue
    CLASSIFICATION = "classification"  # độ mật
    RETENTION_TIER = "retention_tier"  # the computed tier (maintenance code 01-07)
    FONDS = "fonds"  # the fonds id


class DossierDimension(enum.Enum):
    """What dossier counts are grouped by."""

    AGENCY = "agency"
    YEAR = "year"  # the year the dossier was formed
    CLASSIFICATION = "classification"
    RETENTION_TIER = "retention_tier"  # the dossier's maintenance code
    STATUS = "status"  # open, closed, in the agency archive, transferred


# What counts as an access: a non-public record shown, its bytes issued or served. Reads
# of public records are not audited, so they are not counted; the README says so.
ACCESS_ACTIONS = ("record.read", "download.issue", "download.serve")

NOT_SET = ""  # the bucket of records with no value for the dimension (e.g. no tier yet)


@dataclass(frozen=True, slots=True)
class CountBucket:
    """One value of a dimension and how many readable units have it."""

    value: str
    count: int


@dataclass(frozen=True, slots=True)
class AccessBucket:
    """How many accesses of one kind, in one month, to records the caller may read."""

    year: int
    month: int
    action: str
    count: int
