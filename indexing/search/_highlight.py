"""Highlights: engine snippets of the folded text, shown in the original text.

Both engines match on folded text, so their highlighters mark positions in the
folded copy ("chu ky so"). Folding keeps one character for one character in
practice, so we find the fragment in the folded page, map it back to the page
as written ("chữ ký số"), HTML-escape it and wrap the matches in ``<mark>``.
"""

from __future__ import annotations

import html
import re

from archive.domain.text import fold

_WORD = re.compile(r"[^\W_]+")  # as ``_terms.words``

OPEN = "\ue000"
"""Start-of-match marker the engines put in snippets (a private-use character)."""
CLOSE = "\ue001"
"""End-of-match marker."""
ELLIPSIS = "…"


def render(marked: str, original: str) -> str:
    """Turn a marked snippet of ``fold(original)`` into escaped HTML of ``original``."""
    plain, spans = _strip_marks(marked)
    folded, origin = _fold_with_offsets(original)
    start = folded.find(plain) if plain else -1
    if start < 0:  # Elasticsearch highlights the text as words (``_terms.tokenized``)
        folded, origin = _as_words(folded, origin)
        start = folded.find(plain) if plain else -1
    if start < 0:
        # The fragment is not in our folding of the page; show it as the engine gave it.
        return _to_html(plain, spans, (0, len(plain)))
    end = start + len(plain)
    lo, hi = origin[start], origin[end]
    mapped = [(origin[start + a] - lo, origin[start + b] - lo) for a, b in spans]
    body = _to_html(original[lo:hi], mapped, (0, hi - lo))
    prefix = ELLIPSIS if original[:lo].strip() else ""
    suffix = ELLIPSIS if original[hi:].strip() else ""
    return f"{prefix}{body}{suffix}"


def _strip_marks(marked: str) -> tuple[str, list[tuple[int, int]]]:
    """The text without markers, and the [start, end) of each marked run in it."""
    out: list[str] = []
    spans: list[tuple[int, int]] = []
    length, opened = 0, -1
    for char in marked:
        if char == OPEN:
            opened = length
        elif char == CLOSE and opened >= 0:
            spans.append((opened, length))
            opened = -1
        else:
            out.append(char)
            length += 1
    return "".join(out), spans


def _fold_with_offsets(original: str) -> tuple[str, list[int]]:
    """``fold(original)`` and, for each folded position, where it came from."""
    parts: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(original):
        folded = fold(char)
        parts.append(folded)
        origin.extend([index] * len(folded))
    origin.append(len(original))
    return "".join(parts), origin


def _as_words(folded: str, origin: list[int]) -> tuple[str, list[int]]:
    """``tokenized(folded)`` and where each of its characters came from in the original;
    the space between two words maps to the end of the first."""
    parts: list[str] = []
    mapped: list[int] = []
    for match in _WORD.finditer(folded):
        if parts:
            parts.append(" ")
            mapped.append(mapped[-1] + 1)
        parts.append(match.group())
        mapped.extend(origin[match.start() : match.end()])
    mapped.append(mapped[-1] + 1 if mapped else origin[-1])
    return "".join(parts), mapped


def _to_html(text: str, spans: list[tuple[int, int]], window: tuple[int, int]) -> str:
    pieces: list[str] = []
    cursor = window[0]
    for start, end in sorted(spans):
        if start < cursor:
            continue
        pieces.append(html.escape(text[cursor:start], quote=False))
        pieces.append(f"<mark>{html.escape(text[start:end], quote=False)}</mark>")
        cursor = end
    pieces.append(html.escape(text[cursor : window[1]], quote=False))
    return "".join(pieces)
