"""The Content-Disposition header of a download, safe for Vietnamese file names."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

_UNSAFE_FALLBACK = re.compile(r"[^A-Za-z0-9._ -]+")
# RFC 5987 attr-char, minus the ALPHA / DIGIT that quote() always keeps.
_ATTR_CHAR_SAFE = "!#$&+-.^_`|~"


def content_disposition(download_name: str) -> str:
    """``attachment`` with an ASCII ``filename`` and an RFC 5987 UTF-8 ``filename*``.

    Browsers that understand ``filename*`` (all current ones) show the exact
    NFC name, "Quyết định 123.pdf"; older clients fall back to
    "Quyet dinh 123.pdf". Path separators and control characters are dropped so
    the name cannot steer where a client saves the file.
    """
    name = _clean(download_name) or "download"
    fallback = _ascii_fallback(name) or "download"
    encoded = quote(name, safe=_ATTR_CHAR_SAFE)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}"


def _clean(name: str) -> str:
    name = unicodedata.normalize("NFC", name)
    name = "".join(" " if unicodedata.category(ch).startswith("C") else ch for ch in name)
    return name.replace("/", "_").replace("\\", "_").strip()


def _ascii_fallback(name: str) -> str:
    # đ/Đ have no decomposition, so NFKD alone would drop them.
    folded = unicodedata.normalize("NFKD", name.replace("đ", "d").replace("Đ", "D"))
    ascii_only = "".join(ch for ch in folded if not unicodedata.combining(ch))
    return _UNSAFE_FALLBACK.sub("_", ascii_only).strip()
