"""Saved searches (Circular 01/2019/TT-BNV asks an archive to keep a user's searches): a
name, a query string and a filter, owned by one principal and optionally shared with one
of its agencies. A saved search stores the question, never the answer: running it
always applies the RUNNER's read rule, so sharing a search shares no record."""

from __future__ import annotations

import dataclasses
import enum
import types
import typing
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from archive.domain.errors import MetadataInvalid
from archive.domain.records import nfc
from archive.domain.search import SearchFilter

NAME_MAX = 200
QUERY_MAX = 1000  # as a search query
PER_OWNER_MAX = 200  # a portal user's list, not a store of queries


@dataclass(frozen=True, slots=True)
class SavedSearch:
    id: str
    owner: str  # the principal's subject
    name: str
    query: str | None
    filter: SearchFilter
    shared_with: str | None  # an agency code of the owner's, or None: the owner's alone
    created_at: datetime


def validate_saved_search(search: SavedSearch) -> SavedSearch:
    """The search with its name and query normalised; MetadataInvalid names the field."""
    name = nfc(search.name)
    if not name or len(name) > NAME_MAX:
        raise MetadataInvalid("name", f"a name of 1 to {NAME_MAX} characters is required")
    query = None if search.query is None else nfc(search.query) or None
    if query is not None and len(query) > QUERY_MAX:
        raise MetadataInvalid("query", f"the query is longer than {QUERY_MAX} characters")
    return dataclasses.replace(search, name=name, query=query)


# -- the filter as JSON: each field of SearchFilter by name, dates ISO, enums by value ----------


def filter_to_json(search_filter: SearchFilter) -> dict[str, Any]:
    """The filter's non-default fields, in JSON types."""
    out: dict[str, Any] = {}
    for f in dataclasses.fields(SearchFilter):
        value = getattr(search_filter, f.name)
        if value == f.default:
            continue
        out[f.name] = _to_json(value)
    return out


def filter_from_json(data: dict[str, Any]) -> SearchFilter:
    """The filter ``filter_to_json`` wrote (unknown names, e.g. from a newer release, are
    ignored; a value of the wrong type is refused)."""
    hints = typing.get_type_hints(SearchFilter)
    values: dict[str, Any] = {}
    for name, raw in data.items():
        if name in hints:
            values[name] = _from_json(raw, hints[name], name)
    return SearchFilter(**values)


def _to_json(value: object) -> object:
    if isinstance(value, tuple):
        return [_to_json(v) for v in value]
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, date):
        return value.isoformat()
    return value


def _from_json(raw: object, hint: Any, name: str) -> Any:
    origin = typing.get_origin(hint)
    if origin in (types.UnionType, typing.Union):
        if raw is None:
            return None
        (inner,) = [a for a in typing.get_args(hint) if a is not type(None)]
        return _from_json(raw, inner, name)
    if origin is tuple:
        if not isinstance(raw, list):
            raise MetadataInvalid("filter", f"{name} is not a list")
        inner = typing.get_args(hint)[0]
        return tuple(_from_json(v, inner, name) for v in raw)
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return hint(raw)
    if hint is date:
        return date.fromisoformat(str(raw))
    if hint is datetime:
        return datetime.fromisoformat(str(raw))
    if isinstance(hint, type) and not isinstance(raw, hint):
        raise MetadataInvalid("filter", f"{name} is not a {hint.__name__}")
    return raw
