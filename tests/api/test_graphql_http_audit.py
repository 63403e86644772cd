"""The outside judge of the HTTP surface: the ``graphql-http`` package's ``auditServer``
(the GraphQL-over-HTTP specification's own audit) against a live ``archive serve``.

In development mode every MUST and every SHOULD passes: no error and no warning. GET
stays refused on purpose (a GET can be triggered cross-site), so the three MAY notices
about GET remain. In production mode introspection is off on purpose too, and the two
audits whose probe query is ``__type(name: $name)`` (a map of variables) fail on that
alone; the test pins exactly those two, so anything else that breaks still fails it.
The audit and its Node dependencies come from tools/npm, installed by scripts/provision
into the cache (``$ARCHIVE_CACHE_DIR/npm``, default ``~/.cache/records-archive/npm``).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from archive.settings import Mode
from tests.support.served import archive_env, run_archive, served

ROOT = Path(__file__).resolve().parents[2]
AUDIT_SCRIPT = ROOT / "tools" / "npm" / "audit-graphql-http.mjs"
# The notices about GraphQL over GET, which this service refuses on purpose.
GET_NOTICES = {"5A70", "D6D5", "6A70"}
# The audits that send an introspection query (refused in production mode, on purpose).
INTROSPECTION_AUDITS = {"28B9", "2EA1"}

pytestmark = pytest.mark.slow


def node_modules() -> Path:
    cache = Path(os.environ.get("ARCHIVE_CACHE_DIR") or Path.home() / ".cache" / "records-archive")
    return cache / "npm" / "node_modules"


@pytest.fixture(params=[Mode.DEVELOPMENT, Mode.PRODUCTION], ids=lambda m: m.value)
def live(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, Mode]]:
    """A live ``archive serve`` on the embedded stack (its own data dir), in either mode."""
    env = archive_env(
        tmp_path / "data",
        ARCHIVE_EMBEDDED_WORKER="false",
        ARCHIVE_MODE=request.param.value,
        ARCHIVE_SECRET_KEY="audit-" + "k" * 40,
    )
    if request.param is Mode.PRODUCTION:
        run_archive(env, "migrate")
    with served(env, tmp_path / "serve.log") as base:
        yield base, request.param


def test_the_graphql_over_http_audit_finds_no_error_and_no_warning(live: tuple[str, Mode]) -> None:
    base, mode = live
    node = shutil.which("node")
    if node is None:
        pytest.skip("Node.js is not installed (scripts/provision installs nodejs and npm)")
    if not (node_modules() / "graphql-http").is_dir():
        pytest.skip(f"graphql-http is not installed in {node_modules()}: run scripts/provision")
    result = subprocess.run(
        [node, str(AUDIT_SCRIPT), f"{base}/graphql"],
        env={**os.environ, "NODE_PATH": str(node_modules())},
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
        check=True,
    )
    report = json.loads(result.stdout)
    failing = [r for r in report["results"] if r["status"] in ("error", "warn")]
    if mode is Mode.PRODUCTION:
        refused = [r for r in failing if r["id"] in INTROSPECTION_AUDITS and r["httpStatus"] in (200, 400)]
        assert len(refused) == len(INTROSPECTION_AUDITS), failing
        failing = [r for r in failing if r not in refused]
    assert failing == [], json.dumps(failing, ensure_ascii=False, indent=1)
    notices = {r["id"] for r in report["results"] if r["status"] == "notice"}
    assert notices <= GET_NOTICES, notices
    assert report["counts"]["ok"] >= 50  # the audit really ran its list
