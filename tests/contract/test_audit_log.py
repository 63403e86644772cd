"""The audit chain in the database, on SQLite and PostgreSQL: concurrent appends stay
one chain; an edited row, a cut tail or a chain rewritten whole without the key makes
``archive audit verify`` fail; ``archive audit head`` prints what to keep elsewhere."""

from __future__ import annotations

import json
import multiprocessing
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
from archive.domain.audit import Outcome, chain_append, verify_chain

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
KEY = "audit-key-kept-outside-the-database-0123456789"


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'audit.db'}"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def log(database_url: str) -> Iterator[SqlAuditLog]:
    engine = create_db_engine(database_url)
    upgrade(engine)
    yield SqlAuditLog(engine, key=KEY.encode())
    engine.dispose()


def cli_env(database_url: str, tmp_path: Path) -> dict[str, str]:
    return {
        "ARCHIVE_DATABASE_URL": database_url,
        "ARCHIVE_DATA_DIR": str(tmp_path / "data"),
        "ARCHIVE_AUDIT_KEY": KEY,
    }


def append(log: SqlAuditLog, n: int, actor: str | None = None) -> None:
    log.append(
        at=datetime.now(UTC),
        actor=actor or f"user-{n % 3}",
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


def _appender_process(database_url: str, name: str, count: int) -> None:
    """Another process appending from 4 threads (spawned: its own engine and group)."""
    engine = create_db_engine(database_url)
    log = SqlAuditLog(engine, key=KEY.encode())
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(lambda n: append(log, n, actor=name), range(count)))
    engine.dispose()


def test_group_commit_loses_no_entry_across_threads_and_processes(
    log: SqlAuditLog, database_url: str
) -> None:
    other = multiprocessing.get_context("spawn").Process(
        target=_appender_process, args=(database_url, "other", 120)
    )
    other.start()
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda n: append(log, n, actor="here"), range(160)))
    other.join(120)
    assert other.exitcode == 0
    entries = list(log.entries())
    assert [e.seq for e in entries] == list(range(1, 281))
    assert verify_chain(entries, expected_head=log.stored_head().hash).ok
    for actor, count in (("here", 160), ("other", 120)):
        assert sorted(e.details["n"] for e in entries if e.actor == actor) == list(range(count))
    assert log.group_commit.items == 160
    assert log.group_commit.batches < 160  # appends that queued were written together


def test_a_refused_append_in_a_batch_leaves_the_others_stored(log: SqlAuditLog) -> None:
    def one(n: int) -> str:
        at = datetime.now() if n % 5 == 0 else datetime.now(UTC)  # naive: refused
        try:
            log.append(at=at, actor="a", action="record.read", target=f"rec-{n}", outcome=Outcome.OK)
        except ValueError:
            return "refused"
        return "stored"

    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(pool.map(one, range(40)))
    entries = list(log.entries())
    assert answers.count("refused") == 8
    assert sorted(e.target for e in entries) == sorted(f"rec-{n}" for n in range(40) if n % 5)
    assert verify_chain(entries, expected_head=log.stored_head().hash).ok


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
    env = cli_env(database_url, tmp_path)
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
    engine = create_db_engine(database_url)
    trail = [(e.action, e.target, e.actor[:6]) for e in SqlAuditLog(engine).entries()]
    engine.dispose()
    assert trail == [("apikey.create", key_id, "local:"), ("apikey.revoke", key_id, "local:")]


def _verify(database_url: str, tmp_path: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["audit", "verify", *args], env=cli_env(database_url, tmp_path))
    return result.exit_code, result.output


def test_verify_checks_the_stored_head_so_a_cut_tail_fails(
    log: SqlAuditLog, database_url: str, tmp_path: Path
) -> None:
    for n in range(6):
        append(log, n)
    head = log.stored_head()
    code, output = _verify(database_url, tmp_path)
    assert code == 0, output
    assert f"head seq 6 hash {head.hash}" in " ".join(output.split())

    engine = create_db_engine(database_url)
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM audit_records WHERE seq > 4"))
        conn.execute(sa.text("DELETE FROM audit_log WHERE seq > 4"))
    engine.dispose()
    code, output = _verify(database_url, tmp_path)
    assert code == 1
    assert "seq 5" in output and "stored head" in output


def test_a_chain_rewritten_whole_without_the_key_fails(
    log: SqlAuditLog, database_url: str, tmp_path: Path
) -> None:
    """Someone with write access to the database recomputes every hash after editing an
    entry, and moves the head to match: without the key the head's MAC gives it away."""
    for n in range(4):
        append(log, n)
    forged = []
    prev = None
    for entry in log.entries():
        actor = "someone-else" if entry.seq == 2 else entry.actor
        at = entry.at.replace(tzinfo=entry.at.tzinfo or UTC)  # SQLite hands back naive UTC
        prev = chain_append(
            prev, at=at, actor=actor, action=entry.action, target=entry.target,
            outcome=entry.outcome, client=entry.client, details=entry.details,
        )  # fmt: skip
        forged.append(prev)
    assert prev is not None and verify_chain(forged).ok
    engine = create_db_engine(database_url)
    with engine.begin() as conn:
        for entry in forged:
            conn.execute(
                sa.text("UPDATE audit_log SET actor = :a, prev_hash = :p, hash = :h WHERE seq = :s"),
                {"a": entry.actor, "p": entry.prev_hash, "h": entry.hash, "s": entry.seq},
            )
        conn.execute(sa.text("UPDATE audit_head SET hash = :h"), {"h": prev.hash})
    engine.dispose()
    code, output = _verify(database_url, tmp_path)
    assert code == 1
    assert "MAC does not match" in " ".join(output.split())

    # The server's next append must not launder the forgery by sealing the new head.
    append(log, 99)
    code, output = _verify(database_url, tmp_path)
    assert code == 1 and "MAC does not match" in " ".join(output.split())
    refused = CliRunner().invoke(app, ["audit", "seal"], env=cli_env(database_url, tmp_path))
    assert refused.exit_code == 1 and "changed without the key" in " ".join(refused.output.split())


def test_a_stripped_mac_stays_unsealed_through_later_appends(
    log: SqlAuditLog, database_url: str, tmp_path: Path
) -> None:
    for n in range(3):
        append(log, n)
    engine = create_db_engine(database_url)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE audit_head SET mac = NULL"))
    engine.dispose()
    append(log, 3)
    code, output = _verify(database_url, tmp_path)
    assert code == 1 and "not sealed" in output


def test_audit_head_prints_what_to_keep_and_verify_finds_it_later(
    log: SqlAuditLog, database_url: str, tmp_path: Path
) -> None:
    for n in range(3):
        append(log, n)
    runner = CliRunner()
    env = cli_env(database_url, tmp_path)
    printed = runner.invoke(app, ["audit", "head", "--json"], env=env)
    assert printed.exit_code == 0, printed.output
    kept = json.loads(printed.stdout)
    third = log.entry(3)
    assert third is not None
    assert kept == {"seq": 3, "hash": third.hash, "at": third.at.isoformat(), "sealed": True}
    plain = runner.invoke(app, ["audit", "head"], env=env)
    assert f"hash {third.hash}" in plain.stdout and "seq 3" in plain.stdout

    append(log, 3)
    assert _verify(database_url, tmp_path, "--head", kept["hash"])[0] == 0
    code, output = _verify(database_url, tmp_path, "--head", "f" * 64)
    assert code == 1 and "kept elsewhere" in output


def test_an_unsealed_head_is_reported_until_archive_audit_seal(database_url: str, tmp_path: Path) -> None:
    """A chain written before the head was keyed: verify says so, `seal` checks the chain
    and seals it, acting as the local operator."""
    engine = create_db_engine(database_url)
    upgrade(engine)
    unkeyed = SqlAuditLog(engine)
    for n in range(2):
        append(unkeyed, n)
    code, output = _verify(database_url, tmp_path)
    assert code == 1 and "not sealed" in output
    sealed = CliRunner().invoke(app, ["audit", "seal"], env=cli_env(database_url, tmp_path))
    assert sealed.exit_code == 0, sealed.output
    assert _verify(database_url, tmp_path)[0] == 0
    last = list(unkeyed.entries())[-1]
    assert last.action == "audit.seal" and last.actor.startswith("local:")

    from archive.auth.apikeys import derive_pepper
    from archive.db.apikeys import SqlApiKeyStore
    from archive.domain.access import Role
    from archive.domain.records import Classification
    from archive.settings import Settings

    pepper = derive_pepper(Settings(_env_file=None).secret_key.get_secret_value())  # type: ignore[call-arg]
    _, reader = SqlApiKeyStore(engine, pepper=pepper).create(
        name="portal", agencies=[], roles=[Role.ARCHIVIST], clearance=Classification.TOP_SECRET
    )
    env = cli_env(database_url, tmp_path)
    refused = CliRunner().invoke(app, ["audit", "seal", "--api-key", reader.display], env=env)
    assert refused.exit_code == 1 and "FORBIDDEN" in refused.output
    assert list(unkeyed.entries())[-1].outcome == Outcome.DENIED
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE audit_log SET actor = 'x' WHERE seq = 1"))
    broken = CliRunner().invoke(app, ["audit", "seal"], env=env)
    assert broken.exit_code == 1 and "seq 1" in broken.output
    engine.dispose()


def test_the_upgrade_names_the_records_of_entries_written_before_it(database_url: str) -> None:
    """Migration 0009 backfills ``audit_records`` with the same rule appends use, so old
    entries are filtered per caller like new ones; and the tables match the models."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext
    from sqlmodel import SQLModel

    engine = create_db_engine(database_url)
    upgrade(engine, "0005")
    old = SqlAuditLog(engine)
    record_id = "3b1f6a52-8c1d-4f7e-9a0b-1c2d3e4f5a6b"
    other = "9c8b7a65-4d3e-4f2a-8b1c-0d9e8f7a6b5c"
    with engine.begin() as conn:  # written by the 0005 code: no audit_records, no head MAC
        for seq, (action, target, details) in enumerate(
            [
                ("record.read", record_id, "{}"),
                ("search.read", "search", json.dumps({"ids": f"{record_id},{other}", "count": 2})),
                ("auth.denied", "/graphql", "{}"),
                ("grant.add", "not-a-record-id", "{}"),
            ],
            start=1,
        ):
            conn.execute(
                sa.text(
                    "INSERT INTO audit_log (seq, at, actor, action, target, outcome, client, details,"
                    " prev_hash, hash) VALUES (:s, :at, 'a', :action, :target, 'ok', '', :d, :p, :h)"
                ),
                {"s": seq, "at": datetime.now(UTC), "action": action, "target": target, "d": details,
                 "p": f"{seq - 1:064d}", "h": f"{seq:064d}"},
            )  # fmt: skip
    upgrade(engine)
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT seq, record_id FROM audit_records ORDER BY seq, record_id")).all()
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    assert [tuple(r) for r in rows] == sorted([(1, record_id), (2, record_id), (2, other)])
    mine = [d for d in diff if "audit" in repr(d)]
    assert mine == []
    assert old.stored_head().mac is None
    engine.dispose()
