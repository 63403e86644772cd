"""Consistent snapshots of the metadata database, and their restore.

- PostgreSQL: ``pg_dump --format=custom``. pg_dump reads the whole database in
  one REPEATABLE READ (serializable snapshot) transaction, so the dump is
  consistent while the API and workers keep writing. Restored with
  ``pg_restore --single-transaction``, so a failed restore leaves nothing.
- SQLite: the online backup API (``sqlite3.Connection.backup``), which copies
  pages under a read lock and restarts when a writer changes the source; a
  restore is a copy of that file into place.

The client tools are found in ``ARCHIVE_PG_BIN_DIR``, else on PATH, else in the
newest ``/usr/lib/postgresql/*/bin`` (Debian keeps them there). They must be at
least the server's major version.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from collections.abc import Mapping
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from archive.db.migrate import upgrade
from archive.db.tables import RecordFileRow, RecordRow
from archive.domain.errors import ServiceUnavailable

_DEBIAN_PG = Path("/usr/lib/postgresql")
# Tables whose rows make a deployment non-empty (a migrated, unused schema is empty).
_CONTENT_TABLES = ("records", "audit_log", "jobs")


class SqlDatabaseSnapshot:
    """The ``DatabaseSnapshot`` port over one engine; the client tools are looked for in ``bin_dir``
    first (``ARCHIVE_PG_BIN_DIR``)."""

    def __init__(self, engine: Engine, *, bin_dir: Path | None = None) -> None:
        self._engine = engine
        self._bin_dir = bin_dir

    @property
    def kind(self) -> str:
        return engine_kind(self._engine)

    def dump(self, out: Path) -> None:
        dump(self._engine, out, bin_dir=self._bin_dir)

    def restore(self, dump_file: Path) -> None:
        restore(self._engine, dump_file, bin_dir=self._bin_dir)
        upgrade(self._engine)  # a snapshot from an older release comes up to this one's schema

    def content_counts(self) -> dict[str, int]:
        return content_counts(self._engine)

    def media_types(self) -> dict[str, str]:
        return media_types(self._engine)

    def remap_version_ids(self, changed: Mapping[tuple[str, str | None], str | None]) -> int:
        return remap_version_ids(self._engine, changed)


def engine_kind(engine: Engine) -> str:
    """``postgresql`` or ``sqlite``: which snapshot tool applies."""
    return "postgresql" if engine.dialect.name == "postgresql" else "sqlite"


def pg_tool(name: str, bin_dir: Path | None) -> Path:
    """The path of ``pg_dump``/``pg_restore``; ServiceUnavailable naming what to install."""
    candidates = [bin_dir / name] if bin_dir else []
    on_path = shutil.which(name)
    candidates += [Path(on_path)] if on_path else []
    candidates += sorted(_DEBIAN_PG.glob(f"*/bin/{name}"), key=_major, reverse=True)
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    raise ServiceUnavailable(
        f"{name} not found: install postgresql-client (apt-get install postgresql-client) "
        "or set ARCHIVE_PG_BIN_DIR"
    )


def _major(path: Path) -> int:
    version = path.parent.parent.name
    return int(version) if version.isdigit() else 0


def dump(engine: Engine, out: Path, *, bin_dir: Path | None = None) -> None:
    """Write a consistent snapshot of the database behind ``engine`` to ``out``."""
    if engine_kind(engine) == "sqlite":
        _sqlite_backup(_sqlite_path(engine), out)
        return
    tool = pg_tool("pg_dump", bin_dir)
    url, env = _libpq(engine)
    _run([str(tool), "--format=custom", "--no-owner", "--no-privileges", "--file", str(out), url], env)


def restore(engine: Engine, dump_file: Path, *, bin_dir: Path | None = None) -> None:
    """Load ``dump_file`` into the (empty) database behind ``engine``.

    The engine's connections are closed first: SQLite's file is replaced, and a
    PostgreSQL restore drops and recreates the (empty) tables a migrate made.
    """
    engine.dispose()
    if engine_kind(engine) == "sqlite":
        target = _sqlite_path(engine)
        for suffix in ("-wal", "-shm"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)
        _sqlite_backup(dump_file, target)
        return
    tool = pg_tool("pg_restore", bin_dir)
    url, env = _libpq(engine)
    args = ["--clean", "--if-exists", "--no-owner", "--no-privileges", "--single-transaction"]
    _run([str(tool), *args, "--exit-on-error", "--dbname", url, str(dump_file)], env)


def content_counts(engine: Engine) -> dict[str, int]:
    """Rows in the tables that make a deployment non-empty (missing tables count 0)."""
    existing = set(sa.inspect(engine).get_table_names())
    counts: dict[str, int] = {}
    with engine.connect() as connection:
        for table in _CONTENT_TABLES:
            if table in existing:
                query = sa.select(sa.func.count()).select_from(sa.table(table))
                counts[table] = int(connection.execute(query).scalar_one())
    return counts


def media_types(engine: Engine) -> dict[str, str]:
    """The media type of every stored file, by storage key (the blob port does not say)."""
    with Session(engine) as session:
        rows = session.exec(select(RecordRow.storage_key, RecordRow.media_type)).all()
        files = session.exec(select(RecordFileRow.storage_key, RecordFileRow.media_type)).all()
    return {**dict(files), **dict(rows)}  # every file and version of a record (archive.domain.files)


def remap_version_ids(engine: Engine, changed: Mapping[tuple[str, str | None], str | None]) -> int:
    """Point records at the version ids their objects got when restored.

    ``changed`` maps (storage key, old version id) to the new id: an S3 server
    gives a restored object a new version id, and downloads and fixity name the
    version. Returns how many records changed.
    """
    updated = 0
    with Session(engine) as session:
        for (key, old), new in changed.items():
            if old == new:
                continue
            column = col(RecordRow.version_id)
            same_version = column.is_(None) if old is None else column == old
            result = session.execute(
                sa.update(RecordRow)
                .where(col(RecordRow.storage_key) == key)
                .where(same_version)
                .values(version_id=new)
            )
            updated += int(result.rowcount or 0)  # type: ignore[attr-defined]
            _remap_file(session, key, old, new)
        session.commit()
    return updated


def _remap_file(session: Session, key: str, old: str | None, new: str | None) -> None:
    """The same for the record file version stored under ``key`` (record_files mirrors
    each main file too, so both move together)."""
    column = col(RecordFileRow.version_id)
    same_version = column.is_(None) if old is None else column == old
    session.execute(
        sa.update(RecordFileRow)
        .where(col(RecordFileRow.storage_key) == key)
        .where(same_version)
        .values(version_id=new)
    )


def _sqlite_path(engine: Engine) -> Path:
    database = engine.url.database
    if not database or database == ":memory:":
        raise ValueError("an in-memory SQLite database cannot be backed up")
    return Path(database)


def _sqlite_backup(source: Path, out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(source)
    try:
        dst = sqlite3.connect(out)
        try:
            src.backup(dst)
        finally:
            dst.close()
    finally:
        src.close()


def _libpq(engine: Engine) -> tuple[str, dict[str, str]]:
    """A libpq URL without the password (it goes in PGPASSWORD, not on a command line)."""
    url = engine.url.set(drivername="postgresql")
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return url.set(password=None).render_as_string(hide_password=False), env


def _run(command: list[str], env: dict[str, str]) -> None:
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        tool = Path(command[0]).name
        raise ServiceUnavailable(f"{tool} failed ({result.returncode}): {result.stderr.strip()[-2000:]}")
