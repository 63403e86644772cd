"""Read ahead: the next item of an iterator is produced in a thread while this one is used.

The OCR of page n and the PDFium work on page n+1 (its text layer, its 300-dpi
render) overlap this way: libtesseract and PDFium both release the GIL while they
work. Only the producer thread touches what the iterator touches (PDFium is not
thread-safe, so every PDFium call of a document stays in that one thread), and the
consumer joins it before it goes on, so the document can then be closed safely.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from typing import TypeVar

T = TypeVar("T")

_END = object()
_PUT_POLL_SECONDS = 0.05


def ahead(items: Iterator[T], depth: int = 1) -> Iterator[T]:
    """Yield ``items`` in order, producing up to ``depth`` of them ahead in a thread.

    An exception raised by ``items`` is raised here, at the item where it occurred.
    Closing this generator early stops the producer after the item it is working on.
    """
    handoff: queue.Queue[object] = queue.Queue(maxsize=depth)
    stop = threading.Event()
    failure: list[BaseException] = []

    def put(item: object) -> bool:
        while not stop.is_set():
            try:
                handoff.put(item, timeout=_PUT_POLL_SECONDS)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not put(item):
                    return
        except BaseException as error:  # handed to the consumer, raised there
            failure.append(error)
        put(_END)

    thread = threading.Thread(target=produce, name="prefetch", daemon=True)
    thread.start()
    try:
        while (item := handoff.get()) is not _END:
            yield item  # type: ignore[misc]  # everything but _END came from items
        if failure:
            raise failure[0]
    finally:
        stop.set()
        thread.join()
