"""The ``/previews/{token}`` route: a page preview by its signed link (see
``archive.services.previews``). Cacheable for the link's remaining life: privately for a
record that is not public, by shared caches too for a public one."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from archive.api.ranges import not_modified
from archive.services.container import Services
from archive.services.previews import find_preview


def preview_route(services: Callable[[], Services]) -> Callable[[Request], object]:
    async def preview(request: Request) -> Response:
        found = await asyncio.to_thread(find_preview, services(), request.path_params["token"])
        if found is None:
            return JSONResponse(
                {"error": "not found", "code": "NOT_FOUND"},
                status_code=404,
                headers={"Cache-Control": "no-store"},
            )
        scope = "public" if found.public else "private"
        headers = {
            "ETag": found.etag,
            "Cache-Control": f"{scope}, max-age={found.max_age}, immutable",
            "X-Content-Type-Options": "nosniff",
        }
        if not_modified(request.headers.get("if-none-match"), found.etag):
            return Response(status_code=304, headers=headers)
        return Response(found.png, media_type="image/png", headers=headers)

    return preview
