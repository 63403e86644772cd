"""docker-compose.yml, checked without a Docker engine.

The test reads the file and checks what a compose run relies on:

- the settings agree with the services they point at (user, password, database,
  keys, ports), and every service running the archive image gets the same settings;
- the app and the worker share the data volume (the image's ``ARCHIVE_DATA_DIR``),
  the metrics volume (``PROMETHEUS_MULTIPROC_DIR``) and, since metrics files are
  named by pid, one PID namespace;
- the one-shot migration service completes before the app and the worker start;
- nothing waits for the app to be healthy that the app's health check needs: the
  check asks ``/readyz``, which wants a fresh worker heartbeat, so a worker waiting
  for a healthy app would deadlock the stack.

Then it runs what compose would run, as compose would: each archive service's
``command`` (a list runs as is, a string is split into words, as compose does), in the
order its ``depends_on`` conditions give (``service_completed_successfully``: the
dependency exited 0; ``service_started``: it was started; ``service_healthy``: its
compose health check passed), against the real services the test command started
(ARCHIVE_TEST_*), which stand for the postgres, elasticsearch and s3 services. The app
must then pass its own compose health check within the time compose gives it, a
deposit made through the app must be processed by the worker, and both must stop
cleanly on SIGTERM, the worker first (compose stops dependents first).

Deliberate differences from a compose run, each for isolation on a shared machine: a
fresh database, bucket and index; loopback and a free port instead of 0.0.0.0:8000; TLS
to the test S3 server (compose's private network speaks plain HTTP); temporary
directories for the image's paths: one per named volume, shared by the services that
mount it, and one per service for a path no volume covers; one PID namespace (the
host's) for every process.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shlex
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
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

# The probe the app's compose health check must ask: readiness, not mere liveness.
READY_PATH = "/readyz"

# depends_on conditions; a dependency without one (or in the list form) is service_started.
STARTED = "service_started"
HEALTHY = "service_healthy"
COMPLETED = "service_completed_successfully"

# The services the test's real servers stand for, with the port compose reaches them on.
STACK_PORTS = {"postgres": 5432, "elasticsearch": 9200, "s3": 7070}

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
VENV_BIN = Path(sys.executable).parent
_VARIABLE = re.compile(r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)")
_DURATION = re.compile(r"(\d+(?:\.\d+)?)(us|ms|s|m|h)")
_SECONDS = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
_METRICS_FILE = re.compile(r"_(\d+)\.db$")  # prometheus-client's multiprocess files: <kind>_<pid>.db


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
    """The service's command line: a list as it is, a string split into words (compose
    runs no shell for it; ``["sh", "-c", ...]`` does, and runs as given)."""
    command = service["command"]
    if isinstance(command, list):
        return [interpolate(str(part), env) for part in command]
    return shlex.split(interpolate(str(command), env))


def _image_env() -> dict[str, str]:
    """The Dockerfile's ``ENV KEY=VALUE`` settings, which every container starts with."""
    text = DOCKERFILE.read_text(encoding="utf-8").replace("\\\n", " ")
    pairs = [shlex.split(line[4:]) for line in text.splitlines() if line.startswith("ENV ")]
    return dict(pair.split("=", 1) for words in pairs for pair in words)


def _seconds(duration: str) -> float:
    """A compose duration (``1m30s``, ``500ms``) in seconds."""
    return sum(float(n) * _SECONDS[unit] for n, unit in _DURATION.findall(str(duration)))


def _archive_services(services: dict[str, Any]) -> list[str]:
    """The services that run the archive image, in file order; the others are the test's servers."""
    image = services["app"]["image"]
    return [name for name, service in services.items() if service.get("image") == image]


def _depends_on(service: dict[str, Any]) -> dict[str, str]:
    """The services ``service`` waits for, with the condition compose waits for."""
    raw = service.get("depends_on") or {}
    if isinstance(raw, list):
        waits = dict.fromkeys(map(str, raw), STARTED)
    else:
        waits = {str(name): str((spec or {}).get("condition", STARTED)) for name, spec in raw.items()}
    pid = str(service.get("pid", ""))
    if pid.startswith("service:"):  # compose starts the namespace's owner first
        waits.setdefault(pid.removeprefix("service:"), STARTED)
    return waits


def _start_order(services: dict[str, Any], names: list[str]) -> list[str]:
    """``names`` in an order compose can start them: each after its dependencies among them."""
    order: list[str] = []
    pending = list(names)
    while pending:
        ready = [n for n in pending if all(d in order or d not in names for d in _depends_on(services[n]))]
        assert ready, f"compose cannot start {pending}: their depends_on form a cycle"
        order.append(ready[0])
        pending.remove(ready[0])
    return order


def _waiting_for_health(services: dict[str, Any], target: str) -> set[str]:
    """The services compose starts only once ``target`` is healthy, directly or through others."""
    waiting: set[str] = set()
    while True:
        more = {
            name
            for name, service in services.items()
            if name not in waiting
            and any(
                (dep == target and cond == HEALTHY) or dep in waiting
                for dep, cond in _depends_on(service).items()
            )
        }
        if not more:
            return waiting
        waiting |= more


def _one_shots(services: dict[str, Any]) -> set[str]:
    """The services others wait for to complete: they run once and exit."""
    return {dep for s in services.values() for dep, cond in _depends_on(s).items() if cond == COMPLETED}


def _mounts(service: dict[str, Any]) -> dict[str, str]:
    """The service's volumes: container path -> volume name (short or long syntax)."""
    mounts = {}
    for spec in service.get("volumes") or []:
        if isinstance(spec, dict):
            mounts[str(spec["target"])] = str(spec.get("source", ""))
        else:
            source, target = str(spec).split(":")[:2]
            mounts[target] = source
    return mounts


def _volume_at(service: dict[str, Any], path: str) -> str | None:
    """The volume holding ``path`` in ``service`` (mounted there or above it), if any."""
    for target, source in _mounts(service).items():
        if path == target or path.startswith(target.rstrip("/") + "/"):
            return source
    return None


def _relocate(text: str, paths: dict[str, Path]) -> str:
    """``text`` with each container path in it (``/data``, ``/data/trust-roots``) moved to
    the host directory that stands for it."""
    for container, host in sorted(paths.items(), key=lambda item: -len(item[0])):
        pattern = rf"(?<![\w./-]){re.escape(container)}(?![\w.-])"
        text = re.sub(pattern, str(host).replace("\\", "\\\\"), text)
    return text


def _container_port(service: dict[str, Any]) -> str:
    """The container side of the service's first published port (``host:published:container``)."""
    return str(service["ports"][0]).rsplit(":", 1)[1].split("/")[0]


def _listen_locally(command: list[str], container_port: str, port: int) -> list[str]:
    """The app's command listening on loopback and ``port`` instead of 0.0.0.0 and the
    published container port (in an argument list or in an ``sh -c`` script)."""
    if command[:2] == ["sh", "-c"]:
        script = command[2]
        assert f"--port {container_port}" in script, "the published port must be the one the app listens on"
        script = script.replace("--host 0.0.0.0", "--host 127.0.0.1")
        return [*command[:2], script.replace(f"--port {container_port}", f"--port {port}"), *command[3:]]
    assert command[command.index("--port") + 1] == container_port, (
        "the published port must be the one the app listens on"
    )
    local = {"--host": "127.0.0.1", "--port": str(port)}
    return [local.get(before, part) for before, part in zip(["", *command], command, strict=False)]


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
        for service, port in STACK_PORTS.items():
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


def _isolated(env: dict[str, str], database_url: str) -> dict[str, str]:
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
    }


def _process_env(container_env: dict[str, str]) -> dict[str, str]:
    """Only what the container would have: the image's and compose's environment, and a PATH
    to ``archive`` (and the ``python`` the health check calls)."""
    return {
        "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "HOME": os.environ.get("HOME", "/tmp"),
        **container_env,
    }


def _settings_variables(**overrides: str) -> dict[str, str]:
    """The shell variables compose interpolates, as an operator would set them."""
    return {
        "ARCHIVE_SECRET_KEY": secrets.token_hex(32),
        "ARCHIVE_METRICS_TOKEN": secrets.token_urlsafe(24),
    } | overrides


@pytest.fixture
def compose_env(postgres_url: str) -> dict[str, str]:
    """The archive services' shared environment, pointed at the test's servers; paths
    are still the container's (``Compose`` moves them per service)."""
    require_env(ES_ENV, S3_ENV, PG_ENV)
    test_pg = sa.engine.make_url(os.environ[PG_ENV])
    stack = Stack(test_pg, urlsplit(os.environ[ES_ENV]).netloc, os.environ[S3_ENV])
    variables = _settings_variables(
        POSTGRES_PASSWORD=str(test_pg.password or ""),
        S3_ACCESS_KEY=os.environ.get("ARCHIVE_TEST_S3_ACCESS_KEY", ""),
        S3_SECRET_KEY=os.environ.get("ARCHIVE_TEST_S3_SECRET_KEY", ""),
    )
    services = _compose()["services"]
    app_env = _environment(services["app"], variables)
    if test_pg.username != "archive":
        pytest.skip("the test PostgreSQL user is not the compose one (archive)")
    _check_agreement(app_env, services, variables)
    for name in _archive_services(services):
        assert _environment(services[name], variables) == app_env, f"{name} must have the app's settings"
    mapped = _map_hosts(app_env, stack, services)
    return _process_env({**_image_env(), **_isolated(mapped, postgres_url)})


@dataclass
class Container:
    """One service's process, started as compose would start its container."""

    name: str
    process: subprocess.Popen[bytes]
    log: Path

    def tail(self) -> str:
        return f"--- {self.name} (pid {self.process.pid}):\n{self.log.read_text(errors='replace')[-3000:]}"


@dataclass
class Compose:
    """The archive services of docker-compose.yml, run as compose would run them, with
    their volumes, private paths and logs under ``root``."""

    services: dict[str, Any]
    env: dict[str, str]
    root: Path
    containers: dict[str, Container] = field(default_factory=dict)
    ports: dict[str, int] = field(default_factory=dict)  # service -> the free port it listens on

    def volume(self, name: str) -> Path:
        """The directory standing for a named volume: every service mounting it shares it."""
        return self.root / "volumes" / name

    def filesystem(self, name: str) -> dict[str, Path]:
        """Where each container path of service ``name`` lives: its volume's directory, or
        a directory of the service's own when no volume covers it."""
        mounts = _mounts(self.services[name])
        paths = {
            path: self.volume(mounts[path]) if path in mounts else self.root / name / path.strip("/")
            for path in self._container_paths()
        }
        for host in paths.values():
            host.mkdir(parents=True, exist_ok=True)
        return paths

    def environment(self, name: str) -> dict[str, str]:
        paths = self.filesystem(name)
        return {key: _relocate(value, paths) for key, value in self.env.items()}

    def up(self) -> None:
        """Start each archive service once its ``depends_on`` conditions hold, in order."""
        for name in _start_order(self.services, _archive_services(self.services)):
            for dependency, condition in _depends_on(self.services[name]).items():
                if dependency in self.containers:  # the others are the test's servers, already up
                    self._await(dependency, condition)
            self._start(name)

    def wait_healthy(self, name: str) -> None:
        """Poll ``name``'s compose health check until it passes, within the time compose
        allows before it calls the service unhealthy (start period + retries x interval)."""
        check = self.services[name]["healthcheck"]
        retries = int(check.get("retries", 3))
        budget = _seconds(check.get("start_period", "0s")) + retries * _seconds(check.get("interval", "30s"))
        _wait_for(
            f"{name}'s compose health check did not pass", lambda: self._healthy(name), self.running(), budget
        )

    def running(self) -> list[Container]:
        """The long-running containers, in start order (a one-shot service has exited)."""
        one_shots = _one_shots(self.services)
        return [c for c in self.containers.values() if c.name not in one_shots]

    def _container_paths(self) -> set[str]:
        names = _archive_services(self.services)
        return {path for name in names for path in _mounts(self.services[name])} | {
            _image_env()["ARCHIVE_DATA_DIR"]
        }

    def _await(self, name: str, condition: str) -> None:
        container = self.containers[name]
        if condition == COMPLETED:
            try:
                code = container.process.wait(timeout=300)
            except subprocess.TimeoutExpired:
                pytest.fail(f"{name} did not complete within 300 s:\n{container.tail()}")
            assert code == 0, (
                f"{name} exited with {code}: compose would start none of its dependents\n{container.tail()}"
            )
        elif condition == HEALTHY:
            self.wait_healthy(name)
        else:
            assert condition == STARTED, f"unknown depends_on condition {condition!r}"

    def _start(self, name: str) -> None:
        service = self.services[name]
        env = self.environment(name)
        command = [_relocate(part, self.filesystem(name)) for part in _command(service, env)]
        if service.get("ports"):
            self.ports[name] = _free_port()
            command = _listen_locally(command, _container_port(service), self.ports[name])
        log = self.root / f"{name}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                command, env=env, cwd=self.root, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        self.containers[name] = Container(name, process, log)

    def _healthy(self, name: str) -> bool:
        check = self.services[name]["healthcheck"]
        kind, *argv = [str(part) for part in check["test"]]
        assert kind in ("CMD", "CMD-SHELL"), f"unsupported health check form {kind}"
        inside = f":{_container_port(self.services[name])}/"
        argv = [part.replace(inside, f":{self.ports[name]}/") for part in argv]
        command = argv if kind == "CMD" else ["sh", "-c", argv[0]]
        timeout = _seconds(check.get("timeout", "30s"))
        try:
            done = subprocess.run(
                command, env=self.environment(name), capture_output=True, timeout=timeout, check=False
            )
        except subprocess.TimeoutExpired:
            return False
        return done.returncode == 0


@pytest.fixture
def compose(compose_env: dict[str, str], tmp_path: Path) -> Iterator[Compose]:
    """The archive services, stopped afterwards with SIGTERM (then SIGKILL), dependents first."""
    run = Compose(_compose()["services"], compose_env, tmp_path)
    yield run
    started = list(run.containers.values())
    for container in reversed(started):
        if container.process.poll() is None:
            container.process.send_signal(signal.SIGTERM)
            try:
                container.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(container.process.pid, signal.SIGKILL)
                container.process.wait()


def _wait_for(what: str, passes: Callable[[], bool], watched: list[Container], timeout: float) -> None:
    """Poll ``passes()`` until it is true; fail with the logs if a watched process exits or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for container in watched:
            if container.process.poll() is not None:
                pytest.fail(
                    f"{container.name} exited with {container.process.returncode}:\n{container.tail()}"
                )
        if passes():
            return
        time.sleep(0.5)
    pytest.fail(f"{what} within {timeout:g} s:\n" + "\n".join(c.tail() for c in watched))


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


def _metrics_pids(directory: Path) -> set[int]:
    """The processes that wrote prometheus-client multiprocess files in ``directory``."""
    return {int(m.group(1)) for path in directory.glob("*.db") if (m := _METRICS_FILE.search(path.name))}


def test_the_archive_services_share_volumes_and_settings_and_cannot_deadlock() -> None:
    services = _compose()["services"]
    app, worker = services["app"], services["worker"]
    variables = _settings_variables()
    for name in _archive_services(services):
        assert _environment(services[name], variables) == _environment(app, variables), (
            f"{name}: app's settings"
        )
    assert set(services) == {*_archive_services(services), *STACK_PORTS}, "a service the test does not know"

    # One data directory and one metrics directory for both, on volumes compose declares.
    data_dir = _image_env()["ARCHIVE_DATA_DIR"]
    metrics_dir = _environment(app, variables)["PROMETHEUS_MULTIPROC_DIR"]
    for path in (data_dir, metrics_dir, _environment(app, variables)["ARCHIVE_TRUST_ROOTS_DIR"]):
        volume = _volume_at(app, path)
        assert volume is not None and volume in _compose()["volumes"], f"{path} must be on a named volume"
        assert _volume_at(worker, path) == volume, f"app and worker must share {path}"
    # Metrics files are named by pid: one PID namespace keeps the two sets of names apart.
    assert worker.get("pid") == "service:app", "the worker must share the app's PID namespace"

    # Exactly one one-shot service runs `archive migrate`, and both wait for it to succeed.
    migrators = [
        n for n in _archive_services(services) if "archive migrate" in shlex.join(_command(services[n], {}))
    ]
    assert len(migrators) == 1 and migrators[0] in _one_shots(services), migrators
    (migrate,) = migrators
    for name in ("app", "worker"):
        assert _depends_on(services[name]).get(migrate) == COMPLETED, (
            f"{name} must start after {migrate} succeeds"
        )
    assert _start_order(services, _archive_services(services))[0] == migrate
    # It clears the metrics of the last run where the app and the worker write theirs.
    assert metrics_dir in shlex.join(_command(services[migrate], {}))
    assert _volume_at(services[migrate], metrics_dir) == _volume_at(app, metrics_dir)

    # The app's health check asks readiness, which needs a worker heartbeat: the worker
    # (or anything it waits for) must not wait for the app to be healthy.
    probe = " ".join(map(str, app["healthcheck"]["test"]))
    assert re.search(rf"//(127\.0\.0\.1|localhost):{_container_port(app)}{READY_PATH}\b", probe), probe
    assert "worker" not in _waiting_for_health(services, "app"), "compose would wait forever"


@pytest.mark.postgres
@pytest.mark.elasticsearch
@pytest.mark.s3
@pytest.mark.slow
def test_the_compose_services_come_up_in_compose_order_and_do_the_job(compose: Compose) -> None:
    services = compose.services
    metrics = compose.volume(_mounts(services["app"])[compose.env["PROMETHEUS_MULTIPROC_DIR"]])
    metrics.mkdir(parents=True)
    (metrics / "counter_999999999.db").write_bytes(b"")  # a file of the last run

    compose.up()
    migrate = next(c for c in compose.containers.values() if c.name in _one_shots(services))
    assert migrate.process.poll() == 0, migrate.tail()
    assert 999999999 not in _metrics_pids(metrics), "migrate clears the metrics files of the last run"
    compose.wait_healthy("app")

    base = f"http://127.0.0.1:{compose.ports['app']}"
    ready = httpx.get(base + READY_PATH, timeout=10)
    assert ready.status_code == 200, ready.text
    assert ready.json()["checks"]["worker"]["kind"] == "worker", "the heartbeat is the worker service's"
    app_env = compose.environment("app")
    key = _api_key(app_env)
    record_id = _deposit(base, key)
    deadline = time.monotonic() + 120
    while _processing_status(base, key, record_id) != "done":
        assert all(c.process.poll() is None for c in compose.running()), [c.tail() for c in compose.running()]
        assert time.monotonic() < deadline, "the worker did not process the deposit within 120 s"
        time.sleep(1)

    # The app's /metrics reads the files the worker's processes write, on the shared volume.
    app_pid = compose.containers["app"].process.pid
    assert app_pid in _metrics_pids(metrics), "the app writes its metrics on the shared volume"
    assert _metrics_pids(metrics) - {app_pid}, "the worker's processes write theirs beside the app's"
    scrape = httpx.get(
        base + "/metrics", headers={"Authorization": "Bearer " + app_env["ARCHIVE_METRICS_TOKEN"]}
    )
    assert scrape.status_code == 200 and "archive_ocr_pages_total" in scrape.text, scrape.text[:500]

    for container in reversed(compose.running()):  # compose stops dependents first
        container.process.send_signal(signal.SIGTERM)
        assert container.process.wait(timeout=60) == 0, container.tail()


def test_interpolation_follows_compose() -> None:
    env = {"SET": "x", "EMPTY": ""}
    assert interpolate("${SET:-d} ${EMPTY:-d} ${EMPTY-d} ${UNSET-d} $$SET $SET", env) == "x d  d $SET x"
    with pytest.raises(AssertionError, match="set it"):
        interpolate("${EMPTY:?set it}", env)
