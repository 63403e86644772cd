"""Build ``bench/data/vi_prose.jsonl``: real Vietnamese prose for the relevance suite.

The text is what Vietnamese translators wrote for free software that Debian ships:
the compiled gettext catalogues (``/usr/share/locale/vi/LC_MESSAGES/*.mo``) of the
packages listed in ``SOURCES``, each under its package's licence (see
bench/README.md). Only the translations (``msgstr``) are kept, with printf
directives, option names and layout removed; consecutive messages of one catalogue
make one document of one to three pages. The committed file is the output of

    python -m bench.relevance_corpus

on a Debian 12 machine; the suite reads the file and never the catalogues, so it
runs anywhere, offline.
"""

from __future__ import annotations

import gettext
import json
import random
import re
from pathlib import Path
from typing import Any

SOURCES = {
    # catalogue: (Debian package, licence)
    "coreutils": ("coreutils", "GPL-3+"),
    "bash": ("bash", "GPL-3+"),
    "git": ("git", "GPL-2"),
    "dpkg": ("dpkg", "GPL-2+"),
    "tar": ("tar", "GPL-3+"),
    "wget": ("wget", "GPL-3+"),
    "gettext-tools": ("gettext", "GPL-3+"),
    "libc": ("libc-l10n", "LGPL-2.1+"),
    "procps-ng": ("procps", "GPL-2+"),
    "shadow": ("login", "BSD-3-clause"),
    "make": ("make", "GPL-3+"),
    "glib20": ("libglib2.0-data", "LGPL-2.1+"),
    "binutils": ("binutils-common", "GPL-3+"),
    "diffutils": ("diffutils", "GPL-3+"),
    "findutils": ("findutils", "GPL-3+"),
    "grep": ("grep", "GPL-3+"),
    "apt": ("apt", "GPL-2+"),
}
LOCALE_DIR = Path("/usr/share/locale/vi/LC_MESSAGES")
OUT = Path(__file__).parent / "data" / "vi_prose.jsonl"
DOCUMENTS = 300
PAGE_CHARS = 1200

_DIRECTIVE = re.compile(r"%(\d+\$)?[-#0 +']*(\*|\d+)?(\.(\*|\d+))?(hh|h|ll|l|j|z|t|L)?[a-zA-Z%]")
_OPTION = re.compile(r"(?<![\w/])--?[A-Za-z][\w-]*(=\S+)?")
_CODE = re.compile(r"[\"“”'‘’`]?\$?[A-Za-z_][\w.-]*\(\)|\$\w+|<[^>]*>|\[[^\]]*\]|\{[^}]*\}")
_EMPTY = re.compile(r"\(\s*\)|“\s*”|\"\s*\"|‘\s*’")
_VIETNAMESE = re.compile(r"[àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđ]", re.I)


def clean(message: str) -> str:
    """The prose of one translation: no printf directives, options or layout."""
    text = _DIRECTIVE.sub(" ", message)
    text = _OPTION.sub(" ", text)
    text = _CODE.sub(" ", text)
    text = _EMPTY.sub(" ", text)
    return re.sub(r"\s+", " ", text).strip(" :;,-")


def is_prose(text: str) -> bool:
    """At least six words, a third of them with a Vietnamese letter."""
    words = text.split()
    return len(words) >= 6 and sum(bool(_VIETNAMESE.search(w)) for w in words) * 3 >= len(words)


def messages(catalogue: str) -> list[str]:
    with (LOCALE_DIR / f"{catalogue}.mo").open("rb") as handle:
        catalog = gettext.GNUTranslations(handle)._catalog  # type: ignore[attr-defined]
    found = []
    for key, value in catalog.items():
        if not key or not isinstance(value, str):
            continue
        text = clean(value)
        if is_prose(text):
            found.append(text)
    return sorted(set(found))


def documents(rng: random.Random) -> list[dict[str, Any]]:
    """Consecutive messages of one catalogue, 400 to 3,000 characters, cut into pages."""
    pools = {name: messages(name) for name in SOURCES}
    docs: list[dict[str, Any]] = []
    while len(docs) < DOCUMENTS:
        name = rng.choice([n for n, pool in pools.items() if len(pool) >= 8])
        pool, target = pools[name], rng.randint(400, 3000)
        start = rng.randrange(len(pool) - 7)
        taken, size = [], 0
        for message in pool[start:]:
            taken.append(message)
            size += len(message)
            if size >= target:
                break
        del pool[start : start + len(taken)]
        docs.append({"source": name, "pages": _pages(taken)})
    return docs


def _pages(taken: list[str]) -> list[str]:
    pages, current = [], ""
    for message in taken:
        if current and len(current) + len(message) > PAGE_CHARS:
            pages.append(current)
            current = ""
        current = f"{current} {message}".strip()
    return [*pages, current]


def main() -> None:
    docs = documents(random.Random(17))
    with OUT.open("w", encoding="utf-8") as out:
        for number, doc in enumerate(docs, 1):
            package, licence = SOURCES[str(doc["source"])]
            line = {"id": f"vi-{number:03d}", "package": package, "licence": licence, **doc}
            out.write(json.dumps(line, ensure_ascii=False) + "\n")
    pages = sum(len(d["pages"]) for d in docs)
    print(f"{len(docs)} documents, {pages} pages → {OUT}")


if __name__ == "__main__":
    main()
