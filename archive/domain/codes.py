"""Code lists of the archival texts: one JSON data file per list, loaded at start-up.

Circular 05/2025/TT-BNV describes dossiers and documents with coded fields: the
retention period (``maintenance`` 01-07), the access mode (01-03), the language
(01-11), the document type (01-32) and more. The lists come from public
summaries of a 364-page gazette text, so they are data, not code: each lives in
``archive/domain/codelists/<name>.json`` and a correction is an edit of that
file (with the test that pins it), never a change here.

A value is accepted as its code (``"02"``), its Vietnamese label (``"Quyết
định"``, with or without diacritics, any case) or one of its aliases
(``"permanent"``); it is stored as the code. Anything else is refused naming
the field and listing the allowed values.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from archive.domain.errors import MetadataInvalid
from archive.domain.text import fold, nfc

_SPACES = re.compile(r"\s+")


def _key(value: str) -> str:
    # "Quyết  định", "quyet dinh" and "QUYẾT ĐỊNH" are one key.
    return _SPACES.sub(" ", fold(nfc(value)).strip())


@dataclass(frozen=True, slots=True)
class Code:
    """One entry of a code list."""

    code: str
    label: str
    aliases: tuple[str, ...] = ()
    attributes: Mapping[str, Any] = field(default_factory=dict)  # e.g. {"years": 10} for maintenance


@dataclass(frozen=True, slots=True)
class CodeList:
    """A named list of codes, with where it comes from."""

    name: str
    title: str
    source: str
    codes: tuple[Code, ...]
    _by_key: Mapping[str, str] = field(default_factory=dict, repr=False, compare=False)

    def __iter__(self) -> Iterator[Code]:
        return iter(self.codes)

    def get(self, code: str) -> Code | None:
        """The entry of an exact code, or None."""
        return next((c for c in self.codes if c.code == code), None)

    def label(self, code: str) -> str:
        """The label of a known code (KeyError for an unknown one: stored codes were parsed)."""
        entry = self.get(code)
        if entry is None:
            raise KeyError(f"{self.name}: unknown code {code!r}")
        return entry.label

    def parse(self, value: str, *, field_name: str) -> str:
        """The code ``value`` names (a code, a label or an alias), or MetadataInvalid naming
        ``field_name`` and listing every allowed value."""
        key = _key(value)
        code = self._by_key.get(key)
        if code is None:
            raise MetadataInvalid(
                field_name, f"{value.strip()!r} is not a known value; allowed: {self.allowed()}"
            )
        return code

    def parse_many(self, values: tuple[str, ...] | list[str], *, field_name: str) -> tuple[str, ...]:
        """Several values of the list, deduplicated, in code order."""
        codes = {self.parse(v, field_name=field_name) for v in values}
        return tuple(c.code for c in self.codes if c.code in codes)

    def allowed(self) -> str:
        """``01 (Vĩnh viễn), 02 (70 năm), ...``: what an error message lists."""
        return ", ".join(f"{c.code} ({c.label})" for c in self.codes)


@dataclass(frozen=True, slots=True)
class CodeLists:
    """Every code list, by name."""

    lists: Mapping[str, CodeList]

    def __getitem__(self, name: str) -> CodeList:
        return self.lists[name]

    def names(self) -> list[str]:
        return sorted(self.lists)


def parse_code_list(data: Mapping[str, Any], *, name: str) -> CodeList:
    """One list from its parsed JSON; ValueError when the file is malformed or ambiguous."""
    raw = data.get("codes")
    if not isinstance(raw, list) or not raw:
        raise ValueError(f"code list {name}: 'codes' must be a non-empty list")
    codes: list[Code] = []
    by_key: dict[str, str] = {}
    for item in raw:
        code, label = str(item["code"]), nfc(str(item["label"])).strip()
        aliases = tuple(nfc(str(a)).strip() for a in item.get("aliases", []))
        attributes = {k: v for k, v in item.items() if k not in {"code", "label", "aliases"}}
        codes.append(Code(code=code, label=label, aliases=aliases, attributes=attributes))
        for spelling in (code, label, *aliases):
            key = _key(spelling)
            if by_key.setdefault(key, code) != code:
                raise ValueError(f"code list {name}: {spelling!r} names both {by_key[key]} and {code}")
    return CodeList(
        name=name,
        title=str(data.get("title", name)),
        source=str(data.get("source", "")),
        codes=tuple(codes),
        _by_key=by_key,
    )


def load_code_lists(directory: Path) -> CodeLists:
    """Every ``*.json`` list of a directory."""
    lists = {}
    for path in sorted(directory.glob("*.json")):
        lists[path.stem] = parse_code_list(json.loads(path.read_text(encoding="utf-8")), name=path.stem)
    return CodeLists(lists=lists)


@functools.cache
def code_lists() -> CodeLists:
    """The lists shipped with the archive, read once (start-up calls this to fail fast)."""
    with resources.as_file(resources.files("archive.domain") / "codelists") as directory:
        return load_code_lists(Path(directory))


# The names of the shipped lists, so callers do not spell them twice.
MAINTENANCE = "maintenance"
MODE = "mode"
LANGUAGE = "language"
PHYSICAL_FORMAT = "physical_format"
CONFIDENCE_LEVEL = "confidence_level"
DOCUMENT_TYPE = "document_type"
RISK_RECOVERY = "risk_recovery"
RISK_RECOVERY_STATUS = "risk_recovery_status"
ACCESS_PURPOSE = "access_purpose"
