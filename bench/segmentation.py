"""Would Vietnamese word segmentation beat syllable pairs? A stand-alone check (not a
suite of ``python -m bench``; it needs ``pip install pyvi``, which the project does
not depend on):

    pip install pyvi && python -m bench.segmentation

A word-token index (``có_nghĩa``) finds a remembered phrase only if the phrase, cut
into words on its own, gives the same tokens as the document cut in context. On the
relevance suite's known items this prints how often that holds, with and without
diacritics; syllable pairs match by construction (a pair is adjacent or not).
"""

from __future__ import annotations

import time

from archive.domain.text import fold
from bench import relevance


def main() -> None:
    from pyvi import ViTokenizer  # an optional tool of this check only

    def cut(text: str) -> list[str]:
        return [t.lower() for t in ViTokenizer.tokenize(text).split() if any(c.isalnum() for c in t)]

    corpus = relevance.load_corpus()
    docs = relevance.documents(corpus)
    queries = relevance.queries(corpus, docs, len(corpus))
    started = time.perf_counter()
    pages = {d.record_id: [cut(p.text) for p in d.pages] for d in docs}
    seconds = time.perf_counter() - started
    for variant, spell in (("diacritics", str), ("no diacritics", fold)):
        asked = [q for q in queries if q.variant == variant]
        found = sum(
            _holds([[spell(t) for t in page] for page in pages[max(q.grades)]], cut(q.text)) for q in asked
        )
        print(f"{variant}: the phrase's words are in its document's words for {found}/{len(asked)}")
    typed = [q for q in queries if q.variant == "diacritics"]
    same = sum([fold(t) for t in cut(q.text)] == cut(fold(q.text)) for q in typed)
    print(f"the phrase without diacritics is cut as the phrase with them: {same}/{len(typed)}")
    print(f"cutting {len(docs)} documents took {seconds:.1f} s")


def _holds(pages: list[list[str]], words: list[str]) -> bool:
    size = len(words)
    return any(page[i : i + size] == words for page in pages for i in range(len(page) - size + 1))


if __name__ == "__main__":
    main()
