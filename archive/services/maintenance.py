"""Maintenance over the whole archive: reindex."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from archive.domain.access import UNRESTRICTED
from archive.domain.search import IndexDocument
from archive.services.container import Services
from archive.services.indexing import index_document_of


async def rebuild_index(
    services: Services, *, progress: bool = False, on_read: Callable[[IndexDocument], None] | None = None
) -> int:
    """Build a new index generation from the database and swap it in.

    Records are read lazily, while the index already sends every write to the new
    generation too (see ``SearchIndex.rebuild``): a grant revoked, a record deposited
    or purged during the build reaches the generation that is swapped in. Returns the
    documents the build itself wrote (a concurrent write of a newer version counts
    there instead). ``on_read`` sees each document as it is read, in the reading
    thread: a pausable point for tests.
    """
    if not progress:
        return await services.index.rebuild(_documents(services, on_read))
    total = await asyncio.to_thread(services.records.count, UNRESTRICTED)
    columns = (TextColumn("reindexing"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, console=Console(stderr=True)) as bar:
        task = bar.add_task("reindex", total=total)

        def counted(doc: IndexDocument) -> None:
            bar.advance(task)
            if on_read is not None:
                on_read(doc)

        return await services.index.rebuild(_documents(services, counted))


def _documents(
    services: Services, on_read: Callable[[IndexDocument], None] | None
) -> Iterator[IndexDocument]:
    for record in services.records.iter_all():
        document = index_document_of(services, record)
        if on_read is not None:
            on_read(document)
        yield document
