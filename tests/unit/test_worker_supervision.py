"""The worker's outage machinery without real services: the backoff, the status a
probe reads, the supervisor that restarts a dead loop, and the database hook that
turns a lost connection into ``DatabaseUnavailable``."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from archive.app import create_app
from archive.db.engine import create_db_engine
from archive.db.jobs import SqlJobQueue
from archive.domain.errors import DatabaseUnavailable, SearchUnavailable, StorageUnavailable
from archive.services.backoff import Backoff
from archive.services.supervisor import supervise
from archive.services.worker import WorkerState, WorkerStatus
from tests.conftest import embedded_settings


def test_backoff_doubles_up_to_the_cap_with_jitter_between_half_and_whole() -> None:
    backoff = Backoff(base=0.5, cap=5.0)
    assert [backoff.delay(n, rand=lambda: 1.0) for n in range(1, 7)] == [0.5, 1.0, 2.0, 4.0, 5.0, 5.0]
    assert [backoff.delay(n, rand=lambda: 0.0) for n in range(1, 7)] == [0.25, 0.5, 1.0, 2.0, 2.5, 2.5]
    assert all(2.5 <= backoff.delay(50) <= 5.0 for _ in range(100))


def test_status_reports_each_service_going_down_once_and_coming_back_once() -> None:
    status = WorkerStatus()
    status.running()
    assert status.ready and status.state is WorkerState.RUNNING
    assert status.went_down(SearchUnavailable("no engine")) is True
    assert status.went_down(SearchUnavailable("still none")) is False  # a retry, not news
    assert status.went_down(StorageUnavailable("no S3")) is True
    assert status.state is WorkerState.DEGRADED and not status.ready
    assert status.down == {"search_index": "SEARCH_UNAVAILABLE", "blob_store": "STORAGE_UNAVAILABLE"}
    assert status.came_back(["database", "search_index"]) == ["search_index"]
    assert status.state is WorkerState.DEGRADED  # the blob store is still down
    assert status.came_back(["blob_store"]) == ["blob_store"]
    assert status.state is WorkerState.RUNNING and status.down == {}
    assert status.last_error_code == "STORAGE_UNAVAILABLE"  # kept after recovery, for the probe
    view = json.loads(json.dumps(status.as_dict()))
    assert view["state"] == "running" and view["restarts"] == 0


async def test_the_supervisor_restarts_a_loop_that_dies_until_stopped() -> None:
    status, stop = WorkerStatus(), asyncio.Event()
    runs: list[float] = []

    async def loop() -> None:
        runs.append(time.monotonic())
        if len(runs) <= 2:
            raise RuntimeError(f"bug number {len(runs)}")
        status.running()
        await stop.wait()

    task = asyncio.create_task(supervise(loop, stop, status, Backoff(base=0.05, cap=0.1)))
    while status.state is not WorkerState.RUNNING:
        await asyncio.sleep(0.01)
    assert (status.restarts, status.last_error_code, status.last_error) == (2, "RuntimeError", "bug number 2")
    assert runs[1] - runs[0] >= 0.025  # it backed off before restarting
    stop.set()
    await asyncio.wait_for(task, timeout=5)
    assert status.state is WorkerState.STOPPED and len(runs) == 3


def test_an_unreachable_sqlite_file_is_database_unavailable_but_a_bad_query_is_not(tmp_path: Path) -> None:
    occupied = tmp_path / "db"
    occupied.mkdir()  # a directory where the database file should be: SQLite cannot open it
    engine = create_db_engine(f"sqlite:///{occupied}")
    with pytest.raises(DatabaseUnavailable) as caught, engine.connect() as conn:
        conn.execute(sa.text("SELECT 1"))
    assert caught.value.code == "DATABASE_UNAVAILABLE" and str(occupied) not in caught.value.message
    engine.dispose()
    working = create_db_engine(f"sqlite:///{tmp_path / 'ok.db'}")
    with pytest.raises(sa.exc.OperationalError), working.connect() as conn:
        conn.execute(sa.text("SELEC 1"))  # a bug in our SQL must not pass for an outage
    working.dispose()


def test_an_unreachable_postgresql_is_database_unavailable(unused_tcp_port: int) -> None:
    engine = create_db_engine(f"postgresql+psycopg://nobody:secret@127.0.0.1:{unused_tcp_port}/none")
    with pytest.raises(DatabaseUnavailable) as caught, engine.connect():
        pass
    assert "secret" not in caught.value.message and str(unused_tcp_port) not in caught.value.message
    engine.dispose()


async def test_the_embedded_worker_of_the_app_is_restarted_when_its_loop_dies(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    quick = {"worker_poll_seconds": 0.05, "worker_retry_base_seconds": 0.05, "worker_retry_cap_seconds": 0.1}
    settings = embedded_settings(tmp_path / "data", **quick)
    claim = SqlJobQueue.claim
    failures = iter([RuntimeError("a bug in the loop")])

    def failing_claim(self: SqlJobQueue, *args: object, **kwargs: object) -> object:
        for error in failures:  # once, then the real claim
            raise error
        return claim(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(SqlJobQueue, "claim", failing_claim)
    app = create_app(settings)
    async with app.router.lifespan_context(app):  # what uvicorn runs around the app
        status = app.state.worker_status
        assert isinstance(status, WorkerStatus)
        deadline = time.monotonic() + 30
        while not (status.restarts == 1 and status.state is WorkerState.RUNNING):
            assert time.monotonic() < deadline, status.as_dict()
            await asyncio.sleep(0.02)
        assert status.last_error == "a bug in the loop"
    assert status.state is WorkerState.STOPPED
