"""The GraphQL surface: transport rules, body limits, query limits, production mode, UTF-8.

Limits must act before any resolver runs: the tests count resolver calls on a
test-only recursive schema built with the app's own extensions, and on the real
app check that the audit log (which every read of a non-public record writes to)
did not move.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
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
from archive.domain.access import UNRESTRICTED, Role
from archive.domain.records import Classification
from archive.samples import SampleDocument, render_pdf
from archive.services.container import Services
from archive.settings import Mode, Settings
from tests.support.access import make_record, put
from tests.support.gql import DEPOSIT, METADATA
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
    assert ok.status_code == 200 and ok.json()["data"] == {"__typename": "Query"}


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


# --- issue 10: CSRF, uploads from non-depositors, malformed bodies, query cost --------------

MULTIPART_BOUNDARY = "archive-test-boundary"


def multipart_deposit(filename_header: str = 'filename="x.pdf"', content: bytes = b"%PDF-1.4\n") -> bytes:
    operations = {"query": DEPOSIT, "variables": {"file": None, "metadata": METADATA}}
    parts = [
        f'--{MULTIPART_BOUNDARY}\r\nContent-Disposition: form-data; name="operations"\r\n\r\n'.encode()
        + json.dumps(operations).encode(),
        f'--{MULTIPART_BOUNDARY}\r\nContent-Disposition: form-data; name="map"\r\n\r\n'.encode()
        + b'{"0": ["variables.file"]}',
        f'--{MULTIPART_BOUNDARY}\r\nContent-Disposition: form-data; name="0"; {filename_header}\r\n'.encode()
        + b"Content-Type: application/pdf\r\n\r\n"
        + content,
    ]
    return b"\r\n".join(parts) + f"\r\n--{MULTIPART_BOUNDARY}--\r\n".encode()


MULTIPART_TYPE = f"multipart/form-data; boundary={MULTIPART_BOUNDARY}"


async def test_a_plain_form_cannot_run_a_mutation_as_the_dev_admin(
    http: httpx.AsyncClient, app_services: Services
) -> None:
    """Any web page can post a multipart form cross-site; without the custom header
    (which a browser only sends after a CORS preflight) nothing runs."""
    body = multipart_deposit(content=render_pdf(SampleDocument()))
    plain = await http.post("/graphql", content=body, headers={"content-type": MULTIPART_TYPE})
    assert plain.status_code == 400 and code(plain) == "REQUEST_HEADER_REQUIRED"
    assert app_services.records.count(UNRESTRICTED) == 0
    sent = await http.post(
        "/graphql", content=body, headers={"content-type": MULTIPART_TYPE, "X-Archive-Request": "1"}
    )
    assert sent.json()["data"]["depositRecord"]["__typename"] == "DepositSuccess"
    async with production_client(app_services) as prod_http:  # the same rule in every mode
        prod = await prod_http.post("/graphql", content=body, headers={"content-type": MULTIPART_TYPE})
    assert prod.status_code == 400 and code(prod) == "REQUEST_HEADER_REQUIRED"


class Stalled:
    """A request body that sends one chunk, then never another: reading it blocks forever."""

    def __init__(self, first: bytes) -> None:
        self.first = first
        self.read_past_first = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield self.first
        self.read_past_first = True
        await asyncio.Event().wait()
        yield b""  # pragma: no cover - never reached


async def test_a_reader_cannot_make_the_server_read_an_upload(app_services: Services) -> None:
    _, reader = app_services.api_keys.create(
        name="portal", agencies=["UBND-HG"], roles=[Role.READER], clearance=Classification.ORDINARY
    )
    _, clerk = app_services.api_keys.create(
        name="clerk", agencies=["UBND-HG"], roles=[Role.CLERK], clearance=Classification.ORDINARY
    )
    spool = app_services.settings.data_dir / "tmp"
    before = set(spool.glob("*")) if spool.exists() else set()

    async def send(key: str, declared: int) -> httpx.Response:
        body = Stalled(multipart_deposit()[:1000])
        headers = {
            "content-type": MULTIPART_TYPE,
            "content-length": str(declared),
            "X-Archive-Request": "1",
            "X-API-Key": key,
        }
        async with client_for(app_services, dev_local_admin=False) as http:
            response = await asyncio.wait_for(http.post("/graphql", content=body, headers=headers), 10)
        assert not body.read_past_first
        return response

    refused = await send(reader.display, 200 * 1024 * 1024)
    assert refused.status_code == 403 and code(refused) == "FORBIDDEN"
    settings = app_services.settings  # a body carries up to the per-record total (several files)
    too_big = await send(
        clerk.display, max(settings.max_upload_bytes, settings.max_record_bytes) + 2 * 1024 * 1024
    )
    assert too_big.status_code == 413 and code(too_big) == "BODY_TOO_LARGE"
    assert (set(spool.glob("*")) if spool.exists() else set()) == before
    denied = [e for e in app_services.audit.entries() if e.action == "record.deposit"]
    assert [(e.actor, str(e.outcome)) for e in denied] == [(f"apikey:{reader.key_id}", "denied")]


@pytest.mark.parametrize(
    "body",
    [
        b'{"query": "{ __typename }", "variables": {"x": "\xff\xfe"}}',
        b"[" * 5000 + b"]" * 5000,
        b'{"query": "{ __typename }", "variables": ' + b'{"a": ' * 5000 + b"1" + b"}" * 5001,
        b'{"query": "{ __typename }"',
    ],
    ids=["invalid-utf8", "5000-deep-array", "5000-deep-variables", "truncated"],
)
async def test_malformed_json_is_a_coded_400_and_one_log_line(
    http: httpx.AsyncClient, body: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    response = await http.post("/graphql", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 400 and code(response) == "MALFORMED_JSON"
    # One line says why; the access line every request gets (archive.request) is apart.
    records = [r for r in caplog.records if r.name.startswith("archive")]
    lines = [r for r in records if r.name != "archive.request"]
    assert len(lines) == 1 and lines[0].exc_info is None and "\n" not in lines[0].getMessage()
    assert all(r.exc_info is None for r in records)


async def test_a_non_ascii_download_token_is_not_found(
    http: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    for token in ("abc.é", "é.é", "x" * 5000 + ".y", "%00.%0a"):
        response = await http.get(f"/download/{token}")
        assert response.status_code == 404 and response.json()["code"] == "NOT_FOUND"
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


COSTLY = (
    "{ "
    + " ".join(
        f"s{i}: search(first: 100) {{ edges {{ node {{ id recipients pages {{ text }} "
        "thumbnails { page dataUrl } } } }"
        for i in range(30)
    )
    + " }"
)


async def test_a_costly_query_is_refused_before_it_runs(
    http: httpx.AsyncClient, app_services: Services
) -> None:
    await put(app_services, make_record(public=False))
    before = list(app_services.audit.entries())
    response = await http.post("/graphql", json={"query": COSTLY})
    body = response.json()
    assert body.get("data") is None and code(response) == "QUERY_TOO_COSTLY", body
    assert str(app_services.settings.max_query_cost) in body["errors"][0]["message"]
    assert list(app_services.audit.entries()) == before  # no search resolver ran (it audits reads)
    # A page size given as a variable counts as sent: one full page passes, two do not.
    page = "search(first: $n) { edges { node { id recipients pages { text } } } }"
    one = await http.post(
        "/graphql", json={"query": f"query($n: Int!) {{ a: {page} }}", "variables": {"n": 100}}
    )
    assert "errors" not in one.json(), one.json()
    two = await http.post(
        "/graphql", json={"query": f"query($n: Int!) {{ a: {page} b: {page} }}", "variables": {"n": 100}}
    )
    assert code(two) == "QUERY_TOO_COSTLY"


@pytest.mark.parametrize(
    "query",
    [
        '{ search(query: "chu ky so", first: 5) { totalCount edges { score highlights { page snippet } '
        "node { documentNumber subject download { url } } } facets { issuingAgency { value count } "
        "year { value count } } } }",
        "{ search(first: 100) { totalCount edges { cursor node { id recordId documentNumber subject "
        "recipients signatureStatus { signed allValid } processing { status limitHit } } } "
        "pageInfo { hasNextPage endCursor } } }",
        '{ record(id: "UmVjb3JkOng=") { id pages { text } thumbnails { page dataUrl } signatures '
        "{ verdict } processing { status error errorCode } download { url } } }",
    ],
    ids=["readme-example", "full-page-of-metadata", "one-record-everything"],
)
async def test_typical_queries_stay_under_the_cost_limit(http: httpx.AsyncClient, query: str) -> None:
    body = (await http.post("/graphql", json={"query": query})).json()
    assert "errors" not in body, body


def test_cost_multiplies_nested_connections_and_prices_heavy_fields(tmp_path: Path) -> None:
    from graphql import parse

    from archive.api.cost import operation_cost

    settings = Settings(_env_file=None, data_dir=tmp_path)  # type: ignore[call-arg]
    schema = build_schema(hardening_extensions(settings), production=False)._schema

    def cost(query: str, **variables: object) -> int:
        return operation_cost(schema, parse(query), operation_name=None, variables=variables)

    light = cost("{ search(first: 10) { edges { node { id } } } }")
    assert light == 1 + 10 * (1 + 1 + 1)
    assert cost("{ search(first: 10) { edges { node { id pages { text } } } } }") == light + 10 * (50 + 1)
    assert cost("query($n: Int!) { search(first: $n) { edges { node { id } } } }", n=10) == light
    assert cost("{ search { edges { node { id } } } }") == 1 + 20 * 3  # the declared default
    assert cost(COSTLY) > settings.max_query_cost * 20
    # nodes(ids:) pays its selection once per id asked for, literal or from the variables.
    one = cost('{ nodes(ids: ["a"]) { id } }')
    assert cost('{ nodes(ids: ["a", "b", "c"]) { id } }') == 3 * one
    assert cost("query($ids: [ID!]!) { nodes(ids: $ids) { id } }", ids=["a"] * 50) == 50 * one


@pytest.mark.parametrize(
    ("query", "variables"),
    [
        ("query($q: String) { search(query: $q) { totalCount } }", {"q": "chữ " * 300}),
        (
            "query($f: SearchFilterInput) { search(filter: $f) { totalCount } }",
            {"f": {"issuingAgencyCodes": [f"A{i}" for i in range(51)]}},
        ),
        ("query($a: String) { search(after: $a) { totalCount } }", {"a": "W" * 5000}),
    ],
    ids=["long-query", "51-filter-values", "long-cursor"],
)
async def test_search_inputs_are_bounded(
    http: httpx.AsyncClient, query: str, variables: dict[str, Any]
) -> None:
    response = await http.post("/graphql", json={"query": query, "variables": variables})
    assert response.status_code == 200 and code(response) in ("INVALID_QUERY", "INVALID_CURSOR")
