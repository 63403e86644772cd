"""The webhook sender over HTTP (httpx): one POST per attempt, with a timeout, no
redirects, and only to addresses the target policy allows.

The host is resolved before each attempt and every address it resolves to must be
allowed (``TargetPolicy``): a name that points at 169.254.169.254, or at the host's
own loopback, is refused without a connection. httpx resolves the name again to
connect, so a name whose DNS answer changes between the two lookups (DNS rebinding)
is not fully covered; deny lists at the network edge remain the stronger control.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Mapping
from urllib.parse import urlsplit

import httpx

from archive.domain.webhooks import SendResult, TargetPolicy

USER_AGENT = "records-archive-webhooks/1"


class HttpWebhookSender:
    """``WebhookSender`` on httpx."""

    def __init__(self, policy: TargetPolicy, *, timeout: float) -> None:
        self._policy = policy
        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(timeout),
            follow_redirects=False,
            trust_env=False,  # no proxy from the environment: the policy checks the real target
            headers={"user-agent": USER_AGENT},
        )

    async def send(self, url: str, headers: Mapping[str, str], body: bytes) -> SendResult:
        refused = await self._refusal(url)
        if refused is not None:
            return SendResult(status_code=None, error=refused)
        try:
            # Streamed and closed unread: only the status matters, and a receiver must not
            # be able to make the worker buffer a body of any size.
            async with self._client.stream("POST", url, content=body, headers=dict(headers)) as response:
                pass
        except httpx.TimeoutException:
            return SendResult(status_code=None, error="timeout")
        except httpx.HTTPError as error:
            return SendResult(status_code=None, error=f"connection failed: {type(error).__name__}")
        if response.is_redirect:
            return SendResult(response.status_code, "redirects are not followed")
        return SendResult(
            response.status_code, None if response.is_success else f"HTTP {response.status_code}"
        )

    async def _refusal(self, url: str) -> str | None:
        """Why the URL's host may not be called, or None."""
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port or (443 if parts.scheme == "https" else 80)
        try:
            found = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError:
            return f"the host {host!r} does not resolve"
        addresses = {ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in found}
        blocked = sorted(str(a) for a in addresses if not self._policy.allows(a))
        if blocked or not addresses:
            listed = ", ".join(blocked)
            return f"the target address is not allowed ({listed}): see ARCHIVE_WEBHOOK_ALLOW_NETWORKS"
        return None

    async def close(self) -> None:
        await self._client.aclose()
