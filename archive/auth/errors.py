"""The one error authentication raises.

Every failure (a bad signature, an expired token, a wrong audience, a malformed
or revoked API key, ...) raises ``Unauthenticated`` with the SAME message, so a
caller learns nothing about which check failed. The ``reason`` attribute says
which one, for server logs only; it must never reach a response.
"""

from __future__ import annotations

from archive.domain.errors import ArchiveError


class Unauthenticated(ArchiveError):
    """The presented credentials are missing, malformed or not valid."""

    code = "UNAUTHENTICATED"
    MESSAGE = "invalid or missing credentials"

    def __init__(self, reason: str = "") -> None:
        super().__init__(self.MESSAGE)
        self.reason = reason  # for logs only; never shown to the caller
