"""The command line on either stack: the stack's settings exported as ARCHIVE_*
variables, as a deployment would set them, so each command builds its own adapters."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr

from archive.settings import Settings

EXPORTED = (
    "data_dir", "database_url", "blob_backend", "s3_endpoint", "s3_access_key", "s3_secret_key",
    "s3_ca_file", "s3_bucket", "search_backend", "elasticsearch_url", "elasticsearch_index",
)  # fmt: skip


@pytest.fixture
def cli_settings(stack_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """``stack_settings``, exported for the commands; the working directory has no .env."""
    for name in EXPORTED:
        value = getattr(stack_settings, name)
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        if value is not None:
            monkeypatch.setenv(f"ARCHIVE_{name.upper()}", str(value))
    monkeypatch.chdir(tmp_path)
    return stack_settings
