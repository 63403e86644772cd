"""Rate limits per caller: a bucket of query cost per credential, per client address for
anonymous callers; 429 ``RATE_LIMITED`` with ``Retry-After`` once empty, before the body
is read; ``RateLimit`` headers on every answer; counted in the metrics; and the charge
never depends on what an operation found (a hidden record costs what a missing one does)."""

from __future__ import annotations

import base64
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from archive.app import create_app
from archive.domain.access import Role
from archive.domain.records import Classification
from archive.services.container import Services
from archive.settings import Settings
from tests.support.access import SigningKey, bearer_settings, make_record, put
from tests.support.graphql import open_services

CHEAP = {"query": '{ record(id: "UmVjb3JkOm5vbmU=") { id } }'}  # costs 2
COSTLY = {"query": "{ search(first: 100) { edges { node { id pages { text } } } } }"}  # costs 5,401


@pytest.fixture
def stack() -> str:
    return "embedded"


@pytest.fixture
async def limited(stack_settings: Settings, tmp_path: Path) -> AsyncIterator[Services]:
    settings = bearer_settings(
        stack_settings,
        SigningKey.generate(),
        tmp_path,
        rate_limit_cost_per_minute=600,  # 10 units a second
        rate_limit_anonymous_cost_per_minute=60,
        rate_limit_burst=100,
    )
    async with open_services(settings) as built:
        yield built


@pytest.fixture
def app(limited: Services) -> Starlette:
    """One app: its buckets live in it, as in one serving process."""
    return create_app(services=limited)


def client(app: Starlette, ip: str = "10.0.0.1") -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(ip, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000")


def remaining(response: httpx.Response) -> int:
    match = re.fullmatch(r'"cost";r=(\d+);t=(\d+)', response.headers["ratelimit"])
    assert match, response.headers["ratelimit"]
    return int(match.group(1))


def refusals(services: Services) -> float:
    value = services.metrics.registry.get_sample_value(
        "archive_graphql_refusals_total", {"code": "RATE_LIMITED"}
    )
    return value or 0.0


async def test_an_empty_bucket_answers_429_with_retry_after_until_it_refills(
    limited: Services, app: Starlette
) -> None:
    async with client(app) as http:
        first = await http.post("/graphql", json=CHEAP)
        assert first.status_code == 200 and first.headers["ratelimit-policy"] == '"cost";q=100;w=60'
        assert remaining(first) == 98
        costly = await http.post("/graphql", json=COSTLY)  # admitted, then paid for in debt
        assert costly.status_code == 200 and remaining(costly) == 0
        refused = await http.post("/graphql", json=CHEAP)
    assert refused.status_code == 429
    assert refused.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    retry = int(refused.headers["retry-after"])
    assert 5290 <= retry <= 5305  # 5,303 units of debt at the anonymous 1 unit a second
    assert remaining(refused) == 0 and refused.headers["cache-control"] == "no-store"
    assert refusals(limited) == 1
    charged = limited.metrics.registry.get_sample_value(
        "archive_rate_limit_charged_total", {"caller": "anonymous"}
    )
    assert charged == 2 + 5401
    async with client(app, ip="10.0.0.2") as other:  # another address: its own bucket
        assert (await other.post("/graphql", json=CHEAP)).status_code == 200


async def test_an_api_key_has_its_own_bucket_wherever_it_calls_from(
    limited: Services, app: Starlette
) -> None:
    _, issued = limited.api_keys.create(
        name="cổng", agencies=["UBND-HG"], roles=[Role.READER], clearance=Classification.ORDINARY
    )
    key = {"X-API-Key": issued.display}
    async with client(app, ip="10.0.0.3") as http:
        await http.post("/graphql", json=COSTLY, headers=key)
        assert (await http.post("/graphql", json=CHEAP, headers=key)).status_code == 429
        assert (await http.post("/graphql", json=CHEAP)).status_code == 200  # anonymous, same address
    async with client(app, ip="10.0.0.4") as elsewhere:
        refused = await elsewhere.post("/graphql", json=CHEAP, headers=key)
    assert refused.status_code == 429 and 520 <= int(refused.headers["retry-after"]) <= 531


async def test_the_charge_says_nothing_about_records(limited: Services, app: Starlette) -> None:
    hidden = make_record(classification=Classification.SECRET)
    await put(limited, hidden)

    def record(record_id: str) -> dict[str, Any]:
        node = base64.b64encode(f"Record:{record_id}".encode()).decode()
        return {"query": f'{{ record(id: "{node}") {{ id subject pages {{ text }} }} }}'}

    answers = []
    for ip, record_id in (("10.1.0.1", hidden.id), ("10.1.0.2", "00000000-0000-0000-0000-000000000000")):
        async with client(app, ip=ip) as http:
            response = await http.post("/graphql", json=record(record_id))
            answers.append((response.status_code, response.headers["ratelimit"], response.json()["data"]))
    assert answers[0] == answers[1] and answers[0][2] == {"record": None}
