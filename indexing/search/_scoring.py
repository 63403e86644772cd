"""The one scoring model both search engines compile.

A hit's score counts where the query's terms occur in that record, with fixed weights:

- the record is cut into *units*: its metadata fields taken together (subject,
  number, signer, issuing agency), and each page with text;
- for every distinct word or phrase of the query (a text ``Needle``) and every unit
  in which it occurs, the unit adds ``FOLDED_WEIGHT`` when it occurs on the folded
  text (diacritics ignored), and ``EXACT_WEIGHT`` more when it also occurs as
  written, diacritics included;
- a document-number term that matches the record's number adds ``NUMBER_WEIGHT``.

Nothing else enters the score: no document frequency, no average length, no count
of other records. The engines' default (BM25) derives those statistics from every
indexed record, including records the caller may not read, so a caller could watch
its own hit's score (and the order of its hits) move when a hidden record containing
the same word was deposited. Here a score is a function of the query and of the
record alone: hits, their order, scores, cursors and highlighted pages cannot depend
on any other record. Ties are frequent and broken by issue date (newest first), then
record id.

Highlights come from the pages where the most needles occur (on the folded text),
then in page order, at most ``HIGHLIGHT_PAGES`` of them.

Both adapters read these constants and ``SPELLINGS``; a change to the ranking (for
instance phrase proximity) is made here, per unit, and compiled by both.
"""

from __future__ import annotations

from dataclasses import dataclass

from indexing.search._terms import Needle

FOLDED_WEIGHT = 1.0
"""A needle occurs in a unit, diacritics ignored."""
EXACT_WEIGHT = 2.0
"""Added when it occurs there as written: exact-diacritic matches rank first."""
NUMBER_WEIGHT = 10.0
"""A document-number term matches the record's normalised number."""
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
"""Every spelling a needle scores under, once per unit it occurs in."""
