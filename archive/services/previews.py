"""Page previews (the thumbnails the pipeline renders) as short-lived signed links that
caches can keep.

A link names the record, the page, the preview's own hash and an expiry rounded up to
the end of a window of ``preview_url_ttl_seconds``: every request for the same preview
in one window gets the same URL, so a browser or a cache serves it again without asking,
and a re-rendered preview gets a new URL. Links are issued only with the record, to a
caller who may read it (the record read is what the audit log records); serving one
needs only the link, like a download link, and answers 404 for anything forged, expired,
or no longer current.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import UTC, datetime

from archive.domain.records import Record
from archive.services.container import Services
from archive.services.signing import SignedTokens

PURPOSE = "preview-links"


@dataclass(frozen=True, slots=True)
class PreviewLink:
    page: int
    url: str
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class Preview:
    """A preview to send: its bytes, its entity tag, and how long caches may keep it."""

    png: bytes
    etag: str
    max_age: int
    public: bool


def _signer(services: Services) -> SignedTokens:
    return SignedTokens(services.settings.secret_key.get_secret_value().encode(), PURPOSE)


def _digest(png: bytes) -> str:
    return hashlib.sha256(png).hexdigest()[:32]


def preview_links(
    services: Services, record: Record, previews: dict[int, bytes], base_url: str
) -> list[PreviewLink]:
    """Links to the previews of a record the caller has just read."""
    window = services.settings.preview_url_ttl_seconds
    now = services.clock().timestamp()
    expires = int(math.ceil((now + window) / window) * window)
    signer = _signer(services)
    base = (services.settings.public_base_url or base_url).rstrip("/")
    public = 1 if record.metadata.is_public else 0
    return [
        PreviewLink(
            page=page,
            url=f"{base}/previews/"
            + signer.issue({"r": record.id, "p": page, "h": _digest(png), "e": expires, "v": public}),
            expires_at=datetime.fromtimestamp(expires, tz=UTC),
        )
        for page, png in sorted(previews.items())
    ]


def find_preview(services: Services, token: str) -> Preview | None:
    """The preview a link names while it is valid and current, else None. Blocking."""
    claims = _signer(services).check(token)
    if claims is None:
        return None
    record_id, page, digest, expires, public = (claims.get(k) for k in ("r", "p", "h", "e", "v"))
    if not (isinstance(record_id, str) and isinstance(page, int) and isinstance(expires, int)):
        return None
    remaining = expires - int(services.clock().timestamp())
    if remaining <= 0:
        return None
    png = services.results.thumbnails_of([record_id]).get(record_id, {}).get(page)
    if png is None or _digest(png) != digest:
        return None  # destroyed, re-rendered, or never there
    return Preview(png=png, etag=f'"{digest}"', max_age=remaining, public=public == 1)
