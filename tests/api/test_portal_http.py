"""HTTP conventions portals rely on: CORS with an allowlist and no cookies, the
``application/graphql-response+json`` media type with the specification's status codes,
and ``Cache-Control: no-store`` on every GraphQL answer. The CSRF rule for multipart
(``X-Archive-Request``) holds for listed origins too."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from archive.app import create_app
from archive.domain.access import UNRESTRICTED
from archive.samples import SampleDocument, render_pdf
from archive.services.container import Services
from archive.settings import Mode, Settings
from tests.api.test_hardening import MULTIPART_TYPE, multipart_deposit
from tests.conftest import embedded_settings
from tests.support.graphql import open_services

PORTAL = "https://cong.example.gov.vn"
ELSEWHERE = "https://evil.example.com"
GRAPHQL_RESPONSE = "application/graphql-response+json"


@pytest.fixture
def stack() -> str:
    return "embedded"


@pytest.fixture
async def app_services(stack_settings: Settings) -> AsyncIterator[Services]:
    settings = stack_settings.model_copy(update={"cors_origins": f"{PORTAL}, http://127.0.0.1:3000/"})
    async with open_services(settings) as built:
        yield built


@pytest.fixture
async def http(app_services: Services) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(services=app_services))
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as c:
        yield c


def preflight(origin: str, headers: str = "content-type, authorization, x-archive-request") -> dict[str, str]:
    return {
        "Origin": origin,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": headers,
    }


# --- CORS -----------------------------------------------------------------------------


async def test_a_listed_origin_passes_the_preflight_without_credentials(http: httpx.AsyncClient) -> None:
    response = await http.options("/graphql", headers=preflight(PORTAL))
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == PORTAL
    allowed = {h.strip().lower() for h in response.headers["access-control-allow-headers"].split(",")}
    assert {"authorization", "x-api-key", "x-archive-request", "content-type", "range"} <= allowed
    assert "access-control-allow-credentials" not in response.headers  # never cookies
    trailing = await http.options("/download/x", headers=preflight("http://127.0.0.1:3000"))
    assert trailing.headers["access-control-allow-origin"] == "http://127.0.0.1:3000"


async def test_an_unlisted_origin_gets_no_preflight_and_no_cors_headers(http: httpx.AsyncClient) -> None:
    response = await http.options("/graphql", headers=preflight(ELSEWHERE))
    assert response.status_code == 400
    assert "access-control-allow-origin" not in response.headers
    post = await http.post("/graphql", json={"query": "{ __typename }"}, headers={"Origin": ELSEWHERE})
    assert "access-control-allow-origin" not in post.headers


async def test_answers_to_a_listed_origin_expose_what_portals_read(http: httpx.AsyncClient) -> None:
    ok = await http.post("/graphql", json={"query": "{ __typename }"}, headers={"Origin": PORTAL})
    assert ok.headers["access-control-allow-origin"] == PORTAL
    exposed = {h.strip().lower() for h in ok.headers["access-control-expose-headers"].split(",")}
    assert {"etag", "content-range", "retry-after", "ratelimit", "x-request-id"} <= exposed
    refused = await http.post(
        "/graphql", json={"query": "{ __typename }"}, headers={"Origin": PORTAL, "X-API-Key": "ark_bad"}
    )
    assert refused.status_code == 401 and refused.headers["access-control-allow-origin"] == PORTAL


async def test_without_an_allowlist_no_origin_is_granted(tmp_path: Any) -> None:
    async with open_services(embedded_settings(tmp_path / "data")) as services:
        transport = httpx.ASGITransport(app=create_app(services=services))
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as c:
            response = await c.options("/graphql", headers=preflight(PORTAL))
    assert response.status_code == 405 and "access-control-allow-origin" not in response.headers


async def test_a_listed_origin_still_needs_the_request_header_for_multipart(
    http: httpx.AsyncClient, app_services: Services
) -> None:
    body = multipart_deposit(content=render_pdf(SampleDocument()))
    plain = await http.post(
        "/graphql", content=body, headers={"content-type": MULTIPART_TYPE, "Origin": PORTAL}
    )
    assert plain.status_code == 400
    assert plain.json()["errors"][0]["extensions"]["code"] == "REQUEST_HEADER_REQUIRED"
    assert app_services.records.count(UNRESTRICTED) == 0
    headers = {"content-type": MULTIPART_TYPE, "Origin": PORTAL, "X-Archive-Request": "1"}
    sent = await http.post("/graphql", content=body, headers=headers)
    assert sent.json()["data"]["depositRecord"]["__typename"] == "DepositSuccess"


@pytest.mark.parametrize(
    "origins", ["cong.example.gov.vn", "https://x.vn/path", "ftp://x.vn", "https://x.vn?a"]
)
def test_a_malformed_origin_is_refused_at_start_up(tmp_path: Any, origins: str) -> None:
    with pytest.raises(ValidationError, match="ARCHIVE_CORS_ORIGINS"):
        embedded_settings(tmp_path, cors_origins=origins)


def test_any_origin_is_refused_while_the_dev_admin_answers(tmp_path: Any) -> None:
    with pytest.raises(ValidationError, match="ARCHIVE_DEV_LOCAL_ADMIN"):
        embedded_settings(tmp_path, cors_origins="*")
    assert embedded_settings(tmp_path, cors_origins="*", dev_local_admin=False).cors_origin_list == ("*",)
    production = embedded_settings(tmp_path, cors_origins="*", mode=Mode.PRODUCTION, secret_key="p" * 40)
    assert production.cors_origin_list == ("*",)


# --- media type and status codes ----------------------------------------------------------


async def ask(http: httpx.AsyncClient, accept: str | None, body: dict[str, Any]) -> httpx.Response:
    headers = {} if accept is None else {"Accept": accept}
    return await http.post("/graphql", json=body, headers=headers)


@pytest.mark.parametrize(
    "body",
    [
        {"query": "{ __typename "},  # does not parse
        {"query": "{ noSuchField }"},  # does not validate
        {"query": "query($n: Int!) { search(first: $n) { totalCount } }", "variables": {"n": "x"}},
    ],
    ids=["parse", "validation", "variables"],
)
async def test_a_request_error_is_400_without_data_for_the_graphql_response_type(
    http: httpx.AsyncClient, body: dict[str, Any]
) -> None:
    response = await ask(http, f"{GRAPHQL_RESPONSE}, application/json;q=0.9", body)
    assert response.status_code == 400
    assert response.headers["content-type"] == f"{GRAPHQL_RESPONSE}; charset=utf-8"
    answer = response.json()
    assert "data" not in answer and answer["errors"]
    legacy = await ask(http, "application/json", body)  # unchanged for JSON clients
    assert legacy.status_code == 200 and legacy.headers["content-type"] == "application/json"
    assert legacy.json()["data"] is None


async def test_a_limit_refusal_is_a_request_error_too(http: httpx.AsyncClient) -> None:
    deep = "{ search { edges { node { " * 6 + "id" + " } } }" * 6
    response = await ask(http, GRAPHQL_RESPONSE, {"query": deep})
    assert response.status_code == 400 and "data" not in response.json()


@pytest.mark.parametrize(
    ("accept", "media_type"),
    [
        (GRAPHQL_RESPONSE, GRAPHQL_RESPONSE + "; charset=utf-8"),
        (f"application/json, {GRAPHQL_RESPONSE}", GRAPHQL_RESPONSE + "; charset=utf-8"),
        (f"application/json, {GRAPHQL_RESPONSE};q=0.5", "application/json"),
        (f"{GRAPHQL_RESPONSE};q=0", "application/json"),
        ("*/*", "application/json"),
        (None, "application/json"),
    ],
)
async def test_an_executed_operation_is_200_in_the_type_the_client_prefers(
    http: httpx.AsyncClient, accept: str | None, media_type: str
) -> None:
    response = await ask(http, accept, {"query": '{ record(id: "UmVjb3JkOm5vbmU=") { id } }'})
    assert response.status_code == 200 and response.headers["content-type"] == media_type
    assert response.json()["data"] == {"record": None}


async def test_every_graphql_answer_is_no_store(http: httpx.AsyncClient) -> None:
    answers = [
        await http.post("/graphql", json={"query": "{ __typename }"}),
        await http.post("/graphql", json={"query": "{ __typename }"}, headers={"X-API-Key": "ark_bad"}),
        await http.post(
            "/graphql", content=b"query=1", headers={"content-type": "application/x-www-form-urlencoded"}
        ),
        await http.post("/graphql", content=b"{", headers={"content-type": "application/json"}),
        await ask(http, GRAPHQL_RESPONSE, {"query": "{"}),
    ]
    assert [a.status_code for a in answers] == [200, 401, 415, 400, 400]
    assert {a.headers.get_list("cache-control")[0] for a in answers} == {"no-store"}
    assert all(len(a.headers.get_list("cache-control")) == 1 for a in answers)
