"""Trusted documents (persisted operations): an allowlist of GraphQL documents by hash.

A public portal sends ``{"documentId": "sha256:<hex>", "variables": …}`` instead of
the query text; with the allowlist *required*, anonymous callers and API keys may run
only listed documents (``access.may_run_untrusted_documents``), so a leaked key or an
open anonymous endpoint cannot run arbitrary queries. A document's id is the SHA-256
of its exact UTF-8 text, so the list can be built from a client's own manifest.
"""

from __future__ import annotations

import enum
import hashlib
import re
from dataclasses import dataclass
from datetime import datetime

from archive.domain.errors import ArchiveError

_HEX = re.compile(r"[0-9a-f]{64}")
DOCUMENT_MAX_CHARS = 100_000
NAME_MAX_CHARS = 200


class TrustedDocumentsMode(enum.Enum):
    """``off``: ids are not understood; ``allowed``: ids or full text, anything runs;
    ``required``: anonymous callers and API keys run listed documents only."""

    OFF = "off"
    ALLOWED = "allowed"
    REQUIRED = "required"


@dataclass(frozen=True, slots=True)
class TrustedDocument:
    """One listed document."""

    id: str  # SHA-256 hex of the text
    text: str
    name: str  # the operation's name in the client's manifest, or ""
    added_at: datetime
    added_by: str  # the subject that listed it


class UnknownDocument(ArchiveError):
    """A request names a document id that is not on the list."""

    code = "PERSISTED_QUERY_NOT_FOUND"


class DocumentNotTrusted(ArchiveError):
    """The deployment requires listed documents of this caller, and this one is not."""

    code = "TRUSTED_DOCUMENT_REQUIRED"


class BadManifest(ArchiveError):
    """A manifest that cannot be listed as a whole (nothing of it is)."""

    code = "BAD_MANIFEST"


def document_id(text: str) -> str:
    """The id of a document: the SHA-256 of its exact UTF-8 text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def parse_document_id(value: str) -> str | None:
    """The hex id in ``sha256:<hex>`` or a bare ``<hex>``; None when it is neither."""
    hex_part = value[len("sha256:") :] if value.startswith("sha256:") else value
    return hex_part if _HEX.fullmatch(hex_part) else None


def checked_entry(declared: str, text: str) -> str:
    """The id of ``text``, after checking it matches the id its manifest declares.

    Raises:
        BadManifest: the declared id is not a SHA-256, or not the text's.
    """
    if not text.strip() or len(text) > DOCUMENT_MAX_CHARS:
        raise BadManifest(f"{declared[:80]}: the document is empty or longer than {DOCUMENT_MAX_CHARS}")
    wanted = parse_document_id(declared)
    actual = document_id(text)
    if wanted != actual:
        raise BadManifest(f"{declared[:80]}: not the SHA-256 of its document (that is sha256:{actual})")
    return actual


@dataclass(frozen=True, slots=True)
class ManifestEntry:
    declared_id: str
    name: str
    text: str


def manifest_entries(data: object) -> list[ManifestEntry]:
    """The entries of a client's manifest, parsed from JSON: a map ``{"<sha256 hex>" or
    "sha256:<hex>": "<document>"}`` (graphql-codegen's persisted documents), or Apollo's
    ``{"format": "apollo-persisted-query-manifest", "operations": [{"id", "name", "body"}]}``.

    Raises:
        BadManifest: any other shape.
    """
    if isinstance(data, dict) and data.get("format") == "apollo-persisted-query-manifest":
        operations = data.get("operations")
        if not isinstance(operations, list):
            raise BadManifest("an Apollo manifest needs a list of operations")
        return [_apollo_entry(op) for op in operations]
    if isinstance(data, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in data.items()):
        return [ManifestEntry(key, "", text) for key, text in data.items()]
    raise BadManifest('expected {"<sha256>": "<document>", …} or an Apollo persisted-query manifest')


def _apollo_entry(operation: object) -> ManifestEntry:
    if not isinstance(operation, dict):
        raise BadManifest("every operation of an Apollo manifest is an object")
    declared, name, body = operation.get("id"), operation.get("name", ""), operation.get("body")
    if not isinstance(declared, str) or not isinstance(body, str) or not isinstance(name, str):
        raise BadManifest("every operation needs a string id, name and body")
    return ManifestEntry(declared, name[:NAME_MAX_CHARS], body)
