"""A record's text cut into the fields ``_scoring`` weighs, the same for both engines.

- ``title``: the subject (trích yếu), the document number and the keywords (từ khóa), what
  a reader reads first;
- ``body``: each page's text, the fixed header block of page 1 taken out;
- ``low``: the issuing agency, the signer, and that header block: the national motto
  ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc"), the number
  line ("Số: ..."), the place-and-date line ("Sơn La, ngày 5 tháng 3 năm 2024") and
  the agency's name. Every official document prints them, so a word found only there
  ("nghia" in the motto, "la" in "Sơn La") says little about what the document is about.

The header is recognised line by line among the first ``HEADER_LINES`` lines of page 1,
on folded text, so a line break lost by the extractor only keeps a line in the body.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import NamedTuple

from archive.domain.search import IndexDocument
from archive.domain.text import fold, nfc

HEADER_LINES = 12
_BOILERPLATE = re.compile(
    r"^(cong hoa xa hoi chu nghia viet nam|doc lap\W+tu do\W+hanh phuc"
    r"|so\s*:.*|.{0,40}ngay\s+\d{1,2}\s+thang\s+\d{1,2}\s+nam\s+\d{4}\W*)$"
)


class BodyPage(NamedTuple):
    """One page of the body: its number in its file, its text, and the file (None: main)."""

    number: int
    text: str
    file_id: str | None = None


@dataclass(frozen=True, slots=True)
class Fields:
    """The texts of one record by field; ``body`` is each page with text, of every file."""

    title: tuple[str, ...]
    body: tuple[BodyPage, ...]
    low: tuple[str, ...]


def fields(doc: IndexDocument) -> Fields:
    """Split ``doc`` into weighted fields (NFC text, empty ones dropped)."""
    agency = fold(nfc(doc.issuing_agency_name)).strip()
    low = [nfc(doc.issuing_agency_name), nfc(doc.signer_name)]
    body: list[BodyPage] = []
    for index, page in enumerate(doc.pages):
        text = nfc(page.text)
        if index == 0:
            header, text = split_header(text, agency)
            low += header
        body.append(BodyPage(page.number, text, page.file_id))
    return Fields(
        title=_kept([nfc(doc.subject), nfc(doc.document_number), nfc(doc.keyword)]),
        body=tuple(p for p in body if p.text.strip()),
        low=_kept(low),
    )


def split_header(text: str, agency: str = "") -> tuple[list[str], str]:
    """The header lines among the first lines of ``text``, and the text without them."""
    lines = text.split("\n")
    header: list[str] = []
    kept: list[str] = []
    for index, line in enumerate(lines):
        if index < HEADER_LINES and _is_header(line, agency):
            header.append(line.strip())
        else:
            kept.append(line)
    return header, "\n".join(kept)


def _is_header(line: str, agency: str) -> bool:
    folded = " ".join(fold(line).split())
    if not folded:
        return False
    return bool(_BOILERPLATE.match(folded)) or (bool(agency) and folded == agency)


def _kept(texts: list[str]) -> tuple[str, ...]:
    return tuple(t for t in texts if t.strip())
