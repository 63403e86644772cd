"""Maintenance over the whole archive: reindex."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from archive.domain.access import UNRESTRICTED
from archive.domain.search import IndexDocument
from archive.services.container import Services
from archive.services.indexing import index_document_of


async def rebuild_index(services: Services, *, progress: bool = False) -> int:
    total = await asyncio.to_thread(services.records.count, UNRESTRICTED)
    documents = _documents(services)
    if not progress:
        return await services.index.rebuild(documents)
    columns = (TextColumn("reindexing"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, console=Console(stderr=True)) as bar:
        task = bar.add_task("reindex", total=total)

        def counted() -> Iterator[IndexDocument]:
            for doc in documents:
                bar.advance(task)
                yield doc

        return await services.index.rebuild(counted())


def _documents(services: Services) -> Iterator[IndexDocument]:
    for record in services.records.iter_all():
        yield index_document_of(services, record)
