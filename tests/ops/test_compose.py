"""docker-compose.yml, checked without a Docker engine.

The test reads the file, checks that the app's settings agree with the services they
point at (user, password, database, keys, ports), maps the service hostnames onto the
real services the test command started (ARCHIVE_TEST_*), and runs the app's and the
worker's command lines as compose would: the app first (``archive migrate && exec
archive serve``) until its compose health check passes (the worker's ``depends_on``),
then the worker. Then the app must answer READY_PATH, a deposit made through the app
must be processed by the worker, and both must stop cleanly on SIGTERM. (Should the
compose health check ever need the worker, compose would deadlock; so would this test.)

Deliberate differences from a compose run, each for isolation on a shared machine: a
fresh database, bucket and index; loopback and a free port instead of 0.0.0.0:8000; TLS
to the test S3 server (compose's private network speaks plain HTTP); a temporary data
directory for the image's /data.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import sqlalchemy as sa
import yaml

from archive.samples import SampleDocument, render_pdf
from tests.conftest import ES_ENV, PG_ENV, S3_ENV, require_env
from tests.support.gql import METADATA
from tests.support.graphql import DEPOSIT

# The probe the app must answer. Switch to "/readyz" once the readiness probe is merged.
READY_PATH = "/healthz"

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
VENV_BIN = Path(sys.executable).parent
_VARIABLE = re.compile(r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)")

pytestmark = [pytest.mark.postgres, pytest.mark.elasticsearch, pytest.mark.s3, pytest.mark.slow]


def interpolate(value: str, env: dict[str, str]) -> str:
    """Compose's variable substitution: ``$$``, ``${VAR}``, ``${VAR:-default}``, ``${VAR:?error}``."""

    def one(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name = match.group(1) or match.group(4)
        op, arg = match.group(2), match.group(3)
        current = env.get(name)
        if op in (":-", "-") and (current is None or (op == ":-" and not current)):
            return arg or ""
        if op in (":?", "?") and (current is None or (op == ":?" and not current)):
            raise AssertionError(f"compose would refuse to start: {arg}")
        return current or ""

    return _VARIABLE.sub(one, value)


def _compose() -> dict[str, Any]:
    loaded = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def _environment(service: dict[str, Any], env: dict[str, str]) -> dict[str, str]:
    raw = service.get("environment") or {}
    if isinstance(raw, list):  # the KEY=VALUE list form
        raw = dict(item.split("=", 1) for item in raw)
    return {str(k): interpolate(str(v), env) for k, v in raw.items()}


def _command(service: dict[str, Any], env: dict[str, str]) -> list[str]:
    command = service["command"]
    parts = command if isinstance(command, list) else ["sh", "-c", command]
    return [interpolate(str(part), env) for part in parts]


@dataclass
class Stack:
    """The test's real services, as compose would see them."""

    postgres_url: sa.engine.URL
    elasticsearch: str  # host:port
    s3: str  # host:port

    def host(self, service: str) -> str:
        return {
            "postgres": f"{self.postgres_url.host}:{self.postgres_url.port}",
            "elasticsearch": self.elasticsearch,
            "s3": self.s3,
        }[service]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _map_hosts(env: dict[str, str], stack: Stack, services: dict[str, Any]) -> dict[str, str]:
    """Point every ``service:port`` the app names at the test's server for that service."""
    mapped = {}
    for name, value in env.items():
        for service, port in (("postgres", 5432), ("elasticsearch", 9200), ("s3", 7070)):
            assert service in services, f"docker-compose.yml has no {service} service"
            value = value.replace(f"{service}:{port}", stack.host(service))
        mapped[name] = value
    return mapped


def _check_agreement(app_env: dict[str, str], services: dict[str, Any], compose_env: dict[str, str]) -> None:
    """The app's settings must match what the postgres and s3 services are started with."""
    db = sa.engine.make_url(app_env["ARCHIVE_DATABASE_URL"])
    pg = _environment(services["postgres"], compose_env)
    assert (db.host, db.port) == ("postgres", 5432)
    assert (db.username, db.password, db.database) == (
        pg["POSTGRES_USER"],
        pg["POSTGRES_PASSWORD"],
        pg["POSTGRES_DB"],
    )
    s3 = _environment(services["s3"], compose_env)
    assert (app_env["ARCHIVE_S3_ACCESS_KEY"], app_env["ARCHIVE_S3_SECRET_KEY"]) == (
        s3["ROOT_ACCESS_KEY"],
        s3["ROOT_SECRET_KEY"],
    )
    s3_command = _command(services["s3"], compose_env)
    assert s3_command[s3_command.index("--port") + 1] == ":" + app_env["ARCHIVE_S3_ENDPOINT"].split(":")[1]
    assert urlsplit(app_env["ARCHIVE_ELASTICSEARCH_URL"]).netloc == "elasticsearch:9200"


def _isolated(env: dict[str, str], database_url: str, data_dir: Path) -> dict[str, str]:
    """The deliberate differences from a compose run (see the module docstring)."""
    test_db = sa.engine.make_url(database_url)
    compose_db = sa.engine.make_url(env["ARCHIVE_DATABASE_URL"])
    tag = uuid.uuid4().hex[:12]
    ca_file = os.environ.get("ARCHIVE_TEST_S3_CA_FILE", "")
    return {
        **env,
        "ARCHIVE_DATABASE_URL": compose_db.set(database=test_db.database).render_as_string(
            hide_password=False
        ),
        "ARCHIVE_S3_BUCKET": f"compose-{tag}",
        "ARCHIVE_ELASTICSEARCH_INDEX": f"compose-{tag}",
        "ARCHIVE_S3_SECURE": "true" if ca_file else env["ARCHIVE_S3_SECURE"],
        "ARCHIVE_S3_CA_FILE": ca_file,
        "ARCHIVE_DATA_DIR": str(data_dir),  # the image's ENV ARCHIVE_DATA_DIR=/data
    }


def _process_env(app_env: dict[str, str]) -> dict[str, str]:
    """Only what the container would have: the compose environment and a PATH to ``archive``."""
    return {
        "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "HOME": os.environ.get("HOME", "/tmp"),
        "PYTHONUNBUFFERED": "1",
        **app_env,
    }


@pytest.fixture
def compose_env(postgres_url: str, tmp_path: Path) -> dict[str, str]:
    require_env(ES_ENV, S3_ENV, PG_ENV)
    test_pg = sa.engine.make_url(os.environ[PG_ENV])
    stack = Stack(test_pg, urlsplit(os.environ[ES_ENV]).netloc, os.environ[S3_ENV])
    variables = {
        "ARCHIVE_SECRET_KEY": secrets.token_hex(32),
        "POSTGRES_PASSWORD": str(test_pg.password or ""),
        "S3_ACCESS_KEY": os.environ.get("ARCHIVE_TEST_S3_ACCESS_KEY", ""),
        "S3_SECRET_KEY": os.environ.get("ARCHIVE_TEST_S3_SECRET_KEY", ""),
    }
    services = _compose()["services"]
    app_env = _environment(services["app"], variables)
    if test_pg.username != "archive":
        pytest.skip("the test PostgreSQL user is not the compose one (archive)")
    _check_agreement(app_env, services, variables)
    assert _environment(services["worker"], variables) == app_env, "app and worker must share settings"
    mapped = _map_hosts(app_env, stack, services)
    return _process_env(_isolated(mapped, postgres_url, tmp_path / "data"))


@pytest.fixture
def running() -> Iterator[list[subprocess.Popen[bytes]]]:
    """Processes started by the test, stopped with SIGTERM (then SIGKILL) afterwards."""
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for process in reversed(started):
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in started:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _start(command: list[str], env: dict[str, str], log: Path, started: list[subprocess.Popen[bytes]]) -> Any:
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, env=env, cwd=log.parent, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    started.append(process)
    return process


def _wait_for(
    what: str, passes: Any, process: subprocess.Popen[bytes], log: Path, timeout: float = 120
) -> None:
    """Poll ``passes()`` until it is true; fail with the app's log if the app exits or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the app exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        if passes():
            return
        time.sleep(0.5)
    pytest.fail(f"{what} within {timeout} s:\n{log.read_text()[-3000:]}")


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=3).status_code == 200
    except httpx.TransportError:
        return False


def _app_command(service: dict[str, Any], env: dict[str, str], port: int) -> list[str]:
    """The app's command with the listen address on loopback and a free port."""
    command = _command(service, env)
    container_port = str(service["ports"][0]).rsplit(":", 1)[1]
    joined = command[-1]
    assert f"--port {container_port}" in joined, "the published port must be the one the app listens on"
    command[-1] = joined.replace("--host 0.0.0.0", "--host 127.0.0.1").replace(
        f"--port {container_port}", f"--port {port}"
    )
    return command


def _healthcheck(service: dict[str, Any], port: int, env: dict[str, str]) -> int:
    """Run the service's compose health check (``CMD`` form) against the free port."""
    test = [str(part) for part in service["healthcheck"]["test"]]
    assert test[0] == "CMD"
    container_port = str(service["ports"][0]).rsplit(":", 1)[1]
    command = [part.replace(f":{container_port}/", f":{port}/") for part in test[1:]]
    return subprocess.run(command, env=env, capture_output=True, timeout=30, check=False).returncode


def _api_key(env: dict[str, str]) -> str:
    archive = str(VENV_BIN / "archive")
    args = ["apikey", "create", "--name", "compose-check", "--role", "clerk", "--agency", "UBND-HG"]
    result = subprocess.run(
        [archive, *args], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def _deposit(base: str, key: str) -> str:
    operations = {"query": DEPOSIT, "variables": {"file": None, "metadata": {**METADATA, "number": "77"}}}
    response = httpx.post(
        base + "/graphql",
        headers={"X-API-Key": key, "X-Archive-Request": "compose-test"},
        data={"operations": json.dumps(operations), "map": json.dumps({"0": ["variables.file"]})},
        files={"0": ("qd.pdf", render_pdf(SampleDocument(number="77")), "application/pdf")},
        timeout=60,
    )
    result = response.json()["data"]["depositRecord"]
    assert result["__typename"] == "DepositSuccess", result
    return str(result["record"]["id"])


def _processing_status(base: str, key: str, record_id: str) -> str:
    query = "query($id: ID!) { record(id: $id) { processing { status } } }"
    response = httpx.post(
        base + "/graphql", headers={"X-API-Key": key}, json={"query": query, "variables": {"id": record_id}}
    )
    return str(response.json()["data"]["record"]["processing"]["status"])


def test_the_compose_app_and_worker_commands_come_up_in_order_and_do_the_job(
    compose_env: dict[str, str], running: list[subprocess.Popen[bytes]], tmp_path: Path
) -> None:
    if shutil.which("sh") is None:
        pytest.skip("no sh")
    services = _compose()["services"]
    assert services["worker"]["depends_on"]["app"]["condition"] == "service_healthy"
    data_dir = re.search(r"^ENV ARCHIVE_DATA_DIR=(\S+)", (ROOT / "Dockerfile").read_text(), re.M)
    assert data_dir, "the image sets its data directory"
    volumes = services["app"]["volumes"]
    assert volumes == services["worker"]["volumes"], "app and worker share the data directory"
    assert any(v.endswith(":" + data_dir.group(1)) for v in volumes), "the data directory is a volume"
    port = _free_port()
    base = f"http://127.0.0.1:{port}"

    app_log = tmp_path / "app.log"
    app = _start(_app_command(services["app"], compose_env, port), compose_env, app_log, running)
    # As compose: the worker starts once the app's health check passes (depends_on).
    healthy = lambda: _healthcheck(services["app"], port, compose_env) == 0  # noqa: E731
    _wait_for("the app's compose health check did not pass", healthy, app, app_log)

    worker = _start(_command(services["worker"], compose_env), compose_env, tmp_path / "worker.log", running)
    _wait_for(f"the app did not answer {READY_PATH}", lambda: _answers(base + READY_PATH), app, app_log)
    key = _api_key(compose_env)
    record_id = _deposit(base, key)
    deadline = time.monotonic() + 120
    while _processing_status(base, key, record_id) != "done":
        assert worker.poll() is None, (tmp_path / "worker.log").read_text()[-3000:]
        assert time.monotonic() < deadline, "the worker did not process the deposit within 120 s"
        time.sleep(1)

    for process in (worker, app):
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0, (tmp_path / "worker.log").read_text()[-3000:]


def test_interpolation_follows_compose() -> None:
    env = {"SET": "x", "EMPTY": ""}
    assert interpolate("${SET:-d} ${EMPTY:-d} ${EMPTY-d} ${UNSET-d} $$SET $SET", env) == "x d  d $SET x"
    with pytest.raises(AssertionError, match="set it"):
        interpolate("${EMPTY:?set it}", env)
