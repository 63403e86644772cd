"""Vietnamese text folding, shared by every search adapter so index and query agree."""

from __future__ import annotations

import re
import unicodedata

_EXTRA_FOLDS = str.maketrans({"đ": "d", "Đ": "D"})
_DOCNUMBER_JUNK = re.compile(r"[\s]+")


def nfc(value: str) -> str:
    """NFC form: composed characters, as Vietnamese text must be stored."""
    return unicodedata.normalize("NFC", value)


def fold(value: str) -> str:
    """Lower-case and strip diacritics: ``Chữ ký số`` → ``chu ky so``, ``Đ`` → ``d``.

    ``đ`` is a letter of its own, not ``d`` with a mark, so NFD does not split it:
    it needs the explicit mapping.
    """
    decomposed = unicodedata.normalize("NFD", value.translate(_EXTRA_FOLDS))
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return unicodedata.normalize("NFC", stripped).lower()


def normalize_document_number(value: str) -> str:
    """The key under which ``123/QĐ-UBND`` is found exactly: folded, no spaces.

    ``123/QĐ-UBND``, ``123 / qđ-ubnd`` and ``123/QD-UBND`` share one key.
    """
    return _DOCNUMBER_JUNK.sub("", fold(nfc(value)))


_DOCNUMBER_SHAPE = re.compile(r"^\s*\d+[a-zA-Z]?\s*/\s*[\w.Đđ-]+(?:/[\w.Đđ-]+)*\s*$")


def looks_like_document_number(value: str) -> bool:
    """True for ``123/QĐ-UBND``-shaped input, which search matches on the number field."""
    return bool(_DOCNUMBER_SHAPE.match(nfc(value)))
