"""GraphiQL works with no route out: the page names only assets on this origin, each
served here with its integrity, and its policy forbids loading from anywhere else.
The headless-browser check (Chromium with every non-loopback request blocked) is in
``test_graphiql_browser.py``."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest

from archive.api.ide import ASSETS, integrity
from archive.app import create_app
from archive.services.container import Services
from archive.settings import Mode, Settings
from tests.support.graphql import open_services

# The npm packages' files, as pinned in tools/npm/package-lock.json (the same digests
# strawberry-graphql pins for these versions on its CDN page).
PINNED = {
    "react.production.min.js": "sha384-tMH8h3BGESGckSAVGZ82T9n90ztNXxvdwvdM6UoR56cYcf+0iGXBliJ29D+wZ/x8",
    "react-dom.production.min.js": "sha384-bm7MnzvK++ykSwVJ2tynSE5TRdN+xL418osEVF2DE/L/gfWHj91J2Sphe582B1Bh",
    "graphiql.min.js": "sha384-HbRVEFG0JGJZeAHCJ9Xm2+tpknBQ7QZmNlO/DgZtkZ0aJSypT96YYGRNod99l9Ie",
    "graphiql.min.css": "sha384-Mq3vbRBY71jfjQAt/DcjxUIYY33ksal4cgdRt9U/hNPvHBCaT2JfJ/PTRiPKf0aM",
    "plugin-explorer.umd.js": "sha384-2oonKe47vfHIZnmB6ZZ10vl7T0Y+qrHQF2cmNTaFDuPshpKqpUMGMc9jgj9MLDZ9",
    "plugin-explorer.css": "sha384-5DFJlDPW2tSATRbM8kzoP1j194jexLswuNmClWoRr2Q0x7R68JIQzPHZ02Faktwi",
}


@pytest.fixture
def stack() -> str:
    return "embedded"


@pytest.fixture
async def app_services(stack_settings: Settings) -> AsyncIterator[Services]:
    async with open_services(stack_settings) as built:
        yield built


def client(services: Services) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=create_app(services=services))
    return httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000")


def test_the_vendored_files_are_the_pinned_npm_releases() -> None:
    assert {name: integrity(name) for name in PINNED} == PINNED


async def test_the_page_loads_only_same_origin_assets_with_their_integrity(app_services: Services) -> None:
    async with client(app_services) as http:
        page = await http.get("/graphql", headers={"Accept": "text/html"})
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        policy = page.headers["content-security-policy"]
        assert "script-src 'self'" in policy and "connect-src 'self'" in policy
        references = re.findall(r'(?:src|href)="([^"]+)"', page.text)
        assert references and all(r.startswith("/graphiql/") or r == "data:," for r in references), references
        assert not re.search(r"https?://", page.text)
        for name, media_type in ASSETS.items():
            assert f'src="/graphiql/{name}" integrity="{integrity(name)}"' in page.text or (
                f'href="/graphiql/{name}" integrity="{integrity(name)}"' in page.text
            )
            asset = await http.get(f"/graphiql/{name}")
            assert asset.status_code == 200 and asset.headers["content-type"].startswith(media_type)
            assert integrity(name) == PINNED.get(name, integrity(name))
        for name in ("page.html", "LICENSES.md", "..%2Fide.py", "nope.js"):
            assert (await http.get(f"/graphiql/{name}")).status_code == 404


async def test_production_serves_neither_the_page_nor_its_assets(app_services: Services) -> None:
    app_services.settings = app_services.settings.model_copy(
        update={"mode": Mode.PRODUCTION, "dev_local_admin": None, "secret_key": "p" * 40}
    )
    async with client(app_services) as http:
        assert (await http.get("/graphql", headers={"Accept": "text/html"})).status_code == 405
        assert (await http.get("/graphiql/graphiql.min.js")).status_code == 404
