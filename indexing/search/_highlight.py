"""Highlights: the best window of a page, cut and marked here, the same for both engines.

The engines only choose the pages (``_scoring``: the pages holding the highest weight
of scored phrases). The window is chosen in Python, on the page as written: the
``SNIPPET_WORDS`` words holding the highest weight of distinct scored phrases (the
whole run typed, then neighbour pairs, then single words), earliest first. A window
never cuts a matched phrase: one that straddles an edge widens the window. Each word
of a match is wrapped in ``<mark>``, with its original diacritics; the rest is
HTML-escaped, and an ellipsis says the page goes on.

Matching is on folded words (``_terms.words`` of ``fold``), as the engines match.
Folding keeps one character for one character in practice; ``_fold_with_offsets``
maps back anyway.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from archive.domain.text import fold
from indexing.search._scoring import Scored

SNIPPET_WORDS = 24
"""Words in a highlight window, at least (a longer matched phrase widens it)."""
LEAD_WORDS = 4
"""Words shown before the first match of a window, when the page has them."""
ELLIPSIS = "…"
_WORD = re.compile(r"[^\W_]+")  # as ``_terms.words``


@dataclass(frozen=True, slots=True)
class _Match:
    first: int  # word index
    last: int  # exclusive
    weight: float
    key: str


def snippet(original: str, phrases: tuple[Scored, ...]) -> str:
    """The best window of ``original`` for ``phrases`` as marked-up HTML; "" if none occurs."""
    folded, origin = _fold_with_offsets(original)
    spans = [(m.start(), m.end()) for m in _WORD.finditer(folded)]
    keys = [folded[a:b] for a, b in spans]
    matches = _matches(keys, phrases)
    if not matches:
        return ""
    first, last = _best_window(matches, len(keys))
    marked = {i for m in matches if first <= m.first and m.last <= last for i in range(m.first, m.last)}
    lo, hi = origin[spans[first][0]], origin[spans[last - 1][1]]
    while hi < len(original) and not (original[hi].isspace() or original[hi].isalnum()):
        hi += 1  # the punctuation that ends the last word
    pieces, cursor = [], lo
    for index in sorted(marked):
        start, end = origin[spans[index][0]], origin[spans[index][1]]
        word = html.escape(original[start:end], quote=False)
        pieces += [html.escape(original[cursor:start], quote=False), f"<mark>{word}</mark>"]
        cursor = end
    pieces.append(html.escape(original[cursor:hi], quote=False))
    prefix = ELLIPSIS if original[:lo].strip() else ""
    suffix = ELLIPSIS if original[hi:].strip() else ""
    return f"{prefix}{''.join(pieces)}{suffix}"


def _matches(keys: list[str], phrases: tuple[Scored, ...]) -> list[_Match]:
    found = []
    starts: dict[str, list[int]] = {}  # where each word stands: a phrase is looked up by its first
    for position, key in enumerate(keys):
        starts.setdefault(key, []).append(position)
    for item in phrases:
        words = item.needle.folded.split()
        size = len(words)
        for i in starts.get(words[0], ()) if words else ():
            if keys[i : i + size] == words:
                found.append(_Match(i, i + size, item.weight, item.needle.folded))
    return found


def _best_window(matches: list[_Match], length: int) -> tuple[int, int]:
    """[first, last) word indices: the window with the most weight, widened so that no
    match straddles its edges."""
    size = max(SNIPPET_WORDS, max(m.last - m.first for m in matches) + LEAD_WORDS)
    best: tuple[float, int, int] | None = None
    for match in matches:
        start = max(0, min(match.first - LEAD_WORDS, length - size))
        inside = {m.key: m.weight for m in matches if start <= m.first and m.last <= start + size}
        rank = (sum(inside.values()), -start, start)
        if best is None or rank > best:
            best = rank
    assert best is not None
    first, last = best[2], min(length, best[2] + size)
    widened = True
    while widened:  # over any phrase an edge cuts, until none does
        widened = False
        for m in matches:
            if m.first < first < m.last or m.first < last < m.last:
                first, last, widened = min(first, m.first), max(last, m.last), True
    return first, last


class _FoldTable(dict[int, str]):
    """``fold`` of one character, by code point, for ``str.translate``: each character
    is folded once per process, not once per occurrence (a page is thousands of them,
    a search page of hits a few dozen pages). At most ``_FOLD_TABLE_SIZE`` entries are
    kept, so a page of unusual characters cannot grow it without bound."""

    def __missing__(self, code: int) -> str:
        folded = fold(chr(code))
        if len(self) < _FOLD_TABLE_SIZE:
            self[code] = folded
        return folded


_FOLD_TABLE_SIZE = 4096
_FOLDS = _FoldTable()


def _fold_with_offsets(original: str) -> tuple[str, list[int]]:
    """``fold`` of each character of ``original`` and, for each folded position, where it
    came from. Nearly always one character gives one: the offsets are then the positions."""
    folded = original.translate(_FOLDS)
    if len(folded) == len(original) and all(len(_FOLDS[ord(c)]) == 1 for c in set(original)):
        return folded, list(range(len(original) + 1))
    origin: list[int] = []
    for index, char in enumerate(original):
        origin.extend([index] * len(_FOLDS[ord(char)]))
    origin.append(len(original))
    return folded, origin
