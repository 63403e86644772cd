"""Download tokens: signed by SignedTokens, and still compatible with links the earlier
hand-written signer issued (same key, claims in insertion order), so a deployment that
upgrades does not break the links already handed out."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta

import pytest

from archive.domain.errors import NotFound
from archive.services.links import DownloadLinks

SECRET = b"s" * 32
NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _legacy_token(claims: dict[str, str | int]) -> str:
    """A token exactly as DownloadLinks signed it before it used SignedTokens."""
    key = hashlib.sha256(b"download-links\x00" + SECRET).digest()
    payload = _b64(json.dumps(claims, separators=(",", ":")).encode())
    return f"{payload}.{_b64(hmac.new(key, payload.encode(), hashlib.sha256).digest())}"


def test_a_link_issued_by_the_earlier_signer_still_checks() -> None:
    expires = int((NOW + timedelta(minutes=5)).timestamp())
    token = _legacy_token({"r": "rec-1", "s": "reader", "e": expires, "f": "file-2", "v": 3})
    claims = DownloadLinks(SECRET).check(token, now=NOW)
    assert (claims.record_id, claims.subject, claims.file_id, claims.version) == (
        "rec-1",
        "reader",
        "file-2",
        3,
    )
    assert claims.expires_at == datetime.fromtimestamp(expires, tz=UTC)


def test_an_issued_link_checks_until_it_expires() -> None:
    links = DownloadLinks(SECRET)
    token, expires = links.issue("rec-1", "reader", now=NOW, ttl=timedelta(seconds=60))
    claims = links.check(token, now=NOW + timedelta(seconds=59))
    assert (claims.record_id, claims.file_id, claims.version, claims.expires_at) == (
        "rec-1",
        None,
        None,
        expires,
    )
    with pytest.raises(NotFound):
        links.check(token, now=NOW + timedelta(seconds=60))


@pytest.mark.parametrize(
    "bad",
    [
        "nonsense",
        "é" * 10,
        _legacy_token({"r": "rec-1", "s": "reader"}),  # signed, but no expiry
        _legacy_token({"r": "rec-1", "s": "reader", "e": "soon"}),  # signed, expiry not a number
    ],
)
def test_anything_else_is_not_found(bad: str) -> None:
    with pytest.raises(NotFound):
        DownloadLinks(SECRET).check(bad, now=NOW)


def test_a_link_from_another_secret_or_with_an_altered_byte_is_not_found() -> None:
    token, _ = DownloadLinks(b"t" * 32).issue("rec-1", "reader", now=NOW, ttl=timedelta(seconds=60))
    with pytest.raises(NotFound):
        DownloadLinks(SECRET).check(token, now=NOW)
    payload, _, signature = (
        DownloadLinks(SECRET).issue("rec-1", "r", now=NOW, ttl=timedelta(seconds=60))[0].partition(".")
    )
    altered = f"{payload[:-1]}{'A' if payload[-1] != 'A' else 'B'}.{signature}"
    with pytest.raises(NotFound):
        DownloadLinks(SECRET).check(altered, now=NOW)
