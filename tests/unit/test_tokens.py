"""Bearer tokens: a good one maps to the right Principal; every bad one gets the same 401."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from archive.auth import TokenConfig, TokenVerifier, Unauthenticated
from archive.auth.claims import claim_at, map_agencies, map_clearance, map_roles
from archive.domain.access import Role
from archive.domain.errors import ServiceUnavailable
from archive.domain.records import Classification

ISSUER = "https://sso.example.gov.vn/realms/tinh"
AUDIENCE = "records-archive"


@dataclass(frozen=True)
class Keys:
    private: Any
    public_pem: str


def _keys(private: Any) -> Keys:
    pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return Keys(private, pem.decode("ascii"))


@pytest.fixture(scope="module")
def rsa_keys() -> Keys:
    return _keys(rsa.generate_private_key(public_exponent=65537, key_size=2048))


@pytest.fixture(scope="module")
def other_rsa_keys() -> Keys:
    return _keys(rsa.generate_private_key(public_exponent=65537, key_size=2048))


@pytest.fixture(scope="module")
def ec_keys() -> Keys:
    return _keys(ec.generate_private_key(ec.SECP256R1()))


def keycloak_config(pem: str | None = None, jwks_url: str | None = None) -> TokenConfig:
    return TokenConfig(
        issuer=ISSUER,
        audience=AUDIENCE,
        algorithms=("RS256", "ES256"),
        public_key_pem=pem,
        jwks_url=jwks_url,
        roles_claim="realm_access.roles",
        agencies_claim="agencies",
        clearance_claim="clearance",
        role_map={"archive-reader": Role.READER, "archive-clerk": Role.CLERK},
    )


def claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    body: dict[str, Any] = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "f3b1c2d4-user",
        "iat": now,
        "exp": now + 300,
        "realm_access": {"roles": ["archive-reader", "archive-clerk", "offline_access"]},
        "agencies": ["000.00.01.H12", "000.00.02.H12"],
        "clearance": "Mật",
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


def sign(keys: Keys, body: dict[str, Any], alg: str = "RS256", kid: str | None = None) -> str:
    headers = {"kid": kid} if kid else None
    return jwt.encode(body, keys.private, algorithm=alg, headers=headers)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unsigned(body: dict[str, Any], header: dict[str, Any]) -> str:
    return f"{b64(json.dumps(header).encode())}.{b64(json.dumps(body).encode())}"


def test_a_keycloak_token_maps_to_its_principal(rsa_keys: Keys) -> None:
    principal = TokenVerifier(keycloak_config(rsa_keys.public_pem)).verify(sign(rsa_keys, claims()))

    assert principal.subject == "f3b1c2d4-user"
    assert principal.roles == {Role.READER, Role.CLERK}  # offline_access is ignored
    assert principal.agencies == {"000.00.01.H12", "000.00.02.H12"}
    assert principal.clearance is Classification.CONFIDENTIAL
    assert not principal.anonymous


def test_an_ec_token_verifies_with_an_ec_key(ec_keys: Keys) -> None:
    token = sign(ec_keys, claims(clearance=3), alg="ES256")

    principal = TokenVerifier(keycloak_config(ec_keys.public_pem)).verify(token)

    assert principal.clearance is Classification.TOP_SECRET


def test_missing_optional_claims_give_the_least_privilege(rsa_keys: Keys) -> None:
    body = claims(realm_access=None, agencies=None, clearance=None)

    principal = TokenVerifier(keycloak_config(rsa_keys.public_pem)).verify(sign(rsa_keys, body))

    assert principal.roles == frozenset()
    assert principal.agencies == frozenset()
    assert principal.clearance is Classification.ORDINARY


def test_a_token_within_the_leeway_is_accepted(rsa_keys: Keys) -> None:
    now = int(time.time())
    body = claims(exp=now - 10, nbf=now + 10)  # both inside the 30 s default leeway

    principal = TokenVerifier(keycloak_config(rsa_keys.public_pem)).verify(sign(rsa_keys, body))

    assert principal.subject == "f3b1c2d4-user"


def _bad_tokens(keys: Keys, other: Keys) -> dict[str, str]:
    now = int(time.time())
    good = sign(keys, claims())
    head, payload, signature = good.split(".")
    flipped = signature[:-4] + ("AAAA" if signature[-4:] != "AAAA" else "BBBB")
    hs_header = {"alg": "HS256", "typ": "JWT"}
    hs_input = unsigned(claims(), hs_header)
    hs_mac = hmac.new(keys.public_pem.encode(), hs_input.encode(), hashlib.sha256).digest()
    return {
        "alg none": unsigned(claims(), {"alg": "none", "typ": "JWT"}) + ".",
        "HS256 keyed with the public key": f"{hs_input}.{b64(hs_mac)}",
        "wrong audience": sign(keys, claims(aud="another-service")),
        "wrong issuer": sign(keys, claims(iss="https://evil.example/realms/tinh")),
        "expired": sign(keys, claims(exp=now - 3600)),
        "not yet valid": sign(keys, claims(nbf=now + 3600)),
        "missing exp": sign(keys, claims(exp=None)),
        "missing aud": sign(keys, claims(aud=None)),
        "missing iss": sign(keys, claims(iss=None)),
        "missing sub": sign(keys, claims(sub=None)),
        "bad signature": f"{head}.{payload}.{flipped}",
        "payload swapped": f"{head}.{b64(json.dumps(claims(sub='admin')).encode())}.{signature}",
        "garbage": "not-a-jwt",
        "empty": "",
        "huge": "a" * 100_000,
        "another key": sign(other, claims()),
        "reserved subject": sign(keys, claims(sub="apikey:abcdef")),
    }


# Each case, and the check that must be the one to refuse it (seen only in the log reason).
BAD_CASES = {
    "alg none": "InvalidAlgorithmError",
    "HS256 keyed with the public key": "InvalidAlgorithmError",
    "wrong audience": "InvalidAudienceError",
    "wrong issuer": "InvalidIssuerError",
    "expired": "ExpiredSignatureError",
    "not yet valid": "ImmatureSignatureError",
    "missing exp": '"exp"',
    "missing aud": '"aud"',
    "missing iss": '"iss"',
    "missing sub": '"sub"',
    "bad signature": "InvalidSignatureError",
    "payload swapped": "InvalidSignatureError",
    "garbage": "DecodeError",
    "empty": "empty",
    "huge": "too long",
    "another key": "InvalidSignatureError",
    "reserved subject": "reserved subject",
}


@pytest.mark.parametrize(("case", "reason"), BAD_CASES.items())
def test_every_bad_token_gets_the_same_answer(
    case: str, reason: str, rsa_keys: Keys, other_rsa_keys: Keys
) -> None:
    token = _bad_tokens(rsa_keys, other_rsa_keys)[case]
    verifier = TokenVerifier(keycloak_config(rsa_keys.public_pem))

    with pytest.raises(Unauthenticated) as caught:
        verifier.verify(token)

    assert caught.value.code == "UNAUTHENTICATED"
    assert str(caught.value) == caught.value.message == Unauthenticated.MESSAGE
    assert reason in caught.value.reason  # the intended check refused it


def test_bad_tokens_cover_every_case(rsa_keys: Keys, other_rsa_keys: Keys) -> None:
    assert set(_bad_tokens(rsa_keys, other_rsa_keys)) == set(BAD_CASES)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"algorithms": ("HS256",)}, "algorithms"),
        ({"algorithms": ("RS256", "none")}, "algorithms"),
        ({"algorithms": ()}, "algorithms"),
        ({"public_key_pem": None}, "exactly one"),
        ({"jwks_url": "https://sso.example.gov.vn/certs"}, "exactly one"),
        ({"audience": ""}, "audience"),
        ({"leeway_seconds": 3600}, "leeway"),
    ],
)
def test_unsafe_configurations_are_refused(changes: dict[str, Any], message: str, rsa_keys: Keys) -> None:
    base: dict[str, Any] = {
        "issuer": ISSUER,
        "audience": AUDIENCE,
        "public_key_pem": rsa_keys.public_pem,
    }

    with pytest.raises(ValueError, match=message):
        TokenConfig(**(base | changes))


@pytest.mark.parametrize(
    "url", ["http://sso.example.gov.vn/certs", "ftp://127.0.0.1/certs", "file:///etc/jwks.json"]
)
def test_jwks_must_come_over_https_unless_on_loopback(url: str) -> None:
    with pytest.raises(ValueError, match="https"):
        TokenConfig(issuer=ISSUER, audience=AUDIENCE, jwks_url=url)


def test_a_non_key_pem_is_refused_at_startup() -> None:
    with pytest.raises(ValueError):
        TokenVerifier(keycloak_config("-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----"))


# --- JWKS -------------------------------------------------------------------


class JwksServer:
    """A JWKS endpoint on 127.0.0.1 that counts how often it is fetched."""

    def __init__(self, jwks: dict[str, Any]) -> None:
        self.jwks = jwks
        self.fetches = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.fetches += 1
                body = json.dumps(server.jwks).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass  # keep test output clean

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/realms/tinh/certs"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> JwksServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join()


def jwk(keys: Keys, kid: str, alg: str) -> dict[str, Any]:
    algorithm = jwt.get_algorithm_by_name(alg)
    body: dict[str, Any] = algorithm.to_jwk(keys.private.public_key(), as_dict=True)
    return body | {"kid": kid, "use": "sig", "alg": alg}


@pytest.fixture
def jwks_server(rsa_keys: Keys, ec_keys: Keys) -> Iterator[JwksServer]:
    keys = [jwk(rsa_keys, "rsa-2025", "RS256"), jwk(ec_keys, "ec-2025", "ES256")]
    with JwksServer({"keys": keys}) as server:
        yield server


def test_a_token_verifies_against_the_jwks_key_its_kid_names(
    jwks_server: JwksServer, rsa_keys: Keys, ec_keys: Keys
) -> None:
    verifier = TokenVerifier(keycloak_config(jwks_url=jwks_server.url))

    by_rsa = verifier.verify(sign(rsa_keys, claims(sub="u1"), kid="rsa-2025"))
    by_ec = verifier.verify(sign(ec_keys, claims(sub="u2"), alg="ES256", kid="ec-2025"))

    assert (by_rsa.subject, by_ec.subject) == ("u1", "u2")
    assert jwks_server.fetches == 1  # the key set is cached
    assert verifier.may_block


@pytest.mark.parametrize("kid", ["rsa-2025", "unknown-kid", None])
def test_a_jwks_token_from_a_foreign_key_is_refused(
    kid: str | None, jwks_server: JwksServer, other_rsa_keys: Keys
) -> None:
    verifier = TokenVerifier(keycloak_config(jwks_url=jwks_server.url))

    with pytest.raises(Unauthenticated) as caught:
        verifier.verify(sign(other_rsa_keys, claims(), kid=kid))

    assert str(caught.value) == Unauthenticated.MESSAGE


def test_a_jwks_key_is_held_to_its_declared_algorithm(jwks_server: JwksServer, rsa_keys: Keys) -> None:
    verifier = TokenVerifier(keycloak_config(jwks_url=jwks_server.url))
    # The EC kid with an RSA signature: the header's alg no longer matches the key.
    token = sign(rsa_keys, claims(), alg="RS256", kid="ec-2025")

    with pytest.raises(Unauthenticated):
        verifier.verify(token)


def test_an_unreachable_jwks_is_a_service_failure_not_a_bad_token(rsa_keys: Keys) -> None:
    with JwksServer({"keys": []}) as server:
        url = server.url
    verifier = TokenVerifier(keycloak_config(jwks_url=url))  # the server is gone now

    with pytest.raises(ServiceUnavailable):
        verifier.verify(sign(rsa_keys, claims(), kid="rsa-2025"))
    with pytest.raises(ServiceUnavailable):
        verifier.prefetch()


def test_prefetch_fills_the_cache(jwks_server: JwksServer, rsa_keys: Keys) -> None:
    verifier = TokenVerifier(keycloak_config(jwks_url=jwks_server.url))

    verifier.prefetch()
    verifier.verify(sign(rsa_keys, claims(), kid="rsa-2025"))

    assert jwks_server.fetches == 1


def test_a_pem_verifier_never_blocks(rsa_keys: Keys) -> None:
    verifier = TokenVerifier(keycloak_config(rsa_keys.public_pem))

    verifier.prefetch()

    assert not verifier.may_block


# --- claim mapping ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "clearance"),
    [
        (0, Classification.ORDINARY),
        (2, Classification.SECRET),
        ("3", Classification.TOP_SECRET),
        ("Mật", Classification.CONFIDENTIAL),
        ("TỐI MẬT", Classification.SECRET),
        (unicodedata.normalize("NFD", "Tuyệt mật"), Classification.TOP_SECRET),
        ("tuyet-mat", Classification.TOP_SECRET),
        ("confidential", Classification.CONFIDENTIAL),
        ("TOP_SECRET", Classification.TOP_SECRET),
        (["secret"], Classification.SECRET),
        ("cosmic", Classification.ORDINARY),
        (7, Classification.ORDINARY),
        (-1, Classification.ORDINARY),
        (True, Classification.ORDINARY),
        (2.0, Classification.ORDINARY),
        (["secret", "top secret"], Classification.ORDINARY),
        ({"level": 3}, Classification.ORDINARY),
    ],
)
def test_clearance_names_and_numbers_map_and_unknowns_fall_to_the_lowest(
    value: object, clearance: Classification
) -> None:
    assert map_clearance(value) is clearance


def test_claim_paths_walk_nested_claims_and_find_dotted_names() -> None:
    body = {
        "realm_access": {"roles": ["a"]},
        "https://example.gov.vn/roles": ["b"],
        "flat": "x",
    }

    assert claim_at(body, "realm_access.roles") == ["a"]
    assert claim_at(body, "https://example.gov.vn/roles") == ["b"]
    assert claim_at(body, "realm_access.missing") is None
    assert claim_at(body, "flat.deeper") is None


def test_a_top_level_claim_named_like_a_path_never_overrides_the_nested_one(rsa_keys: Keys) -> None:
    """Finding 8: a claim literally named ``realm_access.roles`` overrode the nested roles."""
    body = {"realm_access": {"roles": ["archive-reader"]}, "realm_access.roles": ["admin"]}
    assert claim_at(body, "realm_access.roles") == ["archive-reader"]
    assert claim_at({"realm_access.roles": ["x"]}, "realm_access.roles") == ["x"]  # nothing nested

    verifier = TokenVerifier(keycloak_config(rsa_keys.public_pem))
    forged = {"realm_access": {"roles": ["archive-reader"]}, "realm_access.roles": ["archive-clerk"]}
    token = sign(rsa_keys, claims(**forged))
    assert verifier.verify(token).roles == {Role.READER}


@pytest.mark.parametrize(
    "subject",
    [
        " apikey:abc",
        "apikey:abc",
        "APIKEY:abc",
        "unauthenticated",
        "Anonymous",
        "dev-admin",
        "importer",
        "local:root",
        "system:fixity",
        "cli:root",
        "reader 1",
        "reader\t1",
        "reader\n1",
        "reader\x00",
        "reader\u202e1",
        "reader\u00a01",
        "x" * 201,
    ],
)
def test_subjects_that_could_spoof_an_actor_are_refused(rsa_keys: Keys, subject: str) -> None:
    """Finding 8: blanks, controls and the service's own actor names were accepted as ``sub``."""
    verifier = TokenVerifier(keycloak_config(rsa_keys.public_pem))
    with pytest.raises(Unauthenticated) as caught:
        verifier.verify(sign(rsa_keys, claims(sub=subject)))
    assert caught.value.reason == "reserved subject"


def test_ordinary_subjects_still_pass(rsa_keys: Keys) -> None:
    verifier = TokenVerifier(keycloak_config(rsa_keys.public_pem))
    for subject in (
        "f3c1d2e4-5b6a-4c7d-8e9f-0a1b2c3d4e5f",
        "nguyễn.văn.an@hagiang.gov.vn",
        "service-account-portal",
    ):
        assert verifier.verify(sign(rsa_keys, claims(sub=subject))).subject == subject


def test_roles_come_from_a_list_or_a_space_separated_string() -> None:
    mapping = {"archive-reader": Role.READER, "archive-admin": Role.ADMIN}

    assert map_roles("archive-reader openid archive-admin", mapping) == {Role.READER, Role.ADMIN}
    assert map_roles(["archive-reader", 5, None], mapping) == {Role.READER}
    assert map_roles({"archive-admin": True}, mapping) == frozenset()


def test_agencies_come_from_a_list_or_one_code() -> None:
    assert map_agencies("000.00.01.H12") == {"000.00.01.H12"}
    assert map_agencies(["A", " B ", "", 3]) == {"A", "B"}
    assert map_agencies(None) == frozenset()
