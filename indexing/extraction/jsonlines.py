"""JSON lines over a pipe, read straight from the descriptor.

Not a buffered file object: its buffer would hide a line already read from
``select``, and a reader with a deadline has to wait on the descriptor.
"""

from __future__ import annotations

import json
import os
import select
from typing import Any


class JsonLines:
    """Messages (JSON objects, one a line) read from a pipe's descriptor."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self._pending = b""

    def ready(self, timeout: float | None) -> bool:
        """Whether a message (or EOF) can be read without waiting; waits up to ``timeout`` s."""
        return b"\n" in self._pending or bool(select.select([self.fd], [], [], timeout)[0])

    def read(self) -> dict[str, Any] | None:
        """The next message, waiting for it; None at EOF.

        Raises:
            ValueError: the line is not a JSON object.
        """
        while b"\n" not in self._pending:
            chunk = os.read(self.fd, 65536)
            if not chunk:
                return None
            self._pending += chunk
        line, self._pending = self._pending.split(b"\n", 1)
        message = json.loads(line)
        if not isinstance(message, dict):
            raise ValueError(f"not a JSON object: {line[:200]!r}")
        return message


def send(fd: int, message: dict[str, Any]) -> None:
    """Write one message; a short line in one write, so it is never interleaved."""
    data = (json.dumps(message) + "\n").encode()
    while data:
        data = data[os.write(fd, data) :]
