"""Shared fixtures: the two stacks every end-to-end and API test runs against.

``embedded``: SQLite, a local blob directory, SQLite FTS5 — always runs.
``production``: PostgreSQL, an S3 server with Object Lock, Elasticsearch — runs
when the test command has started them (ARCHIVE_TEST_* variables), and is
skipped with the reason otherwise.
"""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import subprocess
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from archive.services.container import Services
from archive.settings import Settings
from tests.support.db import fresh_database
from tests.support.graphql import api_client, open_services

PG_ENV = "ARCHIVE_TEST_POSTGRES_URL"
ES_ENV = "ARCHIVE_TEST_ELASTICSEARCH_URL"
S3_ENV = "ARCHIVE_TEST_S3_ENDPOINT"

STACKS = [
    pytest.param("embedded", id="embedded"),
    pytest.param(
        "production",
        id="production",
        marks=[pytest.mark.postgres, pytest.mark.elasticsearch, pytest.mark.s3],
    ),
]


SERVICE_ENV = {
    "postgres": PG_ENV,
    "elasticsearch": ES_ENV,
    "s3": S3_ENV,
}


OCR_LANGUAGES = ("vie", "eng")


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


@functools.cache
def tesseract_missing() -> str | None:
    """Why OCR cannot run here (no binary, or no Vietnamese or English data), or None."""
    if shutil.which("tesseract") is None:
        return "tesseract is not installed"
    listed = subprocess.run(
        ["tesseract", "--list-langs"], capture_output=True, text=True, timeout=30, check=False
    )
    languages = set((listed.stdout + listed.stderr).split())
    absent = [lang for lang in OCR_LANGUAGES if lang not in languages]
    return f"tesseract has no {'+'.join(absent)} data" if absent else None


def pytest_configure(config: pytest.Config) -> None:
    """CI runs everything: a missing service, or tesseract without its Vietnamese
    data, is an error there, not a skip."""
    if not in_ci():
        return
    missing = [env for env in SERVICE_ENV.values() if not os.environ.get(env)]
    if missing:
        names = ", ".join(missing)
        raise pytest.UsageError(f"CI must run every suite, but {names} is not set: use scripts/test")
    if (why := tesseract_missing()) is not None:
        raise pytest.UsageError(f"CI must run the OCR suites, but {why}: use scripts/test (it installs it)")


def pytest_runtest_setup(item: pytest.Item) -> None:
    """The ``tesseract`` marker gates OCR tests, with the reason, outside CI."""
    if item.get_closest_marker("tesseract") is not None and (why := tesseract_missing()) is not None:
        pytest.skip(why)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say plainly which suites did not run, and why."""
    missing = [f"{marker} ({env} not set)" for marker, env in SERVICE_ENV.items() if not os.environ.get(env)]
    if (why := tesseract_missing()) is not None:
        missing.append(f"tesseract ({why})")
    if missing:
        terminalreporter.write_line(
            f"Skipped the suites on real services: {', '.join(missing)}. Run scripts/test for everything.",
            yellow=True,
        )


def require_env(*names: str) -> None:
    missing = [n for n in names if not os.environ.get(n)]
    if missing:
        pytest.skip(f"{', '.join(missing)} not set: run scripts/test to start the real services")


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    require_env(PG_ENV)
    with fresh_database(os.environ[PG_ENV]) as url:
        yield url


def embedded_settings(data_dir: Path, **overrides: object) -> Settings:
    return Settings(_env_file=None, data_dir=data_dir, **overrides)  # type: ignore[call-arg]


_INDICES_TO_DROP: list[str] = []  # Elasticsearch indices made by the running test


def production_settings(data_dir: Path, database_url: str, **overrides: object) -> Settings:
    require_env(ES_ENV, S3_ENV)
    tag = uuid.uuid4().hex[:12]
    _INDICES_TO_DROP.append(f"records-{tag}")
    return Settings(  # type: ignore[call-arg]
        _env_file=None,
        data_dir=data_dir,
        database_url=database_url,
        blob_backend="s3",
        s3_endpoint=os.environ[S3_ENV],
        s3_access_key=os.environ.get("ARCHIVE_TEST_S3_ACCESS_KEY", ""),
        s3_secret_key=os.environ.get("ARCHIVE_TEST_S3_SECRET_KEY", ""),
        s3_ca_file=os.environ.get("ARCHIVE_TEST_S3_CA_FILE") or None,
        s3_bucket=f"e2e-{tag}",
        search_backend="elasticsearch",
        elasticsearch_url=os.environ[ES_ENV],
        elasticsearch_index=f"records-{tag}",
        **overrides,
    )


@pytest.fixture(autouse=True)
def _drop_test_indices() -> Iterator[None]:
    """Delete the Elasticsearch indices a test made (and their generations, ``records-<tag>*``):
    a node holds at most 1000 shards, fewer than the suite's tests that make an index."""
    yield
    url = os.environ.get(ES_ENV)
    while _INDICES_TO_DROP:
        index = _INDICES_TO_DROP.pop()
        if url:
            with contextlib.suppress(httpx.HTTPError):
                httpx.delete(f"{url}/{index}*", params={"ignore_unavailable": "true"}, timeout=30)


@pytest.fixture(params=STACKS)
def stack(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def stack_settings(stack: str, tmp_path: Path, request: pytest.FixtureRequest) -> Settings:
    if stack == "embedded":
        return embedded_settings(tmp_path / "data")
    database_url = request.getfixturevalue("postgres_url")
    return production_settings(tmp_path / "data", database_url)


@pytest.fixture
async def services(stack_settings: Settings) -> AsyncIterator[Services]:
    """Adapters for the stack, migrated and ready; closed after."""
    async with open_services(stack_settings) as built:
        yield built


@pytest.fixture
async def client(services: Services) -> AsyncIterator[httpx.AsyncClient]:
    async with api_client(services) as c:
        yield c
