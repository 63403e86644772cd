"""`archive record correct|history|relate|revoke` on either stack, as the local operator
(admin): each command parses, calls the service and prints its answer (text or --json)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from typing import TypeVar

from archive.domain.access import UNRESTRICTED
from archive.domain.query import parse_query
from archive.domain.records import Record
from archive.domain.search import SearchFilter, SearchRequest
from archive.factory import build_services
from archive.services.container import Services
from archive.settings import Settings
from tests.cli.support import run, run_json
from tests.support.access import make_record, put

T = TypeVar("T")


def with_services(settings: Settings, work: Callable[[Services], Awaitable[T]]) -> T:
    """``work`` on services built and closed in one event loop (the search client's)."""

    async def go() -> T:
        services = await asyncio.to_thread(build_services, settings)
        try:
            await services.index.ensure_ready()
            return await work(services)
        finally:
            await services.close()

    return asyncio.run(go())


def stored(settings: Settings, *records: Record) -> None:
    with_services(settings, lambda services: put(services, *records))


def found(settings: Settings, query: str, *, include_revoked: bool = False) -> list[str]:
    request = SearchRequest(
        query=parse_query(query), scope=UNRESTRICTED, filter=SearchFilter(include_revoked=include_revoked)
    )

    async def ask(services: Services) -> list[str]:
        await services.index.refresh()
        return [h.record_id for h in (await services.index.search(request)).hits]

    return with_services(settings, ask)


def test_correct_relate_and_revoke_from_the_command_line(cli_settings: Settings) -> None:
    old = make_record(agency="A", subject="Quy định về phí bến bãi")
    new = make_record(agency="A", subject="Quy định mới về phí")
    stored(cli_settings, old, new)

    corrected = run_json(
        "record", "correct", old.id, "--set", "subject=Quy định về lệ phí cảng", "--reason", "sai"
    )
    assert corrected == {"record_id": old.id, "metadata_version": 2}
    again = run(
        "record",
        "correct",
        old.id,
        "--set",
        "issue_date=2024-01-02",
        "--reason",
        "ngày",
        "--expected-version",
        "2",
    )
    assert "metadata version 3" in again
    versions = run_json("record", "history", old.id)["versions"]
    assert [(v["version"], v["reason"]) for v in versions] == [(1, "deposit"), (2, "sai"), (3, "ngày")]
    assert versions[2]["changes"] == [{"field": "issue_date", "before": "2024-03-15", "after": "2024-01-02"}]

    relation = run_json("record", "relate", new.id, "--type", "amends", "--target", old.id)["relation"]
    assert (relation["type"], relation["target_id"], relation["pending"]) == ("amends", old.id, False)
    pending = run_json(
        "record",
        "relate",
        new.id,
        "--type",
        "responds_to",
        "--issuer",
        "X",
        "--number",
        "9/CV-X",
        "--date",
        "2024-02-01",
    )["relation"]
    assert pending["pending"] is True and pending["reference"]["number"] == "9/CV-X"

    assert found(cli_settings, "lệ phí cảng") == [old.id]
    revoked = run_json("record", "revoke", old.id, "--by", new.id)["relation"]
    assert (revoked["type"], revoked["target_id"]) == ("revoked_by", new.id)
    assert found(cli_settings, "lệ phí cảng") == []
    assert found(cli_settings, "lệ phí cảng", include_revoked=True) == [old.id]


def test_bad_input_ends_with_a_code_and_writes_nothing(cli_settings: Settings) -> None:
    record = make_record(agency="A")
    stored(cli_settings, record)

    assert (
        run_json("record", "correct", record.id, "--set", "issue_date=mai", "--reason", "r", code=1)["error"][
            "code"
        ]
        == "VALIDATION"
    )
    assert (
        run_json("record", "correct", record.id, "--set", "nonsense", "--reason", "r", code=1)["error"][
            "code"
        ]
        == "VALIDATION"
    )
    missing = run_json("record", "correct", str(uuid.uuid4()), "--set", "subject=x", "--reason", "r", code=1)
    assert missing["error"]["code"] == "NOT_FOUND"
    assert (
        run_json("record", "relate", record.id, "--type", "likes", "--target", record.id, code=1)["error"][
            "code"
        ]
        == "VALIDATION"
    )
    assert run_json("record", "revoke", record.id, code=1)["error"]["code"] == "VALIDATION"
    assert [v["version"] for v in run_json("record", "history", record.id)["versions"]] == [1]
    assert "REVOKED" not in run("record", "history", record.id)
