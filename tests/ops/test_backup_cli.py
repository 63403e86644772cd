"""``archive backup``, ``archive backup verify``, ``archive restore`` and ``archive audit verify``
as an operator runs them: a directory target on the embedded stack, an ``s3://`` target on
the production stack, a narrow terminal, ``--json`` for scripts."""

from __future__ import annotations

import asyncio
import io
import json
import os
import uuid
from pathlib import Path

from typer.testing import CliRunner

from archive.app import DEV_ADMIN
from archive.cli import app
from archive.factory import build_services
from archive.samples import SampleDocument, render_pdf
from archive.services.deposit import deposit
from archive.services.worker import drain
from archive.settings import Settings
from tests.e2e.documents import metadata_for
from tests.support.graphql import settings_env


def _fill(settings: Settings, count: int) -> None:
    async def go() -> None:
        services = await asyncio.to_thread(build_services, settings)
        await services.index.ensure_ready()
        try:
            for number in range(1, count + 1):
                doc = SampleDocument(number=str(number), subject=f"Về việc số {number} chữ ký số")
                pdf = io.BytesIO(render_pdf(doc))
                deposit(services, DEV_ADMIN, pdf, filename="a.pdf", metadata=metadata_for(doc))
            assert await drain(services) == count
        finally:
            await services.close()

    asyncio.run(go())


def _target(stack: str, tmp_path: Path) -> tuple[str, dict[str, str]]:
    """Where to back up: a directory, or a fresh bucket on the S3 server (ARCHIVE_BACKUP_S3_*)."""
    if stack == "embedded":
        return str(tmp_path / "a backup dir" / "nested"), {}
    env = {
        "ARCHIVE_BACKUP_S3_ENDPOINT": os.environ["ARCHIVE_TEST_S3_ENDPOINT"],
        "ARCHIVE_BACKUP_S3_ACCESS_KEY": os.environ.get("ARCHIVE_TEST_S3_ACCESS_KEY", ""),
        "ARCHIVE_BACKUP_S3_SECRET_KEY": os.environ.get("ARCHIVE_TEST_S3_SECRET_KEY", ""),
        "ARCHIVE_BACKUP_S3_CA_FILE": os.environ.get("ARCHIVE_TEST_S3_CA_FILE", ""),
    }
    return f"s3://backup-{uuid.uuid4().hex[:12]}/site/daily", env


def _invoke(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args), env={**env, "COLUMNS": "40"})
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def test_backup_verify_restore_and_audit_verify_from_the_command_line(
    stack: str, stack_settings: Settings, empty_deployment: Settings, tmp_path: Path
) -> None:
    _fill(stack_settings, 3)
    target, target_env = _target(stack, tmp_path)
    source = {**settings_env(stack_settings), **target_env}

    code, out, _ = _invoke(source, "backup", "--to", target)
    assert code == 0, out
    lines = dict(line.split(": ", 1) for line in out.splitlines())
    assert lines["manifest"].startswith(target) and lines["manifest"].endswith("/manifest.json")
    assert (lines["objects"], lines["copied"], lines["kind"]) == ("3", "3", "full")

    code, out, _ = _invoke(source, "backup", "--to", target, "--json")
    again = json.loads(out)
    assert (code, again["kind"], again["copied"], again["objects"]) == (0, "incremental", 0, 3)

    code, out, _ = _invoke(source, "backup", "verify", target)
    assert (code, out.splitlines()[-1]) == (0, "ok")

    restored = {**settings_env(empty_deployment), **target_env}
    code, out, err = _invoke(restored, "restore", target, "--json")
    assert code == 0, (out, err)
    result = json.loads(out)
    assert (result["objects"], result["indexed"], result["not_restored"]) == (3, 3, [])

    code, out, _ = _invoke(restored, "audit", "verify")
    assert code == 0 and "audit chain intact" in out

    code, out, err = _invoke(restored, "restore", target)
    assert code == 1
    assert "BACKUP_REFUSED" in err and "empty deployment" in err


def test_verify_and_restore_of_a_target_without_a_backup_exit_1(tmp_path: Path) -> None:
    env = {"ARCHIVE_DATA_DIR": str(tmp_path / "data")}
    code, _, err = _invoke(env, "backup", "verify", str(tmp_path / "nothing"))
    assert code == 1 and "no finished backup snapshot" in err
    code, _, err = _invoke(env, "restore", str(tmp_path / "nothing"))
    assert code == 1 and "BACKUP_REFUSED" in err


def test_a_target_inside_what_it_copies_is_refused(tmp_path: Path) -> None:
    env = {"ARCHIVE_DATA_DIR": str(tmp_path / "data")}
    code, _, err = _invoke(env, "backup", "--to", str(tmp_path / "data" / "blobs" / "backup"))
    assert code == 2 and "must not live inside the blob directory" in err
    env = {
        **env,
        "ARCHIVE_BLOB_BACKEND": "s3",
        "ARCHIVE_S3_ENDPOINT": "127.0.0.1:9",
        "ARCHIVE_S3_BUCKET": "records",
    }
    code, _, err = _invoke(env, "backup", "verify", "s3://records/backup")
    assert code == 2 and "must not go into the bucket it copies" in err
