"""The command line acts as a recorded principal, on SQLite and PostgreSQL: the local
operator (``local:<os user>``) or an API key verified like on the HTTP path, never a
free-text ``--as``. ``archive import`` checks ``can_write`` for that principal and audits
every row: deposits, refusals and duplicates."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from archive.auth.apikeys import derive_pepper
from archive.cli import app
from archive.cli_identity import os_user
from archive.db.apikeys import SqlApiKeyStore
from archive.db.audit import SqlAuditLog
from archive.db.engine import create_db_engine
from archive.db.migrate import upgrade
from archive.db.repository import SqlRecordRepository
from archive.domain.access import UNRESTRICTED, Role
from archive.domain.audit import AuditEntry
from archive.domain.records import Classification
from archive.importer import write_samples
from archive.settings import Settings

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(params=BACKENDS)
def env(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    monkeypatch.chdir(tmp_path)  # no stray .env is read
    url = (
        f"sqlite:///{tmp_path / 'cli.db'}"
        if request.param == "sqlite"
        else str(request.getfixturevalue("postgres_url"))
    )
    return {"ARCHIVE_DATABASE_URL": url, "ARCHIVE_DATA_DIR": str(tmp_path / "data")}


@pytest.fixture
def stores(env: dict[str, str]) -> Iterator[tuple[SqlAuditLog, SqlRecordRepository, SqlApiKeyStore]]:
    engine = create_db_engine(env["ARCHIVE_DATABASE_URL"])
    upgrade(engine)
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    pepper = derive_pepper(settings.secret_key.get_secret_value())
    yield SqlAuditLog(engine), SqlRecordRepository(engine), SqlApiKeyStore(engine, pepper=pepper)
    engine.dispose()


def said(result: Any) -> str:
    """The command's output with rich's line wrapping undone."""
    return " ".join(str(result.output).split())


def deposits(log: SqlAuditLog) -> list[AuditEntry]:
    return [e for e in log.entries() if e.action == "record.deposit"]


def add_row_for_another_agency(folder: Path) -> None:
    """A copy of the first sample's row, owned by agency SO-TC, naming a new file."""
    manifest = folder / "manifest.csv"
    with manifest.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    extra = dict(rows[0], file="so-tc.pdf", agency_code="SO-TC", number="999")
    (folder / "so-tc.pdf").write_bytes((folder / rows[1]["file"]).read_bytes()[:-1] + b"\n")
    with manifest.open("a", encoding="utf-8", newline="") as handle:
        csv.DictWriter(handle, fieldnames=list(rows[0])).writerow(extra)


def test_import_as_the_local_operator_is_audited_with_its_duplicates(
    env: dict[str, str], stores: tuple[SqlAuditLog, SqlRecordRepository, SqlApiKeyStore], tmp_path: Path
) -> None:
    log, records, _ = stores
    folder = tmp_path / "in"
    write_samples(folder, count=3, seed=5)
    runner = CliRunner()
    first = runner.invoke(app, ["import", str(folder)], env=env)
    assert first.exit_code == 0, first.output
    actor = f"local:{os_user()}"
    assert f"as {actor}" in said(first)
    made = deposits(log)
    assert [(e.actor, str(e.outcome), json.loads(e.client)) for e in made] == [
        (actor, "ok", {"via": "import"})
    ] * 3
    assert {e.target for e in made} == set(records.get_many([e.target for e in made], UNRESTRICTED))

    again = runner.invoke(app, ["import", str(folder)], env=env)
    assert "skipped (already archived) 3" in said(again)
    duplicates = deposits(log)[3:]
    assert [(str(e.outcome), e.details["code"]) for e in duplicates] == [("error", "DUPLICATE")] * 3
    assert {e.target for e in duplicates} == {e.target for e in made}
    assert all(f"already archived as {e.target}" in said(again) for e in made)


def test_import_with_an_api_key_checks_can_write_and_audits_refusals(
    env: dict[str, str], stores: tuple[SqlAuditLog, SqlRecordRepository, SqlApiKeyStore], tmp_path: Path
) -> None:
    log, records, keys = stores
    folder = tmp_path / "in"
    write_samples(folder, count=2, seed=9)  # agency UBND-HG
    add_row_for_another_agency(folder)
    clerk, issued = keys.create(
        name="văn thư", agencies=["UBND-HG"], roles=[Role.CLERK], clearance=Classification.ORDINARY
    )
    result = CliRunner().invoke(app, ["import", str(folder), "--api-key", issued.display], env=env)
    assert result.exit_code == 1, result.output  # one row was refused
    assert "refused 1" in said(result) and "so-tc.pdf" in said(result)
    trail = [(e.actor, str(e.outcome), e.target) for e in deposits(log)]
    assert trail[-1] == (f"apikey:{clerk.id}", "denied", "agency:SO-TC")
    assert [t[:2] for t in trail[:2]] == [(f"apikey:{clerk.id}", "ok")] * 2
    assert records.count(UNRESTRICTED) == 2


def test_a_reader_key_deposits_nothing_and_a_bad_key_is_refused_and_audited(
    env: dict[str, str], stores: tuple[SqlAuditLog, SqlRecordRepository, SqlApiKeyStore], tmp_path: Path
) -> None:
    log, records, keys = stores
    folder = tmp_path / "in"
    write_samples(folder, count=2, seed=2)
    _, reader = keys.create(
        name="portal", agencies=["UBND-HG"], roles=[Role.READER], clearance=Classification.ORDINARY
    )
    runner = CliRunner()
    refused = runner.invoke(app, ["import", str(folder)], env={**env, "ARCHIVE_CLI_API_KEY": reader.display})
    assert refused.exit_code == 1 and "refused 2" in said(refused)
    assert records.count(UNRESTRICTED) == 0
    assert [str(e.outcome) for e in deposits(log)] == ["denied", "denied"]

    bad = runner.invoke(app, ["import", str(folder), "--api-key", reader.display[:-2] + "xx"], env=env)
    assert bad.exit_code == 1 and "UNAUTHENTICATED" in said(bad)
    last = list(log.entries())[-1]
    assert (last.action, last.actor, last.target, json.loads(last.client)) == (
        "auth.denied",
        "unauthenticated",
        "cli",
        {"via": "cli"},
    )
    assert records.count(UNRESTRICTED) == 0


def test_there_is_no_free_text_actor_and_retention_commands_record_the_operator(
    env: dict[str, str], stores: tuple[SqlAuditLog, SqlRecordRepository, SqlApiKeyStore]
) -> None:
    log, _, _ = stores
    schedule = Path(__file__).parents[2] / "examples" / "retention-schedule.json"
    runner = CliRunner()
    spoofed = runner.invoke(app, ["retention", "load", str(schedule), "--as", "someone-else"], env=env)
    assert spoofed.exit_code == 2  # no such option
    loaded = runner.invoke(app, ["retention", "load", str(schedule)], env=env)
    assert loaded.exit_code == 0, loaded.output
    actors = {e.actor for e in log.entries() if e.action.startswith("retention.")}
    assert actors == {f"local:{os_user()}"}
