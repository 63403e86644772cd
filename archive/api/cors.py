"""CORS for portals on other origins: an allowlist (``ARCHIVE_CORS_ORIGINS``), never cookies.

Credentials travel in headers (``Authorization``, ``X-API-Key``), so credentialed
CORS (``Access-Control-Allow-Credentials``) is never granted and a browser never
attaches cookies for a page. A listed origin may send the ``X-Archive-Request``
header, so a portal can upload; an unlisted one gets no preflight, so it still
cannot make a browser post a multipart form here (see ``archive.api.gate``).
"""

from __future__ import annotations

from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware

from archive.settings import Settings

ALLOWED_HEADERS = (
    "Accept",
    "Authorization",
    "Content-Type",
    "If-None-Match",
    "If-Range",
    "Range",
    "X-API-Key",
    "X-Archive-Request",
)
# What a page's script may read from an answer besides the CORS-safelisted headers.
EXPOSED_HEADERS = (
    "Accept-Ranges",
    "Content-Disposition",
    "Content-Range",
    "ETag",
    "RateLimit",
    "RateLimit-Policy",
    "Retry-After",
    "X-Request-Id",
)
PREFLIGHT_MAX_AGE_SECONDS = 600


def cors_middleware(settings: Settings) -> list[Middleware]:
    """The CORS middleware for ``settings``' allowlist; none when the list is empty."""
    origins = settings.cors_origin_list
    if not origins:
        return []
    return [
        Middleware(
            CORSMiddleware,
            allow_origins=list(origins),
            allow_methods=["GET", "POST"],
            allow_headers=list(ALLOWED_HEADERS),
            expose_headers=list(EXPOSED_HEADERS),
            allow_credentials=False,
            max_age=PREFLIGHT_MAX_AGE_SECONDS,
        )
    ]
