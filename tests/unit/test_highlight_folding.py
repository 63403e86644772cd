"""The highlighter folds a page character by character through a table: the same
text and the same offsets as folding each character on its own, whatever the text."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from archive.domain.text import fold
from indexing.search._highlight import _fold_with_offsets, _matches
from indexing.search._scoring import Scored
from indexing.search._terms import Needle

VIETNAMESE = "Chữ ký số ĐƯỢC ban hành Quyết định 123/QĐ-UBND ngày 01/3/2024 "
# Decomposed marks on their own (fold to nothing) and characters that fold to two.
ODD = "\u0301\u0323\u0306e\u0301İﬁß\u212b"


def _reference(original: str) -> tuple[str, list[int]]:
    parts, origin = [], []
    for index, char in enumerate(original):
        folded = fold(char)
        parts.append(folded)
        origin.extend([index] * len(folded))
    origin.append(len(original))
    return "".join(parts), origin


@given(st.text(alphabet=st.sampled_from(VIETNAMESE + ODD), max_size=200) | st.text(max_size=60))
def test_the_table_folds_as_each_character_alone(original: str) -> None:
    assert _fold_with_offsets(original) == _reference(original)


def test_a_plain_vietnamese_page_maps_one_to_one() -> None:
    folded, origin = _fold_with_offsets(VIETNAMESE * 50)
    assert folded.startswith("chu ky so duoc ban hanh quyet dinh 123/qd-ubnd")
    assert origin == list(range(len(VIETNAMESE) * 50 + 1))


WORDS = ["chu", "ky", "so", "quyet", "dinh", "ubnd"]


@given(
    st.lists(st.sampled_from(WORDS), max_size=60),
    st.lists(st.lists(st.sampled_from(WORDS), min_size=1, max_size=3), min_size=1, max_size=4),
)
def test_phrases_are_found_wherever_they_stand(keys: list[str], phrases: list[list[str]]) -> None:
    scored = tuple(Scored(Needle(exact=" ".join(p), folded=" ".join(p)), float(len(p))) for p in phrases)
    found = [(m.first, m.last, m.key) for m in _matches(keys, scored)]
    expected = [
        (i, i + len(p), " ".join(p))
        for p in phrases
        for i in range(len(keys) - len(p) + 1)
        if keys[i : i + len(p)] == p
    ]
    assert found == expected
