"""Short-lived tokens signed with a key derived from the deployment secret: a JSON body
and its HMAC-SHA256, both base64url. Each use (downloads, previews) derives its own key,
so a token issued for one can never be replayed as the other."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping

MAX_TOKEN_LENGTH = 2000  # a real token is about 200 characters


class SignedTokens:
    """Issues and checks tokens for one ``purpose``."""

    def __init__(self, secret: bytes, purpose: str) -> None:
        self._key = hashlib.sha256(purpose.encode() + b"\x00" + secret).digest()

    def issue(self, claims: Mapping[str, str | int]) -> str:
        payload = b64(json.dumps(dict(claims), separators=(",", ":"), sort_keys=True).encode())
        return f"{payload}.{self._sign(payload)}"

    def check(self, token: str) -> dict[str, object] | None:
        """The claims of a token this signer issued, or None for anything else (not ASCII,
        too long, a bad signature, a body that is not a JSON object)."""
        payload, _, signature = token.partition(".")
        # compare_digest refuses non-ASCII text with a TypeError: such a token is not ours.
        if not payload or not token.isascii() or len(token) > MAX_TOKEN_LENGTH:
            return None
        if not hmac.compare_digest(signature, self._sign(payload)):
            return None
        try:
            claims = json.loads(unb64(payload))
        except ValueError:
            return None
        return claims if isinstance(claims, dict) else None

    def _sign(self, payload: str) -> str:
        return b64(hmac.new(self._key, payload.encode(), hashlib.sha256).digest())


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
