"""Short-lived signed download tokens, for blob stores without presigned URLs.

A token names the record (and, for a file other than the main file's current version,
the file and its version) and expires; it is HMAC-SHA256
signed with the deployment secret, so altering any byte invalidates it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from archive.domain.errors import NotFound

MAX_TOKEN_LENGTH = 2000  # a real token is about 200 characters


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
        self._key = hashlib.sha256(b"download-links\x00" + secret).digest()

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
        body = json.dumps(claims, separators=(",", ":")).encode()
        payload = _b64(body)
        return f"{payload}.{self._sign(payload)}", expires

    def check(self, token: str, *, now: datetime) -> LinkClaims:
        """The claims of a valid, unexpired token; NotFound for anything else, so a
        bad link tells the caller nothing."""
        payload, _, signature = token.partition(".")
        # A token we issued is ASCII; anything else (compare_digest refuses non-ASCII
        # text with a TypeError) is simply not ours.
        if not payload or not token.isascii() or len(token) > MAX_TOKEN_LENGTH:
            raise NotFound("no such download")
        if not hmac.compare_digest(signature, self._sign(payload)):
            raise NotFound("no such download")
        try:
            data = json.loads(_unb64(payload))
            claims = LinkClaims(
                record_id=str(data["r"]),
                subject=str(data["s"]),
                expires_at=datetime.fromtimestamp(int(data["e"]), tz=now.tzinfo),
                file_id=None if data.get("f") is None else str(data["f"]),
                version=None if data.get("v") is None else int(data["v"]),
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise NotFound("no such download") from exc
        if claims.expires_at <= now:
            raise NotFound("no such download")
        return claims

    def _sign(self, payload: str) -> str:
        return _b64(hmac.new(self._key, payload.encode(), hashlib.sha256).digest())


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
