"""Identity settings: the dev admin never runs in production; OIDC and role maps are checked early."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from archive.auth.claims import parse_role_map
from archive.domain.access import Role
from archive.settings import Mode, Settings

SECRET = "p" * 40


def settings(tmp_path: Path, **values: object) -> Settings:
    return Settings(_env_file=None, data_dir=tmp_path, **values)  # type: ignore[call-arg]


def test_dev_admin_is_on_in_development_unless_turned_off(tmp_path: Path) -> None:
    assert settings(tmp_path).dev_admin_enabled
    assert not settings(tmp_path, dev_local_admin=False).dev_admin_enabled


def test_dev_admin_cannot_be_enabled_in_production(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValidationError, match="DEV_LOCAL_ADMIN"):
        settings(tmp_path, mode=Mode.PRODUCTION, secret_key=SECRET, dev_local_admin=True)
    monkeypatch.setenv("ARCHIVE_MODE", "production")
    monkeypatch.setenv("ARCHIVE_DEV_LOCAL_ADMIN", "true")
    monkeypatch.setenv("ARCHIVE_SECRET_KEY", SECRET)
    with pytest.raises(ValidationError, match="DEV_LOCAL_ADMIN"):
        Settings(_env_file=None)  # type: ignore[call-arg]
    monkeypatch.delenv("ARCHIVE_DEV_LOCAL_ADMIN")
    assert not Settings(_env_file=None).dev_admin_enabled  # type: ignore[call-arg]


def test_oidc_needs_an_audience_and_exactly_one_key_source(tmp_path: Path) -> None:
    pem = tmp_path / "k.pem"
    pem.write_text("x", encoding="ascii")
    base = {"oidc_issuer": "https://sso.example.gov.vn"}
    with pytest.raises(ValidationError, match="AUDIENCE"):
        settings(tmp_path, **base, oidc_public_key_file=pem)
    with pytest.raises(ValidationError, match="exactly one"):
        settings(tmp_path, **base, oidc_audience="a")
    with pytest.raises(ValidationError, match="exactly one"):
        settings(
            tmp_path, **base, oidc_audience="a", oidc_public_key_file=pem, oidc_jwks_url="https://x/jwks"
        )
    assert settings(tmp_path, **base, oidc_audience="a", oidc_jwks_url="https://x/jwks").oidc_enabled


def test_role_map_format(tmp_path: Path) -> None:
    mapping = parse_role_map("archive-clerk=clerk, vt_admin = admin")
    assert mapping["archive-clerk"] is Role.CLERK and mapping["vt_admin"] is Role.ADMIN
    assert mapping["reader"] is Role.READER  # our own names still map to themselves
    for bad in ("clerk", "x=superuser", "=clerk"):
        with pytest.raises(ValueError):
            parse_role_map(bad)
    with pytest.raises(ValidationError, match="superuser"):
        settings(tmp_path, oidc_role_map="x=superuser")
