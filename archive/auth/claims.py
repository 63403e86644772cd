"""Turning an identity provider's claims into a Principal's roles, agencies and clearance.

Providers disagree on where these live (Keycloak nests realm roles under
``realm_access.roles``) and on how they are spelled, so each is read from a
configurable claim path and mapped leniently: an unknown role is ignored, and an
unknown clearance falls back to the lowest level, never to a higher one.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from typing import Any

from archive.domain.access import Role
from archive.domain.records import Classification

_MISSING = object()

_CLEARANCE_NAMES: dict[str, Classification] = {
    "0": Classification.ORDINARY,
    "1": Classification.CONFIDENTIAL,
    "2": Classification.SECRET,
    "3": Classification.TOP_SECRET,
    "ordinary": Classification.ORDINARY,
    "thường": Classification.ORDINARY,
    "thuong": Classification.ORDINARY,
    "confidential": Classification.CONFIDENTIAL,
    "mật": Classification.CONFIDENTIAL,
    "mat": Classification.CONFIDENTIAL,
    "secret": Classification.SECRET,
    "tối mật": Classification.SECRET,
    "toi mat": Classification.SECRET,
    "top secret": Classification.TOP_SECRET,
    "tuyệt mật": Classification.TOP_SECRET,
    "tuyet mat": Classification.TOP_SECRET,
}


def default_role_map() -> dict[str, Role]:
    """External role names that equal our role values map to themselves."""
    return {role.value: role for role in Role}


def claim_at(claims: Mapping[str, Any], path: str) -> Any:
    """The value at a dotted claim path, or None when it is not there.

    The nested path is walked first (``realm_access.roles`` is ``roles`` inside
    ``realm_access``). Only when that finds nothing is a top-level claim whose own
    name is the whole path used (``https://example.gov.vn/roles``), so a claim
    literally named ``realm_access.roles`` can never override the nested one.
    """
    value: Any = claims
    for step in path.split("."):
        if not isinstance(value, Mapping):
            value = _MISSING
            break
        value = value.get(step, _MISSING)
        if value is _MISSING:
            break
    if value is not _MISSING:
        return value
    return claims.get(path)


def _strings(value: Any) -> list[str]:
    """A claim holding one string (space-separated, like ``scope``) or a list of strings."""
    if isinstance(value, str):
        return value.split()
    if isinstance(value, list | tuple):
        return [v.strip() for v in value if isinstance(v, str) and v.strip()]
    return []


def map_roles(value: Any, role_map: Mapping[str, Role]) -> frozenset[Role]:
    """Our roles for the external role names in a claim; unknown names are ignored."""
    return frozenset(role_map[name] for name in _strings(value) if name in role_map)


def map_agencies(value: Any) -> frozenset[str]:
    """The agency codes in a claim (a list, or one code)."""
    if isinstance(value, str):
        return frozenset({value.strip()}) if value.strip() else frozenset()
    return frozenset(_strings(value))


def map_clearance(value: Any) -> Classification:
    """The clearance a claim names: 0-3 or a level name, English or Vietnamese.

    Anything unrecognised is the lowest level: a typo at the provider must never
    open classified records.
    """
    if isinstance(value, list | tuple) and len(value) == 1:
        value = value[0]  # multivalued attribute mappers wrap single values
    if isinstance(value, bool):  # bool is an int; True is not a clearance
        return Classification.ORDINARY
    if isinstance(value, int):
        return Classification(value) if 0 <= value <= 3 else Classification.ORDINARY
    if not isinstance(value, str):
        return Classification.ORDINARY
    name = unicodedata.normalize("NFC", value).strip().casefold()
    name = " ".join(name.replace("_", " ").replace("-", " ").split())
    return _CLEARANCE_NAMES.get(name, Classification.ORDINARY)


def parse_role_map(text: str) -> dict[str, Role]:
    """``ext=role,ext2=role2`` (our role values on the right) on top of the default map.

    Raises:
        ValueError: an entry without ``=`` or a right-hand side that is not one of our roles.
    """
    mapping = default_role_map()
    for entry in filter(None, (part.strip() for part in text.split(","))):
        external, sep, ours = (s.strip() for s in entry.partition("="))
        if not sep or not external:
            raise ValueError(f"role map entry {entry!r} is not ext=role")
        try:
            mapping[external] = Role(ours)
        except ValueError:
            known = ", ".join(r.value for r in Role)
            raise ValueError(f"role map entry {entry!r}: {ours!r} is not one of {known}") from None
    return mapping
