"""`archive reindex`: an index lost or drifted is rebuilt from the database and is
searchable again, on both stacks."""

from __future__ import annotations

import asyncio
import csv
from pathlib import Path

from archive.services.worker import drain
from archive.settings import Settings
from tests.cli.support import run, run_json
from tests.support.graphql import api_client, open_services, search_ids


async def searches(settings: Settings, number: str) -> tuple[tuple[int, set[str]], tuple[int, set[str]]]:
    """(everything, the document number) as a search finds them now."""
    async with open_services(settings) as services, api_client(services) as client:
        await services.index.refresh()
        return await search_ids(client, None), await search_ids(client, f'"{number}"')


async def process(settings: Settings) -> int:
    async with open_services(settings) as services:
        return await drain(services)


async def lose_the_index(settings: Settings) -> None:
    async with open_services(settings) as services:
        await services.index.rebuild(iter(()))  # an empty generation swapped in


def test_reindex_rebuilds_a_searchable_index(cli_settings: Settings, tmp_path: Path) -> None:
    run("samples", str(tmp_path / "in"), "--count", "3", "--seed", "4")
    run("import", str(tmp_path / "in"))
    with (tmp_path / "in" / "manifest.csv").open(encoding="utf-8") as handle:
        first = next(csv.DictReader(handle))
    number = f"{first['number']}/{first['notation']}"
    assert asyncio.run(process(cli_settings)) == 3
    everything, by_number = asyncio.run(searches(cli_settings, number))
    assert everything[0] == 3 and by_number[0] >= 1

    asyncio.run(lose_the_index(cli_settings))
    assert asyncio.run(searches(cli_settings, number))[0] == (0, set())

    assert run_json("reindex") == {"reindexed": 3}
    assert asyncio.run(searches(cli_settings, number)) == (everything, by_number)
    assert run("reindex") == "reindexed 3 records\n"
