"""The one reading of a ParsedQuery that every search adapter compiles.

Both adapters match a word or phrase on the FOLDED text (diacritic-insensitive)
and give exact-diacritic matches extra score, so they find the same records and
rank the same way. Folding happens here, in Python, with ``archive.domain.text.fold``
on both the indexed text and the query: the engine never folds on its own, so the
index and the query cannot disagree about what ``đ`` or ``ữ`` becomes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

from archive.domain.query import ParsedQuery, Term
from archive.domain.text import fold, nfc, normalize_document_number

_WORD = re.compile(r"[^\W_]+")


@dataclass(frozen=True, slots=True)
class Needle:
    """One query term, prepared for matching.

    ``exact`` and ``folded`` are the term's words (lower-cased, then folded) joined
    by single spaces; a multi-word term is matched as a phrase. ``text`` and
    ``folded_text`` are the term as typed (NFC, lower-cased) and folded, for an
    engine that tokenises the query itself. ``number_key`` is set for document
    numbers, which match only the normalised number field.
    """

    exact: str
    folded: str
    text: str = ""
    folded_text: str = ""
    number_key: str | None = None


@dataclass(frozen=True, slots=True)
class CompiledQuery:
    """``clauses`` are OR-ed, the needles of a clause AND-ed, ``excluded`` removed.

    ``match_all`` is true for the empty query. A query whose every term had no
    word character (``"&"``) has no clauses and matches nothing.
    """

    clauses: tuple[tuple[Needle, ...], ...]
    excluded: tuple[Needle, ...]
    match_all: bool

    @property
    def text_needles(self) -> tuple[Needle, ...]:
        """Every positive word or phrase (not numbers), once, for scoring and highlights."""
        seen: dict[str, Needle] = {}
        for clause in self.clauses:
            for needle in clause:
                if needle.number_key is None:
                    seen.setdefault(needle.exact, needle)
        return tuple(seen.values())

    @property
    def proximity(self) -> tuple[tuple[Needle, bool], ...]:
        """Phrases made of the query's neighbouring terms, each with True when it is a
        clause's whole run of three terms or more, False for a pair of neighbours.

        Typed without quotes, "co nghia la ban" is four words; a record where they
        stand together, as written, is what the archivist remembers: the pairs
        ("co nghia", "nghia la", "la ban") and the whole run score on top of the words.
        """
        seen: dict[str, tuple[Needle, bool]] = {}
        for clause in self.clauses:
            run = [n for n in clause if n.number_key is None]
            for left, right in pairwise(run):
                pair = joined((left, right))
                seen.setdefault(pair.exact, (pair, False))
            if len(run) >= 3:
                whole = joined(run)
                seen[whole.exact] = (whole, True)
        return tuple(seen.values())

    @property
    def number_keys(self) -> tuple[str, ...]:
        keys = {n.number_key for c in self.clauses for n in c if n.number_key is not None}
        return tuple(sorted(keys))


def words(text: str) -> tuple[str, ...]:
    """The words of ``text`` as the engines tokenise it (letters and digits)."""
    return tuple(_WORD.findall(text))


def joined(needles: Sequence[Needle]) -> Needle:
    """One phrase of ``needles`` side by side, in order."""
    return Needle(
        exact=" ".join(n.exact for n in needles),
        folded=" ".join(n.folded for n in needles),
        text=" ".join(n.text for n in needles),
        folded_text=" ".join(n.folded_text for n in needles),
    )


def tokenized(text: str) -> str:
    """``text`` as its words separated by single spaces: what Elasticsearch indexes, so
    its standard tokenizer, which keeps ``TẬP_TIN`` or ``a.b`` whole, cuts where
    FTS5's unicode61 and ``words`` cut."""
    return " ".join(words(text))


def needle(term: Term) -> Needle | None:
    """Prepare one term; None when it has no word character to match."""
    if term.document_number:
        key = normalize_document_number(term.text)
        return Needle(exact=key, folded=key, number_key=key)
    text = nfc(term.text).lower()
    exact = words(text)
    if not exact:
        return None
    return Needle(
        exact=" ".join(exact),
        folded=" ".join(words(fold(" ".join(exact)))),
        text=text,
        folded_text=fold(text),
    )


def compile_query(query: ParsedQuery) -> CompiledQuery:
    """Prepare every term of ``query``; terms with no word character are dropped."""
    clauses = []
    for clause in query.any_of:
        kept = tuple(n for n in (needle(t) for t in clause.terms) if n is not None)
        if kept:
            clauses.append(kept)
    excluded = tuple(n for n in (needle(t) for t in query.excluded) if n is not None)
    return CompiledQuery(tuple(clauses), excluded, match_all=query.is_empty)
