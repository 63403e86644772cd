"""GraphiQL in a real headless browser (Chromium from Debian) on a network with no route
out: every request to anything but loopback is failed and recorded. The page must load,
run a search, and show its results, with no request ever leaving the machine."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
import pytest

from tests.support.browser import chromium, isolated_page
from tests.support.served import archive_env, run_archive, served

pytestmark = pytest.mark.slow

SEARCH = '{ search(query: "chu ky so", first: 5) { totalCount edges { node { documentNumber } } } }'
EDITORS_READY = "document.querySelectorAll('.graphiql-query-editor .CodeMirror').length > 0"
RESULT_TEXT = "((document.querySelector('.result-window .CodeMirror') || {}).innerText || '')"


def searchable(base: str, timeout: float = 90) -> str:
    """Wait until the embedded worker has indexed the samples; the first number found."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        answer = httpx.post(f"{base}/graphql", json={"query": SEARCH}, timeout=10).json()
        edges = answer["data"]["search"]["edges"]
        if edges:
            return str(edges[0]["node"]["documentNumber"])
        time.sleep(0.5)
    pytest.fail("the samples were not searchable within 90 s")


async def test_graphiql_runs_a_search_with_no_route_out(tmp_path: Path) -> None:
    if chromium() is None:
        pytest.skip("Chromium is not installed (scripts/provision installs Debian's chromium)")
    env = archive_env(tmp_path / "data", ARCHIVE_OCR_ENABLED="false")
    run_archive(env, "samples", str(tmp_path / "samples"), "--count", "2")
    run_archive(env, "import", str(tmp_path / "samples"))
    with served(env, tmp_path / "serve.log") as base:
        number = searchable(base)
        async with isolated_page(tmp_path / "profile") as page:
            await page.send("Page.enable")
            await page.send("Page.navigate", url=f"{base}/graphql")
            await page.wait_for(EDITORS_READY, timeout=60)
            editor = "document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror"
            await page.evaluate(f"{editor}.setValue({json.dumps(SEARCH)})")
            await page.evaluate("document.querySelector('.graphiql-execute-button').click()")
            shown = await page.wait_for(f"{RESULT_TEXT}.includes('totalCount') && {RESULT_TEXT}")
            blocked, requested, errors = page.blocked, page.requested, page.errors
    assert number in shown and '"totalCount"' in shown, shown
    assert blocked == [], blocked
    assert errors == [], errors
    assert any(url.endswith("/graphiql/graphiql.min.js") for url in requested), json.dumps(requested)
