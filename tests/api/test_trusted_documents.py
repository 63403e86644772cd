"""Trusted documents: ``archive operations load/list``, requests that name a document by
id (``documentId`` and Apollo's ``persistedQuery``), and ``ARCHIVE_TRUSTED_DOCUMENTS``:
with ``required``, anonymous callers and API keys run listed documents only, admins
and bearer-token users anything. On both stacks (the allowlist is a database table)."""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from archive.app import create_app
from archive.cli import app as cli
from archive.domain.access import Role
from archive.domain.records import Classification
from archive.domain.trusted_documents import TrustedDocumentsMode
from archive.services.container import Services
from archive.settings import Settings
from tests.cli.conftest import cli_settings
from tests.support.access import SigningKey, bearer_settings
from tests.support.graphql import open_services

__all__ = ["cli_settings"]  # a fixture, re-exported for pytest

LISTED = "query Find($q: String) { search(query: $q, first: 5) { totalCount } }"
UNLISTED = "{ search(first: 5) { totalCount } }"
GRAPHQL_RESPONSE = "application/graphql-response+json"


def sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


async def command(*args: str, code: int = 0) -> Any:
    """``archive ARGS --json`` in-process (in a thread: the command runs its own event loop)."""
    result = await asyncio.to_thread(CliRunner().invoke, cli, [*args, "--json"])
    assert result.exit_code == code, result.output
    return json.loads(result.stdout)


async def load(path: Path, manifest: Any, *args: str, code: int = 0) -> Any:
    path.write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    return await command("operations", "load", str(path), *args, code=code)


@pytest.fixture(scope="module")
def signing_key() -> SigningKey:
    return SigningKey.generate()


@pytest.fixture
async def required(
    cli_settings: Settings, signing_key: SigningKey, tmp_path: Path
) -> AsyncIterator[Services]:
    settings = bearer_settings(
        cli_settings, signing_key, tmp_path, trusted_documents=TrustedDocumentsMode.REQUIRED
    )
    async with open_services(settings) as built:
        yield built


def client(services: Services, **overrides: Any) -> httpx.AsyncClient:
    services.settings = services.settings.model_copy(update=overrides)
    transport = httpx.ASGITransport(app=create_app(services=services))
    return httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000")


def code_of(response: httpx.Response) -> str | None:
    errors = response.json().get("errors")
    return None if not errors else str(errors[0]["extensions"]["code"])


async def test_required_runs_only_listed_documents_for_anonymous_callers_and_api_keys(
    required: Services, signing_key: SigningKey, tmp_path: Path
) -> None:
    assert await load(tmp_path / "m.json", {sha(LISTED): LISTED}) == {"documents": 1, "added": 1}
    _, reader = required.api_keys.create(
        name="cổng", agencies=["UBND-HG"], roles=[Role.READER], clearance=Classification.ORDINARY
    )
    _, admin = required.api_keys.create(
        name="quản trị", agencies=["UBND-HG"], roles=[Role.ADMIN], clearance=Classification.ORDINARY
    )
    anonymous: dict[str, str] = {}
    key = {"X-API-Key": reader.display}
    async with client(required) as http:
        by_id = {"documentId": f"sha256:{sha(LISTED)}", "variables": {"q": "chu ky so"}}
        apollo = {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": sha(LISTED)}}}
        for caller in (anonymous, key):
            for body in (by_id, apollo, {"query": LISTED}):
                answer = await http.post("/graphql", json=body, headers=caller)
                assert answer.status_code == 200 and answer.json()["data"] == {"search": {"totalCount": 0}}
            refused = await http.post("/graphql", json={"query": UNLISTED}, headers=caller)
            assert code_of(refused) == "TRUSTED_DOCUMENT_REQUIRED" and refused.json()["data"] is None
            strict = await http.post(
                "/graphql", json={"query": UNLISTED}, headers={**caller, "Accept": GRAPHQL_RESPONSE}
            )
            assert strict.status_code == 400 and "data" not in strict.json()
        for caller in ({"X-API-Key": admin.display}, {"Authorization": f"Bearer {signing_key.token()}"}):
            answer = await http.post("/graphql", json={"query": UNLISTED}, headers=caller)
            assert answer.json() == {
                "data": {"search": {"totalCount": 0}},
                "extensions": answer.json()["extensions"],
            }


async def test_an_unknown_id_is_a_coded_400_and_allowed_runs_anything(
    required: Services, tmp_path: Path
) -> None:
    async with client(required) as http:
        for named in (f"sha256:{sha(UNLISTED)}", "sha256:nothex", "", "x" * 5000):
            answer = await http.post("/graphql", json={"documentId": named})
            assert answer.status_code == 400 and code_of(answer) == "PERSISTED_QUERY_NOT_FOUND"
    async with client(required, trusted_documents=TrustedDocumentsMode.ALLOWED) as http:
        answer = await http.post("/graphql", json={"query": UNLISTED})
        assert code_of(answer) is None and answer.json()["data"] == {"search": {"totalCount": 0}}
    await load(tmp_path / "m.json", {f"sha256:{sha(LISTED)}": LISTED})
    async with client(required, trusted_documents=TrustedDocumentsMode.OFF) as http:
        off = await http.post("/graphql", json={"documentId": f"sha256:{sha(LISTED)}"})
        assert off.status_code == 400 and code_of(off) == "PERSISTED_QUERY_NOT_FOUND"
        assert "ARCHIVE_TRUSTED_DOCUMENTS=off" in off.json()["errors"][0]["message"]


async def test_a_manifest_is_listed_whole_or_not_at_all_and_by_admins_only(
    required: Services, tmp_path: Path
) -> None:
    wrong = {sha(LISTED): LISTED, sha("{ x }"): UNLISTED}
    refused = await load(tmp_path / "bad.json", wrong, code=1)
    assert (
        refused["error"]["code"] == "BAD_MANIFEST"
        and f"sha256:{sha(UNLISTED)}" in refused["error"]["message"]
    )
    assert required.trusted_documents.all() == []
    apollo = {
        "format": "apollo-persisted-query-manifest",
        "version": 1,
        "operations": [{"id": sha(LISTED), "name": "Find", "type": "query", "body": LISTED}],
    }
    _, reader = required.api_keys.create(
        name="cổng", agencies=["UBND-HG"], roles=[Role.READER], clearance=Classification.ORDINARY
    )
    denied = await load(tmp_path / "a.json", apollo, "--api-key", reader.display, code=1)
    assert denied["error"]["code"] == "FORBIDDEN"
    assert await load(tmp_path / "a.json", apollo) == {"documents": 1, "added": 1}
    assert await load(tmp_path / "a.json", apollo) == {"documents": 1, "added": 0}  # idempotent
    [document] = (await command("operations", "list"))["documents"]
    assert (document["id"], document["name"], document["document"]) == (
        f"sha256:{sha(LISTED)}",
        "Find",
        LISTED,
    )
    entries = [e for e in required.audit.entries() if e.action == "operations.load"]
    assert [(str(e.outcome), e.details.get("added")) for e in entries] == [
        ("denied", None),
        ("ok", 1),
        ("ok", 0),
    ]
