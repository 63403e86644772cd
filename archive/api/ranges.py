"""HTTP conditional and range requests on the download route (RFC 9110, sections 13 and 14).

One range at a time: a request naming several (``bytes=0-1,5-9``) is served whole,
as a server may, so no multipart/byteranges body is ever built. A Range the server
does not understand (another unit, bad syntax) is ignored the same way. A range
that lies wholly past the end of the bytes is unsatisfiable (416).
"""

from __future__ import annotations

from archive.services.download import Span


class Unsatisfiable(Exception):
    """The one range asked for lies past the end of the bytes."""


def entity_tag(sha256: str) -> str:
    """A strong entity tag from the stored SHA-256: the bytes never change under it."""
    return f'"sha256-{sha256}"'


def not_modified(if_none_match: str | None, etag: str) -> bool:
    """Whether ``If-None-Match`` names ``etag`` (weak comparison, as 13.1.2 asks) or is ``*``."""
    if if_none_match is None:
        return False
    tags = [tag.strip() for tag in if_none_match.split(",")]
    return "*" in tags or any(_opaque(tag) == _opaque(etag) for tag in tags if tag)


def requested_span(range_header: str | None, if_range: str | None, etag: str, size: int) -> Span | None:
    """The one range to serve, or None to serve every byte.

    Raises:
        Unsatisfiable: a single, well-formed byte range wholly past the end.
    """
    if range_header is None:
        return None
    if if_range is not None and if_range.strip() != etag:
        return None  # the client's partial copy is of other bytes (or dated): send them all
    unit, _, spec = range_header.partition("=")
    if unit.strip().lower() != "bytes" or "," in spec:
        return None
    bounds = _bounds(spec.strip())
    if bounds is None:
        return None
    return _span(bounds, size)


def _bounds(spec: str) -> tuple[int | None, int | None] | None:
    """``(first, last)`` of ``first-last``, ``first-`` or ``-suffix`` (first None); None if malformed."""
    first, dash, last = spec.partition("-")
    if not dash or not (first.isdigit() or first == "") or not (last.isdigit() or last == ""):
        return None
    if first == "" and last == "":
        return None
    return (int(first) if first else None, int(last) if last else None)


def _span(bounds: tuple[int | None, int | None], size: int) -> Span | None:
    first, last = bounds
    if first is None:
        assert last is not None
        if last == 0 or size == 0:
            raise Unsatisfiable
        length = min(last, size)
        return Span(start=size - length, length=length)
    if last is not None and last < first:
        return None  # invalid: ignored, like any Range the server does not understand
    if first >= size:
        raise Unsatisfiable
    end = size - 1 if last is None else min(last, size - 1)
    return Span(start=first, length=end - first + 1)


def _opaque(tag: str) -> str:
    return tag[2:] if tag.startswith("W/") else tag
