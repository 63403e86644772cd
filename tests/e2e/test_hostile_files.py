"""Hostile files through the whole pipeline: a decompression bomb, a PNG that declares
900 million pixels and a 2,000-page PDF each end in a clear status, with the limit
named in ``record.processing``; the original bytes stay archived byte-identical and
findable by their metadata; and the API keeps answering while the worker chews."""

from __future__ import annotations

import asyncio
from pathlib import Path

from archive.services.worker import drain
from archive.settings import Settings
from tests.support import hostile
from tests.support.graphql import (
    api_client,
    deposited_id,
    fetch,
    gql,
    metadata,
    open_services,
    record,
    search_ids,
)

# Small limits keep the test quick; the sandbox worker itself needs about 100 MB.
LIMITS = {
    "extract_memory_mb": 400,
    "extract_cpu_seconds": 30,
    "extract_wall_seconds": 60,
    "extract_max_pages": 20,
}
PING = "query($id: ID!) { record(id: $id) { id documentNumber processing { status } } }"


def hostile_files(directory: Path) -> dict[str, tuple[Path, str]]:
    """name -> (file, media type)."""
    return {
        "bomb": (
            hostile.bomb_pdf(directory / "bomb.pdf", inflated_mb=4096, target="content"),
            "application/pdf",
        ),
        "pixels": (hostile.huge_png(directory / "huge.png"), "image/png"),
        "long": (hostile.many_pages_pdf(directory / "long.pdf", pages=2000), "application/pdf"),
    }


async def test_hostile_files_end_in_a_clear_status_and_the_api_keeps_answering(
    stack_settings: Settings,
) -> None:
    settings = stack_settings.model_copy(update=LIMITS)
    files = hostile_files(stack_settings.data_dir.parent)
    async with open_services(settings) as services, api_client(services) as client:
        ids = {
            name: await deposited_id(
                client, path.read_bytes(), metadata(str(n)), name=path.name, content_type=media
            )
            for n, (name, (path, media)) in enumerate(files.items(), start=1)
        }

        worker = asyncio.create_task(drain(services))
        answered_while_working = 0
        while not worker.done():
            for global_id in ids.values():
                found = (await gql(client, PING, id=global_id))["record"]
                assert found["id"] == global_id
                answered_while_working += 0 if worker.done() else 1
            await asyncio.sleep(0.05)
        assert await worker == 3
        assert answered_while_working > 0
        await services.index.refresh()

        outcomes = {name: await record(client, global_id) for name, global_id in ids.items()}
        for name, found in outcomes.items():
            assert found["processing"]["status"] == "done", (name, found["processing"])
            assert found["processing"]["attempts"] == 1, name  # a limit is final, never retried
            assert await fetch(client, found["download"]["url"]) == files[name][0].read_bytes(), name
        bomb, pixels, long = outcomes["bomb"], outcomes["pixels"], outcomes["long"]
        assert (bomb["textStatus"], bomb["processing"]["limitHit"]) == ("FAILED", "memory")
        assert "memory" in bomb["processing"]["error"]
        assert (pixels["textStatus"], pixels["processing"]["limitHit"]) == ("FAILED", "pixels")
        assert "pixels" in pixels["processing"]["error"]
        assert (long["textStatus"], long["processing"]["limitHit"]) == ("EXTRACTED", "page_cap")
        assert "20 of 2000 pages" in long["processing"]["error"]
        assert long["pageCount"] == 2000

        total, found_ids = await search_ids(client, "chu ky so")
        assert (total, found_ids) == (3, set(ids.values()))  # all three, by their metadata
        assert (await search_ids(client, "very long document"))[1] == {ids["long"]}
