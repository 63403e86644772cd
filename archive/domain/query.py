"""The search query language: words, "phrases", -exclusion and OR.

Parsed once into a small tree that every search adapter compiles, so the
embedded and the production engines read a query the same way::

    chữ ký số            all three words (AND)
    "chữ ký số"          the phrase
    nghị định -dự thảo   nghị định, and not dự thảo
    quyết định OR công văn
    123/QĐ-UBND          a document number: matched exactly on the number field
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from archive.domain.errors import InvalidQuery
from archive.domain.text import looks_like_document_number, nfc

MAX_QUERY_LENGTH = 1000
MAX_TERMS = 64

_TOKEN = re.compile(r'(-?)"([^"]*)"|(\S+)')


@dataclass(frozen=True, slots=True)
class Term:
    """A word, a phrase (several words in order) or a document number."""

    text: str
    phrase: bool = False
    document_number: bool = False


@dataclass(frozen=True, slots=True)
class Clause:
    """Terms that must all match (AND)."""

    terms: tuple[Term, ...]


@dataclass(frozen=True, slots=True)
class ParsedQuery:
    """``any_of`` clauses joined by OR, minus every ``excluded`` term.

    An empty query (no clauses) matches every record the scope allows.
    """

    any_of: tuple[Clause, ...] = ()
    excluded: tuple[Term, ...] = ()

    @property
    def is_empty(self) -> bool:
        return not self.any_of


def parse_query(text: str | None) -> ParsedQuery:
    """Parse a user's query string; raise InvalidQuery for input no engine should run."""
    if text is None or not text.strip():
        return ParsedQuery()
    text = nfc(text)
    if len(text) > MAX_QUERY_LENGTH:
        raise InvalidQuery(f"the query is longer than {MAX_QUERY_LENGTH} characters")
    if text.count('"') % 2:
        raise InvalidQuery("a quotation mark is not closed")
    clauses: list[list[Term]] = [[]]
    excluded: list[Term] = []
    count = 0
    for match in _TOKEN.finditer(text):
        negated, quoted, bare = match.group(1), match.group(2), match.group(3)
        if bare == "OR":
            clauses.append([])
            continue
        term = _term(quoted, bare)
        if term is None:
            continue
        count += 1
        if count > MAX_TERMS:
            raise InvalidQuery(f"the query has more than {MAX_TERMS} terms")
        if negated or (bare is not None and bare.startswith("-")):
            excluded.append(term)
        else:
            clauses[-1].append(term)
    kept = tuple(Clause(tuple(c)) for c in clauses if c)
    if not kept and excluded:
        raise InvalidQuery("a query cannot only exclude terms")
    return ParsedQuery(any_of=kept, excluded=tuple(excluded))


def _term(quoted: str | None, bare: str | None) -> Term | None:
    if quoted is not None:
        words = " ".join(quoted.split())
        return Term(words, phrase=True) if words else None
    assert bare is not None
    word = bare[1:] if bare.startswith("-") else bare
    if not word:
        return None
    if looks_like_document_number(word):
        return Term(word, document_number=True)
    return Term(word)
