"""The audit chain in the database, on SQLite and PostgreSQL: concurrent appends stay
one chain, and an edited row makes ``archive audit verify`` fail and name it."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from archive.cli import app
from archive.db.audit import AuditFilter, SqlAuditLog
from archive.db.engine import create_db_engine
from archive.db.migrate import upgrade
from archive.domain.audit import Outcome, verify_chain

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'audit.db'}"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def log(database_url: str) -> Iterator[SqlAuditLog]:
    engine = create_db_engine(database_url)
    upgrade(engine)
    yield SqlAuditLog(engine)
    engine.dispose()


def append(log: SqlAuditLog, n: int) -> None:
    log.append(
        at=datetime.now(UTC),
        actor=f"user-{n % 3}",
        action="record.read",
        target=f"rec-{n}",
        outcome=Outcome.OK,
        client='{"ip":"10.0.0.1"}',
        details={"note": "Đọc văn bản", "n": n},
    )


def test_concurrent_appends_form_one_chain(log: SqlAuditLog) -> None:
    with ThreadPoolExecutor(max_workers=6) as pool:
        list(pool.map(lambda n: append(log, n), range(60)))
    entries = list(log.entries(batch_size=7))
    assert [e.seq for e in entries] == list(range(1, 61))
    assert verify_chain(entries).ok
    assert sorted(e.details["n"] for e in entries) == list(range(60))


def test_find_filters_and_pages_newest_first(log: SqlAuditLog) -> None:
    for n in range(9):
        append(log, n)
    first = log.find(AuditFilter(actor="user-1"), first=2)
    assert [e.target for e in first] == ["rec-7", "rec-4"]
    rest = log.find(AuditFilter(actor="user-1"), first=5, after_seq=first[-1].seq)
    assert [e.target for e in rest] == ["rec-1"]


@pytest.mark.parametrize(
    ("column", "value"),
    [("actor", "someone-else"), ("details", '{"n": 99, "note": "Đọc văn bản"}'), ("outcome", "bogus")],
)
def test_an_edited_row_fails_archive_audit_verify(
    log: SqlAuditLog, database_url: str, tmp_path: Path, column: str, value: str
) -> None:
    for n in range(5):
        append(log, n)
    env = {"ARCHIVE_DATABASE_URL": database_url, "ARCHIVE_DATA_DIR": str(tmp_path / "data")}
    runner = CliRunner()
    intact = runner.invoke(app, ["audit", "verify"], env=env)
    assert intact.exit_code == 0, intact.output
    assert "5 entries" in intact.output

    engine = create_db_engine(database_url)
    with engine.begin() as conn:
        conn.execute(sa.text(f"UPDATE audit_log SET {column} = :v WHERE seq = 3"), {"v": value})
    broken = runner.invoke(app, ["audit", "verify"], env=env)
    assert broken.exit_code == 1
    assert "seq 3" in broken.output
    engine.dispose()


def test_apikey_cli_prints_the_secret_once_and_revokes(database_url: str, tmp_path: Path) -> None:
    from archive.auth.apikeys import parse_api_key

    env = {"ARCHIVE_DATABASE_URL": database_url, "ARCHIVE_DATA_DIR": str(tmp_path / "data")}
    runner = CliRunner()
    created = runner.invoke(
        app,
        [
            "apikey",
            "create",
            "--name",
            "Cổng dịch vụ công",
            "--agency",
            "UBND-HG",
            "--agency",
            "SO-TC",
            "--role",
            "reader",
            "--role",
            "clerk",
            "--clearance",
            "confidential",
        ],
        env=env,
    )
    assert created.exit_code == 0, created.output
    display = next(line for line in created.stdout.splitlines() if line.startswith("ark_"))
    key_id, secret = parse_api_key(display)
    listed = runner.invoke(app, ["apikey", "list"], env=env)
    assert key_id[:8] in listed.output and secret not in listed.output
    engine = create_db_engine(database_url)
    with engine.connect() as conn:
        stored = conn.execute(sa.text("SELECT hash, agencies, roles, clearance FROM api_keys")).one()
    engine.dispose()
    assert secret not in stored.hash and stored.hash.startswith("hmac-sha256:")
    assert stored.clearance == 1 and "SO-TC" in stored.agencies and "clerk" in stored.roles
    assert runner.invoke(app, ["apikey", "revoke", key_id], env=env).exit_code == 0
    assert runner.invoke(app, ["apikey", "revoke", "0" * 16], env=env).exit_code == 1
