"""Short-lived signed download tokens, for blob stores without presigned URLs.

A token names the record (and, for a file other than the main file's current version,
the file and its version) and expires; it is signed by ``SignedTokens`` for the
``download-links`` purpose, so altering any byte invalidates it and a preview link can
never be replayed as a download.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from archive.domain.errors import NotFound
from archive.services.signing import SignedTokens

PURPOSE = "download-links"


@dataclass(frozen=True, slots=True)
class LinkClaims:
    record_id: str
    subject: str  # who the link was issued to, for the audit
    expires_at: datetime
    file_id: str | None = None  # None: the main file
    version: int | None = None  # None: the file's current version when the link is used


class DownloadLinks:
    """Issues and checks download tokens."""

    def __init__(self, secret: bytes) -> None:
        # The purpose derives the same key the hand-written signer used, so links issued
        # before SignedTokens took over stay valid until they expire.
        self._tokens = SignedTokens(secret, PURPOSE)

    def issue(
        self,
        record_id: str,
        subject: str,
        *,
        now: datetime,
        ttl: timedelta,
        file_id: str | None = None,
        version: int | None = None,
    ) -> tuple[str, datetime]:
        expires = now + ttl
        claims: dict[str, str | int] = {"r": record_id, "s": subject, "e": int(expires.timestamp())}
        if file_id is not None:
            claims["f"] = file_id
        if version is not None:
            claims["v"] = version
        return self._tokens.issue(claims), expires

    def check(self, token: str, *, now: datetime) -> LinkClaims:
        """The claims of a valid, unexpired token; NotFound for anything else, so a
        bad link tells the caller nothing."""
        data = self._tokens.check(token)
        if data is None:
            raise NotFound("no such download")
        try:
            claims = _claims(data, now)
        except (ValueError, KeyError, TypeError) as exc:
            raise NotFound("no such download") from exc
        if claims.expires_at <= now:
            raise NotFound("no such download")
        return claims


def _claims(data: Mapping[str, Any], now: datetime) -> LinkClaims:
    # The body is untrusted JSON: a claim of the wrong type raises, and check says NotFound.
    return LinkClaims(
        record_id=str(data["r"]),
        subject=str(data["s"]),
        expires_at=datetime.fromtimestamp(int(data["e"]), tz=now.tzinfo),
        file_id=None if data.get("f") is None else str(data["f"]),
        version=None if data.get("v") is None else int(data["v"]),
    )
