"""The one scoring model both search engines compile.

A hit's score counts where the query's terms occur in that record, with fixed weights.
The record's text is cut into three fields (``_fields``): ``title`` (subject, number),
``body`` (the pages) and ``low`` (agency, signer, the fixed header block). For every
*scored phrase* of the query, every spelling and every field that holds it, the score
adds ``phrase weight × spelling weight × field weight``:

- the scored phrases are each distinct word or quoted phrase of the query
  (``WORD_WEIGHT``), each pair of neighbouring terms (``PAIR_WEIGHT``) and each
  clause's whole run of three terms or more (``RUN_WEIGHT``), so words typed
  without quotes score far higher where they stand together, as typed;
- the spellings: the folded text, diacritics ignored (``FOLDED_WEIGHT``), and, for a
  phrase typed with diacritics, the text as written (``EXACT_WEIGHT`` more):
  exact-diacritic matches rank first;
- a field counts once however often or on however many pages the phrase occurs,
  so a long record does not outrank a short one by repeating a common word;
- a document-number term that matches the record's number adds ``NUMBER_WEIGHT``.

Nothing else enters the score: no document frequency, no average length, no count
of other records. The engines' default (BM25) derives those statistics from every
indexed record, including records the caller may not read, so a caller could watch
its own hit's score (and the order of its hits) move when a hidden record containing
the same word was deposited. Here a score is a function of the query and of the
record alone: hits, their order, scores, cursors and highlighted pages cannot depend
on any other record. Ties are broken by issue date (newest first), then record id.

Proximity is matched as phrases at query time (FTS5 phrase queries, Elasticsearch
``match_phrase``), not as indexed syllable bigrams: on the relevance benchmark both
find the same records (a pair is adjacent or not either way), and phrases cost no
index growth; see bench/README.md for the figures.

Highlights come from the pages where the most scored phrases occur (on the folded
text), then in page order, at most ``HIGHLIGHT_PAGES`` of them.

Both adapters read these constants; a change to the ranking is made here.
"""

from __future__ import annotations

from dataclasses import dataclass

from indexing.search._terms import CompiledQuery, Needle

FOLDED_WEIGHT = 1.0
"""A phrase occurs in a field, diacritics ignored."""
EXACT_WEIGHT = 5.0
"""Added when it occurs there as written: more than a folded match in every field
together (3 + 1 + 0.25), so exact-diacritic matches rank first."""
WORD_WEIGHT = 1.0
"""A word or quoted phrase of the query."""
PAIR_WEIGHT = 3.0
"""Two neighbouring query terms found side by side."""
RUN_WEIGHT = 50.0
"""A whole unquoted run of three or more terms found as typed: what was remembered. It
outweighs the run's pairs and words found apart, even in the title (on the relevance
bench, 20 left 1.4 % of runs below such records, 50 none)."""
NUMBER_WEIGHT = 10.0
"""A document-number term matches the record's normalised number."""
TITLE_WEIGHT = 3.0
"""Subject and document number: what the record is about."""
BODY_WEIGHT = 1.0
"""The pages."""
LOW_WEIGHT = 0.25
"""Agency, signer and the header block every document prints."""
HIGHLIGHT_PAGES = 3
"""Pages with a highlight per hit."""


@dataclass(frozen=True, slots=True)
class Spelling:
    """One way a needle can occur in a unit: on the folded or the exact copy of the text."""

    exact: bool
    weight: float

    @property
    def column(self) -> str:
        """The copy of the text searched: ``exact`` or ``folded``."""
        return "exact" if self.exact else "folded"

    def words(self, needle: Needle) -> str:
        """The needle's words for this copy, space-joined (for an FTS5 phrase)."""
        return needle.exact if self.exact else needle.folded

    def text(self, needle: Needle) -> str:
        """The needle as typed for this copy (for an engine that tokenises the query)."""
        return needle.text if self.exact else needle.folded_text


SPELLINGS = (Spelling(exact=False, weight=FOLDED_WEIGHT), Spelling(exact=True, weight=EXACT_WEIGHT))
"""Every spelling a needle scores under, once per field it occurs in."""


@dataclass(frozen=True, slots=True)
class Field:
    """A weighted part of a record (see ``_fields``)."""

    name: str
    weight: float


TITLE = Field("title", TITLE_WEIGHT)
BODY = Field("body", BODY_WEIGHT)
LOW = Field("low", LOW_WEIGHT)
FIELDS = (TITLE, BODY, LOW)


@dataclass(frozen=True, slots=True)
class Scored:
    """A phrase the score looks for, and its weight."""

    needle: Needle
    weight: float
    proximity: bool = False


def scored(query: CompiledQuery) -> tuple[Scored, ...]:
    """Every phrase that adds to a score: the words, their neighbour pairs, the runs."""
    found = [Scored(n, WORD_WEIGHT) for n in query.text_needles]
    words = {n.exact for n in query.text_needles}
    for needle, whole in query.proximity:
        if needle.exact not in words:  # a quoted phrase already scores as a word
            found.append(Scored(needle, RUN_WEIGHT if whole else PAIR_WEIGHT, proximity=True))
    return tuple(found)


def spellings(item: Scored) -> tuple[Spelling, ...]:
    """The spellings ``item`` scores under: both when it was typed with diacritics; only
    the folded one when it was not ("tin dung" says nothing about whether "tín dụng" or
    "tin dùng" is meant, the exact copy would favour whatever text happens to hold the
    unmarked syllables, and it halves the phrase queries of such a search)."""
    return SPELLINGS if item.needle.exact != item.needle.folded else SPELLINGS[:1]
