"""GraphiQL that works offline: the page and every asset it loads, served by the archive.

strawberry's own GraphiQL page loads React, GraphiQL and its explorer plugin from a
public CDN, so on an isolated network (where classified collections must run) it is
a blank page. Here the page names only ``/graphiql/<asset>`` on this origin, with
Subresource Integrity, and a Content-Security-Policy that lets it load nothing from
anywhere else. The assets are the pinned npm packages' files, checked in under
``archive/api/graphiql/`` (see its LICENSES.md; ``scripts/vendor-graphiql`` refreshes
them). Development mode only: production serves neither the page nor the assets.
"""

from __future__ import annotations

import base64
import hashlib
from functools import cache
from importlib import resources

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from archive.settings import Settings

ASSETS = {
    "react.production.min.js": "text/javascript",
    "react-dom.production.min.js": "text/javascript",
    "graphiql.min.js": "text/javascript",
    "graphiql.min.css": "text/css",
    "plugin-explorer.umd.js": "text/javascript",
    "plugin-explorer.css": "text/css",
    "start.js": "text/javascript",
}
# GraphiQL styles itself with inline style attributes and data: fonts; everything else
# comes from this origin. connect-src 'self': the page talks to /graphql here only.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
ASSET_MAX_AGE_SECONDS = 3600


def ide_routes(settings: Settings) -> list[Route]:
    """The asset route, in development mode only."""
    return [] if settings.is_production else [Route("/graphiql/{name}", _asset, methods=["GET"])]


def page() -> HTMLResponse:
    """The GraphiQL page, under a policy that lets it load nothing from elsewhere."""
    return HTMLResponse(_html(), headers={"Content-Security-Policy": CONTENT_SECURITY_POLICY})


def integrity(name: str) -> str:
    """The Subresource Integrity value of an asset (SHA-384)."""
    return "sha384-" + base64.b64encode(hashlib.sha384(_read(name)).digest()).decode("ascii")


async def _asset(request: Request) -> Response:
    name = request.path_params["name"]
    media_type = ASSETS.get(name)
    if media_type is None:  # only the listed files: a name is never a path
        return JSONResponse({"error": "not found", "code": "NOT_FOUND"}, status_code=404)
    headers = {
        "Cache-Control": f"public, max-age={ASSET_MAX_AGE_SECONDS}",
        "X-Content-Type-Options": "nosniff",
    }
    return Response(_read(name), media_type=f"{media_type}; charset=utf-8", headers=headers)


@cache
def _html() -> str:
    """The page, with the integrity of every asset it names (computed once)."""
    html = _read("page.html").decode("utf-8")
    for name in ASSETS:
        html = html.replace("{" + name + "}", integrity(name))
    return html


@cache
def _read(name: str) -> bytes:
    """A packaged file, read once (the largest is GraphiQL's 3.5 MB bundle)."""
    return resources.files("archive.api").joinpath("graphiql", name).read_bytes()
