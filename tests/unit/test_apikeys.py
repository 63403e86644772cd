"""API keys: issued once, stored as a peppered hash, and checked in constant time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from archive.auth import (
    ApiKey,
    Unauthenticated,
    authenticate_api_key,
    derive_pepper,
    generate_api_key,
    hash_secret,
    parse_api_key,
    verify_secret,
)
from archive.domain.access import Role
from archive.domain.records import Classification

PEPPER = derive_pepper("a-test-secret-key-of-at-least-32-characters")
NOW = datetime(2025, 3, 1, 8, 30, tzinfo=UTC)


def stored(secret: str, revoked_at: datetime | None = None) -> ApiKey:
    return ApiKey(
        id="0123456789abcdef",
        name="Cổng dịch vụ công tỉnh",
        agencies=frozenset({"000.00.01.H12"}),
        roles=frozenset({Role.READER}),
        clearance=Classification.ORDINARY,
        created_at=NOW - timedelta(days=30),
        revoked_at=revoked_at,
        hash=hash_secret(secret, pepper=PEPPER),
    )


def test_a_generated_key_parses_back_to_its_parts() -> None:
    key_id, secret, display = generate_api_key()

    assert display == f"ark_{key_id}_{secret}"
    assert parse_api_key(display) == (key_id, secret)
    assert len(secret) == 43  # 32 random bytes, URL-safe base64


def test_generated_keys_differ() -> None:
    keys = {generate_api_key().display for _ in range(50)}

    assert len(keys) == 50


def test_a_secret_containing_underscores_still_parses() -> None:
    secret = "_" * 10 + "a" * 33

    assert parse_api_key(f"ark_0123456789abcdef_{secret}") == ("0123456789abcdef", secret)


@pytest.mark.parametrize(
    "presented",
    [
        "",
        "ark_",
        "ark_0123456789abcdef",
        "ark_0123456789abcdef_",
        "ark_0123456789abcdef_short",
        "xyz_0123456789abcdef_" + "a" * 43,
        "ark_0123456789ABCDEF_" + "a" * 43,  # key ids are lower-case hex
        "ark_0123456789abcdef_" + "a" * 42 + "=",
        "ark_0123456789abcdef_" + "a" * 44,
        "Bearer ark_0123456789abcdef_" + "a" * 43,
    ],
)
def test_a_malformed_key_is_unauthenticated(presented: str) -> None:
    with pytest.raises(Unauthenticated) as caught:
        parse_api_key(presented)

    assert str(caught.value) == Unauthenticated.MESSAGE


def test_the_stored_hash_verifies_its_secret_only() -> None:
    _, secret, _ = generate_api_key()
    digest = hash_secret(secret, pepper=PEPPER)

    assert digest.startswith("hmac-sha256:")
    assert secret not in digest
    assert verify_secret(secret, digest, pepper=PEPPER)
    assert not verify_secret(secret + "x", digest, pepper=PEPPER)
    assert not verify_secret(secret, digest, pepper=derive_pepper("another-server-key"))
    assert not verify_secret(secret, digest.upper(), pepper=PEPPER)
    assert not verify_secret(secret, "", pepper=PEPPER)


def test_the_pepper_is_bound_to_the_server_key() -> None:
    assert derive_pepper("k1") != derive_pepper("k2")
    assert derive_pepper("k1") == derive_pepper("k1")
    assert derive_pepper("k1") != b"k1"  # derived, not the raw secret key


@settings(deadline=None)  # no timed assertions: the machine is shared
@given(st.text(min_size=1, max_size=80))
def test_any_other_secret_is_refused(other: str) -> None:
    secret = "s" * 43
    digest = hash_secret(secret, pepper=PEPPER)

    assert verify_secret(other, digest, pepper=PEPPER) == (other == secret)


def test_an_api_key_principal_carries_its_scope() -> None:
    principal = stored("x").principal()

    assert principal.subject == "apikey:0123456789abcdef"
    assert principal.roles == {Role.READER}
    assert principal.agencies == {"000.00.01.H12"}
    assert principal.clearance is Classification.ORDINARY
    assert not principal.anonymous


def test_a_good_key_authenticates() -> None:
    _, secret, display = generate_api_key()
    row = stored(secret)

    principal = authenticate_api_key(row, parse_api_key(display)[1], pepper=PEPPER, now=NOW)

    assert principal == row.principal()


@pytest.mark.parametrize(
    ("row", "secret", "reason"),
    [
        (None, "s" * 43, "unknown"),
        (stored("s" * 43), "t" * 43, "wrong"),
        (stored("s" * 43, revoked_at=NOW - timedelta(seconds=1)), "s" * 43, "revoked"),
    ],
)
def test_unknown_wrong_and_revoked_keys_get_the_same_answer(
    row: ApiKey | None, secret: str, reason: str
) -> None:
    with pytest.raises(Unauthenticated) as caught:
        authenticate_api_key(row, secret, pepper=PEPPER, now=NOW)

    assert str(caught.value) == Unauthenticated.MESSAGE
    assert reason in caught.value.reason


def test_a_revocation_scheduled_for_later_does_not_apply_yet() -> None:
    row = stored("s" * 43, revoked_at=NOW + timedelta(hours=1))

    assert row.is_active(NOW)
    assert not row.is_active(NOW + timedelta(hours=2))
