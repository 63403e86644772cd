"""The GraphQL surface: transport rules, body limits, query limits, production mode, UTF-8.

Limits must act before any resolver runs: the tests count resolver calls on a
test-only recursive schema built with the app's own extensions, and on the real
app check that the audit log (which every read of a non-public record writes to)
did not move.
"""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import graphql
import httpx
import pytest
import strawberry
from graphql import GraphQLError

from archive.api.errors import TOO_MANY_TOKENS
from archive.api.hardening import QUERY_TOO_DEEP, TOO_MANY_ALIASES, hardening_extensions
from archive.api.schema import build_schema
from archive.app import create_app
from archive.services.container import Services
from archive.settings import Mode, Settings
from tests.support.access import make_record, put
from tests.support.graphql import open_services


@pytest.fixture
def stack() -> str:
    """The transport and GraphQL rules do not depend on the backends: the embedded stack is enough."""
    return "embedded"


SECRET_KEY = "s" * 40


@pytest.fixture
async def app_services(stack_settings: Settings) -> AsyncIterator[Services]:
    async with open_services(stack_settings) as built:
        yield built


def client_for(services: Services, **overrides: Any) -> httpx.AsyncClient:
    services.settings = services.settings.model_copy(update=overrides)
    transport = httpx.ASGITransport(app=create_app(services=services))
    return httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000")


@pytest.fixture
async def http(app_services: Services) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(app_services) as c:
        yield c


def production_client(services: Services) -> httpx.AsyncClient:
    """A client on an app in production mode (the same stores; call after the development checks)."""
    return client_for(services, mode=Mode.PRODUCTION, dev_local_admin=None, secret_key=SECRET_KEY)


def code(response: httpx.Response) -> str:
    return str(response.json()["errors"][0]["extensions"]["code"])


# --- transport ----------------------------------------------------------------------------


async def test_only_json_posts_carry_queries(http: httpx.AsyncClient) -> None:
    get = await http.get("/graphql", params={"query": "{ __typename }"})
    assert get.status_code == 405 and code(get) == "METHOD_NOT_ALLOWED"
    form = await http.post("/graphql", data={"query": "{ __typename }"})
    assert form.status_code == 415 and code(form) == "UNSUPPORTED_MEDIA_TYPE"
    text = await http.post(
        "/graphql", content=b'{"query":"{ __typename }"}', headers={"content-type": "text/plain"}
    )
    assert text.status_code == 415
    ok = await http.post("/graphql", json={"query": "{ __typename }"})
    assert ok.status_code == 200 and ok.json() == {"data": {"__typename": "Query"}}


async def test_json_bodies_over_the_limit_are_refused(http: httpx.AsyncClient) -> None:
    padding = "x" * (1024 * 1024)
    big = await http.post("/graphql", json={"query": "{ __typename }", "variables": {"pad": padding}})
    assert big.status_code == 413 and code(big) == "BODY_TOO_LARGE"

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: counted as it arrives
        yield b'{"query":"{ __typename }","variables":{"pad":"'
        for _ in range(20):
            yield b"y" * 65536
        yield b'"}}'

    streamed = await http.post("/graphql", content=chunks(), headers={"content-type": "application/json"})
    assert streamed.status_code == 413


async def test_uploads_need_a_token_or_key_when_there_is_no_dev_admin(app_services: Services) -> None:
    from tests.support.gql import post_deposit

    async with client_for(app_services, dev_local_admin=False) as http:
        response = await post_deposit(http, b"%PDF-1.4", {})
    assert response.status_code == 403 and code(response) == "CREDENTIALS_REQUIRED"


async def test_graphiql_and_introspection_are_off_in_production(
    http: httpx.AsyncClient, app_services: Services
) -> None:
    page = await http.get("/graphql", headers={"accept": "text/html"})
    assert page.status_code == 200 and "graphiql" in page.text.lower()
    introspect = {"query": "{ __schema { types { name } } }"}
    assert "errors" not in (await http.post("/graphql", json=introspect)).json()

    async with production_client(app_services) as prod_http:
        assert (await prod_http.get("/graphql", headers={"accept": "text/html"})).status_code == 405
        refused = (await prod_http.post("/graphql", json=introspect)).json()
    assert refused.get("data") is None and refused["errors"]


async def test_no_suggestions_in_production(http: httpx.AsyncClient, app_services: Services) -> None:
    typos = [
        '{ serch(query: "x") { totalCount } }',
        '{ search(qery: "x") { totalCount } }',
        "{ search(filter: {direction: OUTGONG}) { totalCount } }",
    ]
    dev = [(await http.post("/graphql", json={"query": typo})).json() for typo in typos]
    async with production_client(app_services) as prod_http:
        prod = [(await prod_http.post("/graphql", json={"query": typo})).json() for typo in typos]
    for with_hint, without in zip(dev, prod, strict=True):
        assert any("Did you mean" in e["message"] for e in with_hint["errors"]), with_hint
        assert without["errors"] and not any("mean" in e["message"] for e in without["errors"]), without
        assert all(e["extensions"]["code"] for e in without["errors"])


async def test_page_size_is_capped(http: httpx.AsyncClient, app_services: Services) -> None:
    limit = app_services.settings.max_page_size
    body = (
        await http.post("/graphql", json={"query": f"{{ search(first: {limit + 1}) {{ totalCount }} }}"})
    ).json()
    assert body["errors"][0]["extensions"]["code"] == "INVALID_QUERY"
    body = (
        await http.post(
            "/graphql", json={"query": f"{{ auditLog(first: {limit + 1}) {{ edges {{ cursor }} }} }}"}
        )
    ).json()
    assert body["errors"][0]["extensions"]["code"] == "INVALID_QUERY"


async def test_vietnamese_goes_out_as_utf8(http: httpx.AsyncClient, app_services: Services) -> None:
    record = make_record(subject="Quyết định về chữ ký số")
    await put(app_services, record)
    response = await http.post(
        "/graphql", json={"query": '{ search(query: "chu ky so") { edges { node { subject } } } }'}
    )
    assert "Quyết định về chữ ký số".encode() in response.content
    assert b"\\u" not in response.content
    assert response.headers["content-type"].startswith("application/json")


# --- query limits, before any resolver ----------------------------------------------------


def nested(depth: int) -> str:
    query = "leaf"
    for _ in range(depth):
        query = f"child {{ {query} }}"
    return f"{{ root {{ {query} }} }}"


def aliases(count: int) -> str:
    return "{ " + " ".join(f"a{i}: root {{ leaf }}" for i in range(count)) + " }"


def nested_in_fragments(depth: int) -> str:
    """``depth`` levels of ``child``, each level in its own fragment."""
    fragments = [f"fragment F{i} on Tree {{ child {{ ...F{i + 1} }} }}" for i in range(depth)]
    return " ".join(["{ root { ...F0 } }", *fragments, f"fragment F{depth} on Tree {{ leaf }}"])


CIRCULAR = (
    "query { root { ...A } } fragment A on Tree { child { ...B } } fragment B on Tree { child { ...A } }"
)


def default(limit: str) -> int:
    return int(Settings.model_fields[limit].default)


# Just over each default limit: far over, graphql's own validation gives up on the
# repeated fields (a recursion guard) before any limit is reached.
TOO_DEEP = default("max_query_depth") + 1
TOO_MANY = default("max_query_aliases") + 1
ALIASES_IN_FRAGMENTS = (
    "query { root { ...F } } fragment F on Tree { " + " ".join(f"x{i}: leaf" for i in range(TOO_MANY)) + " }"
)
TOKEN_FLOOD = "{ root { " + "... on Tree { leaf } " * (default("max_query_tokens") // 5) + "} }"


def assert_valid(schema: strawberry.Schema, query: str) -> None:
    """``query`` passes graphql's own validation: only a limit can refuse it."""
    assert graphql.validate(schema._schema, graphql.parse(query)) == []


def codes(errors: Sequence[GraphQLError] | None) -> set[str]:
    return {str((e.extensions or {}).get("code")) for e in errors or ()}


CALLS: list[str] = []


@strawberry.type
class Tree:
    """A test-only recursive type: the real schema has no recursion to nest through."""

    @strawberry.field
    def child(self) -> Tree:
        CALLS.append("child")
        return Tree()

    @strawberry.field
    def leaf(self) -> str:
        CALLS.append("leaf")
        return "ok"


@strawberry.type
class TreeQuery:
    @strawberry.field
    def root(self) -> Tree:
        CALLS.append("root")
        return Tree()


@pytest.fixture
def counted_schema(tmp_path: Path) -> tuple[strawberry.Schema, list[str]]:
    """The test-only schema with the app's own extensions, and its resolver-call log."""
    CALLS.clear()
    settings = Settings(_env_file=None, data_dir=tmp_path)  # type: ignore[call-arg]
    return strawberry.Schema(query=TreeQuery, extensions=hardening_extensions(settings)), CALLS


@pytest.mark.parametrize(
    ("query", "code"),
    [
        (nested(TOO_DEEP), QUERY_TOO_DEEP),
        (nested_in_fragments(TOO_DEEP), QUERY_TOO_DEEP),
        (aliases(TOO_MANY), TOO_MANY_ALIASES),
        (ALIASES_IN_FRAGMENTS, TOO_MANY_ALIASES),
    ],
    ids=["too-deep", "too-deep-through-fragments", "too-many-aliases", "aliases-in-fragments"],
)
async def test_limits_reject_before_any_resolver_runs(
    counted_schema: tuple[strawberry.Schema, list[str]], query: str, code: str
) -> None:
    schema, calls = counted_schema
    assert_valid(schema, query)
    result = await schema.execute(query)
    assert result.data is None and codes(result.errors) == {code}
    assert calls == []


async def test_a_query_within_every_limit_resolves(
    counted_schema: tuple[strawberry.Schema, list[str]],
) -> None:
    schema, calls = counted_schema
    result = await schema.execute("{ root { leaf } } " + "#" * 10 + " " * 10)
    assert result.errors is None and calls == ["root", "leaf"]


async def test_circular_fragments_are_refused_without_looping(
    counted_schema: tuple[strawberry.Schema, list[str]],
) -> None:
    """graphql's own rule refuses the cycle; the depth and alias limits, which follow
    fragments, must still terminate on it."""
    schema, calls = counted_schema
    result = await schema.execute(CIRCULAR)
    assert result.data is None and result.errors
    assert any("Cannot spread fragment 'A' within itself" in e.message for e in result.errors)
    assert calls == []


async def test_depth_within_the_limit_runs(counted_schema: tuple[strawberry.Schema, list[str]]) -> None:
    schema, calls = counted_schema
    result = await schema.execute(nested(8))
    assert result.errors is None and calls.count("child") == 8


async def test_token_flood_is_refused_while_parsing(
    counted_schema: tuple[strawberry.Schema, list[str]],
) -> None:
    schema, calls = counted_schema
    assert_valid(schema, TOKEN_FLOOD)
    result = await schema.execute(TOKEN_FLOOD)
    limit = default("max_query_tokens")
    assert result.errors and f"more than {limit} tokens" in result.errors[0].message and calls == []


async def test_the_app_rejects_abuse_before_resolving(
    http: httpx.AsyncClient, app_services: Services
) -> None:
    """Queries graphql itself finds valid, each over one limit, refused with that
    limit's code before any resolver runs (reads of a non-public record are audited,
    so an unmoved audit log shows none ran). The real schema has no recursion, so the
    depth limit is lowered to 3 to be reachable."""
    secret = make_record(public=False)
    await put(app_services, secret)
    gid = base64.urlsafe_b64encode(f"Record:{secret.id}".encode()).decode()
    limits = app_services.settings
    over_aliases = " ".join(f'r{i}: record(id: "{gid}") {{ id }}' for i in range(TOO_MANY))
    deep = "{ search { edges { node { issuingAgency { code } } } } }"
    deep_in_fragments = (
        "query { search { ...S } } fragment S on SearchConnection { edges { ...E } } "
        "fragment E on SearchEdge { node { issuingAgency { code } } }"
    )
    flood = f'{{ record(id: "{gid}") {{ {"... on Record { id } " * (limits.max_query_tokens // 5)} }} }}'
    cases = {
        "{ " + over_aliases + " }": TOO_MANY_ALIASES,
        deep: QUERY_TOO_DEEP,
        deep_in_fragments: QUERY_TOO_DEEP,
        flood: TOO_MANY_TOKENS,
    }
    schema = build_schema()
    before = list(app_services.audit.entries())
    async with client_for(app_services, max_query_depth=3) as strict:
        for query, code in cases.items():
            assert_valid(schema, query)
            response = await strict.post("/graphql", json={"query": query})
            body = response.json()
            assert body.get("data") is None, body
            assert {e["extensions"]["code"] for e in body["errors"]} == {code}, body
    assert list(app_services.audit.entries()) == before  # no resolver ran
    one = (await http.post("/graphql", json={"query": f'{{ record(id: "{gid}") {{ id }} }}'})).json()
    assert one["data"]["record"]["id"] == gid
    assert len(list(app_services.audit.entries())) == len(before) + 1


def test_build_schema_accepts_the_extension_factories(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path, mode=Mode.PRODUCTION, secret_key=SECRET_KEY)  # type: ignore[call-arg]
    schema = build_schema(hardening_extensions(settings), production=True)
    result = schema.execute_sync("{ __schema { queryType { name } } }")
    assert result.errors and json.dumps(result.data) == "null"
